/**
 * The shipped balancer in front of a worker, as a carrier's HTTP client sees them: an idle
 * connection is reused as long as the reply's `Keep-Alive: timeout=N` allows (Node's agent: N − 1
 * s), so the balancer must not close it sooner. Soak seed 36867: a Plivo fetch of the caller's
 * transfer URL got "socket hang up" on a connection haproxy closed at its fallback idle time
 * (`timeout http-request`, 10 s) while the worker's header said 72 s, and the carrier ended the call.
 */

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';
import { freePort } from '../../support/redis-server.js';
import { eventually } from '../support/eventually.js';
import { clusterConfig, type Haproxy, startHaproxy } from './haproxy.js';

const SHIPPED = readFileSync(fileURLToPath(new URL('../../deploy/haproxy.cfg', import.meta.url)), 'utf8');
/** haproxy's idle time between two requests of a client: `http-keep-alive`, else `http-request`, else `client`. */
function clientIdleMs(config: string): number {
  const seconds = (name: string): number | undefined => {
    const m = new RegExp(`^\\s*timeout ${name}\\s+(\\d+)s\\s*$`, 'm').exec(config);
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1000;
  };
  const ms = seconds('http-keep-alive') ?? seconds('http-request') ?? seconds('client');
  if (ms === undefined) throw new Error('deploy/haproxy.cfg: no client timeout found');
  return ms;
}

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  stops = [];
});

async function worker(): Promise<{ app: App; port: number }> {
  const env = parseEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://127.0.0.1:1',
  });
  const agents = parseAgentsConfig(
    {
      agents: [
        {
          id: 'front-desk',
          numbers: ['+14155550100'],
          carrier: 'twilio',
          agent: { url: 'ws://127.0.0.1:1/agent' },
          handoffConfig: { transferDestination: '+14155550133' },
        },
      ],
    },
    { defaultRegion: 'US' },
  );
  const app = buildApp({ env, agents, log: silentLogger() });
  const port = await app.listen();
  stops.push(() => app.close());
  return { app, port };
}

/** One POST on `agent` (a carrier's keep-alive pool); its reply's headers. */
function post(url: string, agent: http.Agent): Promise<http.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    request.on('error', reject);
    request.end('CallUUID=x');
  });
}

describe('the shipped haproxy in front of a worker: idle carrier connections', () => {
  it('are kept longer than the Keep-Alive timeout passed on to the client; reused at the old close time, none hangs up', async () => {
    const { port } = await worker();
    const frontendPort = await freePort();
    const config = clusterConfig(
      { frontendPort, workerPorts: [port], resolverPort: await freePort() },
      SHIPPED,
    );
    const haproxy: Haproxy = await startHaproxy(config, frontendPort);
    stops.push(() => haproxy.stop());
    const url = `${haproxy.url}/healthz`;
    const probe = new http.Agent({ keepAlive: true });
    stops.push(async () => probe.destroy());
    const headers = await eventually(
      () => post(url, probe).catch(() => undefined),
      'haproxy to reach the worker',
    );

    // What the client is told, and how long haproxy really keeps an idle connection.
    const hint = /timeout=(\d+)/.exec(String(headers['keep-alive']))?.[1];
    expect(hint).toBeDefined();
    const announcedMs = Number(hint) * 1000;
    const idleMs = clientIdleMs(SHIPPED);
    expect(announcedMs).toBeLessThan(idleMs);

    // The race itself, at the idle time haproxy fell back to before (10 s): each client reuses its
    // one connection within a few ms of it. Closed there, some would get "socket hang up".
    const CLIENTS = 100;
    const failures: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          await post(url, agent);
          await new Promise((resolve) => setTimeout(resolve, 9_990 + (i * 20) / CLIENTS));
          await post(url, agent);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        } finally {
          agent.destroy();
        }
      }),
    );
    expect(failures).toEqual([]);
  }, 60_000);
});
