import { connect, createServer as createNetServer, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { AnyCarrierSimulator } from '../../sim/carrier-simulator.js';
import { CARRIER_SIMULATORS, type CarrierOptions, type SimCarrier } from '../../sim/carriers/index.js';
import type { HeardSegment } from '../../sim/heard.js';
import { frontEndOf } from '../../sim/scenario.js';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import {
  ScriptedAgentServer,
  type ScriptStart,
  type ScriptStep,
} from '../../src/agent/scripted-agent-server.js';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { demoAgentsInput } from '../../src/config/demo-agents.js';
import { type DaemonEnv, parseEnv } from '../../src/config/env.js';
import { systemTime, type Time } from '../../src/lib/time.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { eventually, type WaitingFor } from '../support/eventually.js';
import { INBOUND, SIMULATOR_CREDENTIALS } from './carrier-fixtures.js';

export * from './carrier-fixtures.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HarnessOptions {
  readonly script?: ReadonlyArray<ScriptStep> | ((start: ScriptStart) => readonly ScriptStep[]);
  readonly summary?: string | null;
  /** The scripted agent speaks `say` messages as a tone of this frequency (agent.speaksMessages). */
  readonly sayToneHz?: number;
  /** The scripted agent's delay before accepting each connection (ms, by index). */
  readonly acceptDelayMs?: number | ((index: number, url: string) => number);
  /** The scripted agent drops a session's socket this long after its `start` (agent.dropAfterMs). */
  readonly dropAfterMs?: (start: ScriptStart) => number | undefined;
  /** Use this agent URL instead of a scripted agent (e.g. an echo bot that knows only Twilio). */
  readonly agentUrl?: string;
  /** Changes to the demo agent's input (before parsing). */
  readonly agent?: (agent: Record<string, unknown>) => Record<string, unknown>;
  readonly redisUrl?: string;
  readonly env?: Record<string, string>;
  /** The carrier the call comes in on (default: the first registered, Twilio): its number and the agent's `carrier`. */
  readonly carrier?: SimCarrier;
  /** Carrier behaviours of the simulators by carrier (e.g. Twilio's `ringTimeoutBufferMs`), merged over the test credentials. */
  readonly simulator?: CarrierOptions;
  /**
   * The time the daemon, the simulator and the scripted agent run on (e.g. a `VirtualTime`);
   * default the system's. Virtual time needs the memory store: Redis expires keys on its own clock.
   */
  readonly time?: Time;
  /** One in-memory store for every daemon of this harness (a restart keeps it) instead of Redis. */
  readonly memoryStore?: boolean;
  /**
   * Several agents instead of the demo agent (each with its own `numbers` and `carrier`), given
   * the agent URL; `agent` and `carrier` then do not apply to them.
   */
  readonly agents?: (agentUrl: string) => readonly Record<string, unknown>[];
  /** More inbound numbers, each set up on its carrier as that carrier's docs have users do. */
  readonly numbers?: readonly { readonly carrier: SimCarrier; readonly number: string }[];
}

export interface Harness {
  readonly sim: Simulator;
  app: App;
  readonly agent: ScriptedAgentServer | undefined;
  readonly publicUrl: string;
  /** The time the daemon, the simulator and the agent run on (the system's unless one was given). */
  readonly time: Time;
  /** Stops this daemon and starts a fresh one on the same port and store (a restarted worker). */
  restartDaemon(): Promise<void>;
  /**
   * Starts another worker beside this one (same agents, carriers and media secret) with its own
   * `WORKER_ID`, on `redisUrl` (default the harness's), and points the balancer at it: new
   * connections (webhooks, streams) go to it, open ones stay where they are. Stopped with the harness.
   */
  addWorker(workerId: string, redisUrl?: string): Promise<App>;
  stop(): Promise<void>;
}

const MEDIA_SECRET = 'e2e-media-secret-shared-by-workers';

const SIMULATORS: readonly AnyCarrierSimulator[] = CARRIER_SIMULATORS;

/** Each registered simulator's options: the test credentials, then the test's own options. */
function simulatorOptions(own: CarrierOptions | undefined): CarrierOptions {
  const given = (own ?? {}) as Readonly<Record<string, object | undefined>>;
  const credentials = SIMULATOR_CREDENTIALS as Readonly<Record<string, object | undefined>>;
  return Object.fromEntries(
    SIMULATORS.map((s) => [s.carrier, { ...given[s.carrier], ...credentials[s.carrier] }]),
  ) as CarrierOptions;
}

/** Daemon + carrier simulator + agent, all on loopback, wired as a user would. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const agent =
    options.agentUrl === undefined
      ? await ScriptedAgentServer.start({
          script: options.script ?? [],
          ...(options.summary === undefined ? {} : { summary: options.summary }),
          ...(options.sayToneHz === undefined ? {} : { sayToneHz: options.sayToneHz }),
          ...(options.acceptDelayMs === undefined ? {} : { acceptDelayMs: options.acceptDelayMs }),
          ...(options.dropAfterMs === undefined ? {} : { dropAfterMs: options.dropAfterMs }),
          ...(options.time === undefined ? {} : { time: options.time }),
        })
      : undefined;
  const agentUrl = options.agentUrl ?? agent?.url ?? '';
  const sim = await startSimulator({
    ...simulatorOptions(options.simulator),
    ...(options.time === undefined ? {} : { time: options.time }),
  });
  const carrier = options.carrier ?? (SIMULATORS[0]?.carrier as SimCarrier);
  // Carriers reach the daemon through a load balancer (a TCP proxy here), so a worker can be
  // replaced behind the same public URL, as in a rolling restart.
  const proxy = await startProxy();
  const publicUrl = `http://127.0.0.1:${proxy.port}`;
  const envFor = async (own: Record<string, string> = {}): Promise<DaemonEnv> =>
    parseEnv({
      // Any free port, taken by the listen itself: the proxy is pointed at what `listen` returns
      // (a port picked beforehand could be taken by another test file before the listen).
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      // What each simulated carrier tells a daemon to use it (credentials, API base).
      ...Object.assign({}, ...SIMULATORS.map((s) => s.daemonEnv(frontEndOf(sim, s), sim.url))),
      PATCHTHROUGH_API_KEYS: 'e2e-reader-key-0123456789:calls:read',
      ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
      ...options.env,
      ...own,
    });
  const input = demoAgentsInput(agentUrl);
  const agentInput = {
    ...(input.agents[0] as unknown as Record<string, unknown>),
    ...(options.carrier === undefined ? {} : { carrier: options.carrier }),
  };
  const agents = parseAgentsConfig(
    {
      ...input,
      agents:
        options.agents === undefined
          ? [options.agent === undefined ? agentInput : options.agent(agentInput)]
          : options.agents(agentUrl),
    },
    { defaultRegion: 'US' },
  );
  const time = options.time;
  const store =
    options.memoryStore === true
      ? new MemoryStore<CallRecord>({
          ...(time === undefined ? {} : { now: () => time.epochMs(), timers: time }),
        })
      : undefined;
  const start = async (own?: Record<string, string>): Promise<App> => {
    const app = buildApp({
      env: await envFor(own),
      agents,
      log: silentLogger(),
      timerIntervalMs: 50,
      mediaSecret: MEDIA_SECRET,
      ...(time === undefined ? {} : { time }),
      ...(store === undefined ? {} : { store: keptOpen(store) }),
    });
    proxy.target = await app.listen();
    return app;
  };
  const added: App[] = [];
  const harness: Harness = {
    sim,
    app: await start(),
    agent,
    publicUrl,
    time: time ?? systemTime,
    async restartDaemon() {
      const old = harness.app;
      harness.app = await start();
      await old.close();
    },
    async addWorker(workerId, redisUrl) {
      const app = await start({
        WORKER_ID: workerId,
        ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
      });
      // As a balancer routing each request anew: the workers before it answer what is under way
      // and close those connections (the carrier's next request opens one to the new worker);
      // open streams stay where they are.
      for (const before of [harness.app, ...added]) {
        const server = before.http.server;
        server.prependListener('request', (_req, res) => {
          res.shouldKeepAlive = false;
        });
        server.closeIdleConnections();
      }
      added.push(app);
      return app;
    },
    async stop() {
      for (const app of added.splice(0)) await app.close();
      await harness.app.close();
      await sim.stop();
      await agent?.close();
      await proxy.close();
      await store?.close();
    },
  };
  // The inbound number on the call's carrier, set up as that carrier's docs have users do.
  for (const s of SIMULATORS)
    if (s.carrier === carrier) s.connectNumber(frontEndOf(sim, s), INBOUND, publicUrl);
  for (const n of options.numbers ?? [])
    for (const s of SIMULATORS)
      if (s.carrier === n.carrier) s.connectNumber(frontEndOf(sim, s), n.number, publicUrl);
  return harness;
}

/** The store as a daemon sees it, except that closing one daemon leaves it open for the next. */
function keptOpen(store: MemoryStore<CallRecord>): MemoryStore<CallRecord> {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'close') return async () => {};
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface TcpProxy {
  readonly port: number;
  /** Where new connections go. */
  target: number;
  /** Closes every connection and refuses new ones (the far side unreachable) until {@link mend}. */
  cut(): void;
  mend(): void;
  close(): Promise<void>;
}

/** A TCP proxy standing in for a load balancer: new connections go to the current `target` port. */
export async function startProxy(target = 0): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const state = {
    port: 0,
    target,
    cut: () => {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    mend: () => {
      cut = false;
    },
    close: async () => {},
  };
  const server = createNetServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(state.target, '127.0.0.1');
    // As a load balancer would: no Nagle delay (40 ms behind a delayed ACK) on small writes.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  state.port = typeof address === 'object' && address !== null ? address.port : 0;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

/** Empties a test Redis between cases, so no agent configuration or call leaks into the next. */
export async function flushRedis(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  await client.flushall();
  client.disconnect();
}

/**
 * Resolves with the first answer of `check` other than `undefined`, `null` or `false`. On a
 * harness running on a `VirtualTime` it is checked whenever the process is quiet, before virtual
 * time moves on (so the test acts at the instant the condition first holds), and `timeoutMs`
 * is virtual; otherwise it is polled on the system clock (test/support/eventually.ts).
 */
export async function until<T>(
  h: Pick<Harness, 'time'>,
  check: () => T | Promise<T>,
  what: WaitingFor,
  timeoutMs = 10_000,
): Promise<Exclude<T, undefined | null | false>> {
  if (!(h.time instanceof VirtualTime))
    return eventually(check, what, { timeoutMs, everyMs: 25 }) as Promise<
      Exclude<T, undefined | null | false>
    >;
  let found: T | undefined;
  const holds = async (): Promise<boolean> => {
    const value = await check();
    if (value === undefined || value === null || value === false) return false;
    found = value;
    return true;
  };
  try {
    await h.time.runUntil(holds, { timeoutMs, what: 'a condition' });
  } catch (err) {
    throw new Error(
      `waiting for ${typeof what === 'string' ? what : what()}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return found as Exclude<T, undefined | null | false>;
}

/** Waits (see {@link until}) until the call record satisfies `predicate`. */
export async function waitForRecord(
  h: Harness,
  callId: string,
  predicate: (r: CallRecord) => boolean,
  timeoutMs = 10_000,
): Promise<CallRecord> {
  let last: CallRecord | undefined;
  return until(
    h,
    async () => {
      last = await h.app.engine.get(callId);
      return last !== undefined && predicate(last) ? last : undefined;
    },
    () =>
      `call ${callId}'s record to meet the condition; phase=${last?.phase} timeline=${JSON.stringify(last?.transfer?.timeline ?? last?.timeline)}`,
    timeoutMs,
  );
}

/** The distinct sources a party heard, in order of first hearing (e.g. `stream:`, `hold`, `say`, `party:`). */
export function sourcesHeard(segments: readonly HeardSegment[]): string[] {
  const out: string[] = [];
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    const kind = s.source.includes(':') ? `${s.source.split(':')[0]}:` : s.source;
    if (out[out.length - 1] !== kind) out.push(kind);
  }
  return out;
}
