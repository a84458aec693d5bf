import { connect, createServer as createNetServer, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { ExotelNumberConfig } from '../../providers/exotel/simulator/options.js';
import type { TwilioSimulatorOptions } from '../../providers/twilio/simulator/options.js';
import type { HeardSegment } from '../../sim/heard.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../sim/simulator.js';
import {
  ScriptedAgentServer,
  type ScriptStart,
  type ScriptStep,
} from '../../src/agent/scripted-agent-server.js';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { demoAgentsInput } from '../../src/config/demo-agents.js';
import { type DaemonEnv, parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { eventually } from '../support/eventually.js';

export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const AUTH_TOKEN = 'e2e-auth-token';
export const INBOUND = '+14155550100';
export const CALLER = '+14155559999';
export const EXOTEL_ACCOUNT_SID = 'e2e-exotel';
export const EXOTEL_API_KEY = 'e2e-exotel-key';
export const EXOTEL_API_TOKEN = 'e2e-exotel-token';
/** The shared secret Exotel's requests carry (Exotel signs nothing): Basic-auth password in the flow's URLs. */
export const EXOTEL_WEBHOOK_SECRET = 'e2e-exotel-webhook-secret';
/** The app (flow) outbound Exotel calls run (`EXOTEL_OUTBOUND_APP_ID`). */
export const EXOTEL_OUTBOUND_APP_ID = 'e2e-outbound-flow';
export const PLIVO_AUTH_ID = 'MA1111111111111111AA';
export const PLIVO_AUTH_TOKEN = 'e2e-plivo-auth-token';

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
  /** The scripted agent's delay before accepting each connection (ms, by index). */
  readonly acceptDelayMs?: number | ((index: number) => number);
  /** Use this agent URL instead of a scripted agent (e.g. an echo bot that knows only Twilio). */
  readonly agentUrl?: string;
  /** Changes to the demo agent's input (before parsing). */
  readonly agent?: (agent: Record<string, unknown>) => Record<string, unknown>;
  readonly redisUrl?: string;
  readonly env?: Record<string, string>;
  /** The carrier the call comes in on (default `twilio`): its credentials, number and the agent's `carrier`. */
  readonly carrier?: 'twilio' | 'plivo' | 'exotel';
  /** Carrier behaviours of the simulators (e.g. Twilio's `ringTimeoutBufferMs`, which UNCONFIRMED Plivo callbacks it sends), beside the credentials. */
  readonly simulator?: {
    readonly twilio?: Omit<TwilioSimulatorOptions, 'accountSid' | 'authToken'>;
    readonly plivo?: Omit<NonNullable<SimulatorOptions['plivo']>, 'authId' | 'authToken'>;
  };
}

export interface Harness {
  readonly sim: Simulator;
  app: App;
  readonly agent: ScriptedAgentServer | undefined;
  readonly publicUrl: string;
  /** Stops this daemon and starts a fresh one on the same port and store (a restarted worker). */
  restartDaemon(): Promise<void>;
  stop(): Promise<void>;
}

const MEDIA_SECRET = 'e2e-media-secret-shared-by-workers';

/** Daemon + Twilio simulator + agent, all on loopback, wired as a user would. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const agent =
    options.agentUrl === undefined
      ? await ScriptedAgentServer.start({
          script: options.script ?? [],
          ...(options.summary === undefined ? {} : { summary: options.summary }),
          ...(options.acceptDelayMs === undefined ? {} : { acceptDelayMs: options.acceptDelayMs }),
        })
      : undefined;
  const agentUrl = options.agentUrl ?? agent?.url ?? '';
  const sim = await startSimulator({
    twilio: { ...options.simulator?.twilio, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
    exotel: { accountSid: EXOTEL_ACCOUNT_SID, apiKey: EXOTEL_API_KEY, apiToken: EXOTEL_API_TOKEN },
    plivo: { ...options.simulator?.plivo, authId: PLIVO_AUTH_ID, authToken: PLIVO_AUTH_TOKEN },
  });
  // Carriers reach the daemon through a load balancer (a TCP proxy here), so a worker can be
  // replaced behind the same public URL, as in a rolling restart.
  const proxy = await startProxy();
  const publicUrl = `http://127.0.0.1:${proxy.port}`;
  const envFor = async (): Promise<DaemonEnv> =>
    parseEnv({
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_API_BASE: sim.url,
      ...(options.carrier === 'exotel'
        ? {
            EXOTEL_ACCOUNT_SID,
            EXOTEL_API_KEY,
            EXOTEL_API_TOKEN,
            EXOTEL_API_BASE: sim.url,
            EXOTEL_WEBHOOK_SECRET,
            EXOTEL_OUTBOUND_APP_ID,
          }
        : {}),
      ...(options.carrier === 'plivo' ? { PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PLIVO_API_BASE: sim.url } : {}),
      PATCHTHROUGH_API_KEYS: 'e2e-reader-key-0123456789:calls:read',
      ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
      ...options.env,
    });
  const input = demoAgentsInput(agentUrl);
  const agentInput = {
    ...(input.agents[0] as unknown as Record<string, unknown>),
    ...(options.carrier === undefined ? {} : { carrier: options.carrier }),
  };
  const agents = parseAgentsConfig(
    { ...input, agents: [options.agent === undefined ? agentInput : options.agent(agentInput)] },
    { defaultRegion: 'US' },
  );
  const start = async (): Promise<App> => {
    const app = buildApp({
      env: await envFor(),
      agents,
      log: silentLogger(),
      timerIntervalMs: 50,
      mediaSecret: MEDIA_SECRET,
    });
    proxy.target = await app.listen();
    return app;
  };
  const harness: Harness = {
    sim,
    app: await start(),
    agent,
    publicUrl,
    async restartDaemon() {
      const old = harness.app;
      harness.app = await start();
      await old.close();
    },
    async stop() {
      await harness.app.close();
      await sim.stop();
      await agent?.close();
      await proxy.close();
    },
  };
  // As docs/twilio.md and docs/plivo.md set numbers up: the fallback URL is the voice webhook too.
  sim.twilio.configureNumber(INBOUND, {
    voiceUrl: `${publicUrl}/twilio/voice`,
    voiceFallbackUrl: `${publicUrl}/twilio/voice`,
    statusCallback: `${publicUrl}/twilio/status`,
  });
  if (options.carrier === 'plivo') {
    sim.plivo.configureNumber(INBOUND, {
      answerUrl: `${publicUrl}/plivo/voice`,
      fallbackUrl: `${publicUrl}/plivo/voice`,
      hangupUrl: `${publicUrl}/plivo/status`,
    });
  }
  if (options.carrier === 'exotel') {
    sim.exotel.configureNumber(INBOUND, exotelNumber(publicUrl));
    // docs/exotel.md: outbound calls run the same flow, registered as an app.
    sim.exotel.configureFlow(EXOTEL_OUTBOUND_APP_ID, exotelNumber(publicUrl).flow);
  }
  return harness;
}

/** A TCP proxy standing in for a load balancer: new connections go to the current `target` port. */
export async function startProxy(): Promise<{ port: number; target: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { port: 0, target: 0, close: async () => {} };
  const server = createNetServer((client) => {
    const upstream = connect(state.target, '127.0.0.1');
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

/** Polls the store until the call record satisfies `predicate`. */
export async function waitForRecord(
  h: Harness,
  callId: string,
  predicate: (r: CallRecord) => boolean,
  timeoutMs = 10_000,
): Promise<CallRecord> {
  let last: CallRecord | undefined;
  return eventually(
    async () => {
      last = await h.app.engine.get(callId);
      return last !== undefined && predicate(last) ? last : undefined;
    },
    () =>
      `call ${callId}'s record to meet the condition; phase=${last?.phase} timeline=${JSON.stringify(last?.transfer?.timeline ?? last?.timeline)}`,
    { timeoutMs, everyMs: 25 },
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

/**
 * The Exotel flow docs/exotel.md describes, for the daemon at `publicUrl`: Voicebot (dynamic URL)
 * → Passthru `next` (200 → Connect, 302 → Hangup) → Connect (`dial-up`, its events to `status`;
 * after a conversation → Hangup; nobody answered → Passthru `dial-action`: 200 → Voicebot,
 * 302 → `next`). Every URL carries the shared secret as userinfo. `programmable`: the Connect
 * applet asks as Programmable Connect (JSON answers with the ring timeout, hold music, whisper).
 * `ringOverrunSec`: the applet rings that much longer than the timeout it was given.
 */
export function exotelNumber(
  publicUrl: string,
  options: { programmable?: boolean; ringOverrunSec?: number } = {},
): ExotelNumberConfig {
  const base = new URL(publicUrl);
  base.username = 'exotel';
  base.password = EXOTEL_WEBHOOK_SECRET;
  const at = (path: string) => `${base.toString().replace(/\/+$/, '')}${path}`;
  return {
    flow: [
      { type: 'voicebot', id: 'voicebot', url: at('/exotel/voice'), next: 'next' },
      { type: 'passthru', id: 'next', url: at('/exotel/next'), next: 'connect', onRedirect: 'hangup' },
      {
        type: 'connect',
        id: 'connect',
        dialWhom: { url: at('/exotel/dial-up') },
        ...(options.programmable ? { programmable: true } : {}),
        ...(options.ringOverrunSec === undefined ? {} : { ringOverrunSec: options.ringOverrunSec }),
        eventsUrl: at('/exotel/status'),
        next: 'hangup',
        onNoAnswer: 'dial-action',
      },
      {
        type: 'passthru',
        id: 'dial-action',
        url: at('/exotel/dial-action'),
        next: 'voicebot',
        onRedirect: 'next',
      },
      { type: 'hangup', id: 'hangup' },
    ],
    statusCallback: at('/exotel/status'),
  };
}
