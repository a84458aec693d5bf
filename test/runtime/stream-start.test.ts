import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaToken } from '../../providers/index.js';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { admitMediaToken } from '../../src/runtime/media-token.js';
import { readForStreamStart, type StreamStartDeps } from '../../src/runtime/stream-start.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { countWrites } from '../support/socket-writes.js';
import { RECORDS } from './shell-fakes.js';

/**
 * A carrier stream's `start` asks the store three things: the media token's claim, the call's
 * record, and (with no session here) who holds the call's agent socket. Asked together they
 * leave in one socket write and come back in one round trip (issue 18 item 3); the reads are used
 * only once the token is admitted, and a token not signed for the call sends nothing.
 */
describe('the reads of a stream’s start', () => {
  function fakes(options: { session?: boolean; verify?: () => Promise<boolean> | false } = {}) {
    const asked: string[] = [];
    let admit: (ok: boolean) => void = () => undefined;
    const deps: StreamStartDeps = {
      verifyToken: () => {
        asked.push('token');
        return options.verify?.() ?? new Promise<boolean>((resolve) => (admit = resolve));
      },
      read: async () => {
        asked.push('record');
        return RECORDS.ai();
      },
      hasSession: () => options.session === true,
      holder: async () => {
        asked.push('holder');
        return 'worker-a';
      },
    };
    return { deps, asked, admit: (ok: boolean) => admit(ok) };
  }

  it('all three are asked before the token’s claim is answered, and used once it is admitted', async () => {
    const f = fakes();
    const reads = readForStreamStart(f.deps, 'CA1', 'token');
    expect(f.asked).toEqual(['token', 'record', 'holder']);
    f.admit(true);
    const got = await reads;
    expect(got.admitted && got.record?.callId).toBe(RECORDS.ai().callId);
    expect(got.admitted && got.holder).toBe('worker-a');
  });

  it('a token not signed for the call: refused, nothing read', async () => {
    const f = fakes({ verify: () => false });
    expect(await readForStreamStart(f.deps, 'CA1', 'forged')).toEqual({ admitted: false });
    expect(f.asked).toEqual(['token']);
  });

  it('a token already spent: refused, whatever was read', async () => {
    const f = fakes();
    const reads = readForStreamStart(f.deps, 'CA1', 'token');
    f.admit(false);
    expect(await reads).toEqual({ admitted: false });
  });

  it('a session here: the holder is not asked', async () => {
    const f = fakes({ session: true });
    const reads = readForStreamStart(f.deps, 'CA1', 'token');
    f.admit(true);
    const got = await reads;
    expect(f.asked).toEqual(['token', 'record']);
    expect(got.admitted && 'holder' in got).toBe(false);
  });

  it('a failed record read fails the start; a failed holder read is left to `takeOver` to ask again', async () => {
    const f = fakes({ verify: async () => true });
    const failing: StreamStartDeps = {
      ...f.deps,
      read: async () => {
        throw new Error('redis away');
      },
    };
    await expect(readForStreamStart(failing, 'CA1', 'token')).rejects.toThrow('redis away');
    const noHolder: StreamStartDeps = {
      ...f.deps,
      holder: async () => {
        throw new Error('redis away');
      },
    };
    const got = await readForStreamStart(noHolder, 'CA1', 'token');
    expect(got.admitted && 'holder' in got).toBe(false);
  });

  describe('on a real Redis', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('the claim and both reads leave in one socket write', async () => {
      const client = new Redis(server.url);
      const store = new RedisStore<CallRecord>({ client, keyPrefix: `start-${Date.now()}:` });
      const record = RECORDS.ai();
      await store.calls.create(record.callId, record);
      await store.sockets.claim(record.callId, 'worker-a');
      const writes = countWrites(client);
      const secret = 'a-secret-of-at-least-32-characters!!';
      const deps: StreamStartDeps = {
        verifyToken: (callId, token) => admitMediaToken(store, callId, token, secret, silentLogger()),
        read: async (callId) => (await store.calls.get(callId))?.record,
        hasSession: () => false,
        holder: (callId) => store.sockets.owner(callId),
      };
      const got = await readForStreamStart(deps, record.callId, mediaToken(record.callId, secret));
      expect(got).toMatchObject({ admitted: true, holder: 'worker-a', record: { callId: record.callId } });
      expect(writes()).toBe(1);
      // The same token again: spent.
      expect(
        await readForStreamStart(deps, record.callId, mediaToken(record.callId, secret, 'AAAAAAAAAAAAAAAA')),
      ).toMatchObject({ admitted: true });
      expect(
        await readForStreamStart(deps, record.callId, mediaToken(record.callId, secret, 'AAAAAAAAAAAAAAAA')),
      ).toEqual({ admitted: false });
      await store.close();
    });
  });
});
