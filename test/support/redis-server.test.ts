import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../support/redis-server.js';

/**
 * The tests' private redis-server (support/redis-server.ts). A killed server's port is free until
 * it starts again, and another test file's server may take it meanwhile: starting again must then
 * fail, not adopt the other server — whose data the test would read and flush.
 */
describe('startRedisServer', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('starts again on its port after a kill, with the data a persisted server kept', async () => {
    const server = await startRedisServer({ persist: true });
    cleanup.push(() => server.stop());
    const client = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    await client.connect();
    await client.set('k', 'v');
    client.disconnect();
    await server.kill();
    await server.start();
    const again = new Redis(server.url);
    cleanup.push(async () => again.disconnect());
    expect(await again.get('k')).toBe('v');
  });

  it('refuses to take another process on its port for itself once it was killed', async () => {
    const server = await startRedisServer();
    cleanup.push(() => server.stop());
    await server.kill();
    const thief = spawn(
      'redis-server',
      ['--port', String(server.port), '--bind', '127.0.0.1', '--save', ''],
      {
        stdio: 'ignore',
      },
    );
    cleanup.push(async () => {
      thief.kill('SIGKILL');
      await new Promise((resolve) => thief.once('exit', resolve));
    });
    const probe = new Redis(server.url, { retryStrategy: (n) => (n > 50 ? null : 20) });
    cleanup.push(async () => probe.disconnect());
    await probe.set('theirs', '1');
    await expect(server.start()).rejects.toThrow(`could not start again on port ${server.port}`);
  });
});
