/**
 * How the benchmarks start a daemon: in a child process of its own (bench/daemon-child.ts),
 * configured through one JSON argument — the bench never touches the environment.
 */
import twilio from 'twilio';
import { demoAgentsInput } from '../../src/config/demo-agents.js';
import { WORKER_NODE_FLAGS } from '../../src/config/node-flags.js';
import { freePort } from '../../support/redis-server.js';
import { type ChildProc, forkChild } from './ipc.js';

export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const AUTH_TOKEN = 'bench-auth-token';
/** The demo agent's number (demoAgentsInput). */
export const INBOUND = '+14155550100';
export const CALLER = '+14155559999';
/** Shared by the daemon and nobody else; fixed so that a run is reproducible. */
export const MEDIA_SECRET = 'bench-media-secret';

/** Everything the daemon child needs. */
export interface DaemonChildConfig {
  readonly port: number;
  readonly redisUrl: string;
  /** Twilio REST base (the simulator's URL); the media bench never calls it. */
  readonly apiBase: string;
  /** Agents file input (parsed by the child with the agents schema). */
  readonly agents: unknown;
  /** LiveKit API key and secret, for an agent on `transport: livekit` (its `LIVEKIT_API_*`). */
  readonly livekit?: { readonly apiKey: string; readonly apiSecret: string };
  /**
   * Observe the control path from inside (lib/instrument.ts); default true. Its
   * AsyncLocalStorage turns on async hooks for the whole process — an init hook for every socket
   * write and `nextTick` — so the media benches, which compare the daemon with a bare relay,
   * start the daemon without it.
   */
  readonly instrument?: boolean;
  /** Write the daemon's log (debug level) to this file instead of discarding it. */
  readonly logFile?: string;
}

export interface DaemonReady {
  readonly port: number;
  readonly publicUrl: string;
  readonly pid: number;
}

export interface StartDaemonOptions {
  readonly redisUrl: string;
  readonly agentUrl: string;
  readonly apiBase?: string;
  /** Changes to the demo agent's input (before parsing). */
  readonly agent?: (agent: Record<string, unknown>) => Record<string, unknown>;
  /** Write a V8 CPU profile of the daemon into this directory. */
  readonly cpuProfileDir?: string;
  /** More Node flags for the daemon's process (e.g. `--perf-basic-prof` for `perf`). */
  readonly nodeFlags?: readonly string[];
  readonly livekit?: DaemonChildConfig['livekit'];
  /** {@link DaemonChildConfig.instrument}; default true. */
  readonly instrument?: boolean;
  /** {@link DaemonChildConfig.logFile}. */
  readonly logFile?: string;
}

/** The daemon's config for `options`, listening on `port`: the demo agent at `options.agentUrl`. */
export function benchDaemonConfig(options: StartDaemonOptions, port: number): DaemonChildConfig {
  const input = demoAgentsInput(options.agentUrl);
  const first = input.agents[0] as unknown as Record<string, unknown>;
  return {
    port,
    redisUrl: options.redisUrl,
    apiBase: options.apiBase ?? 'http://127.0.0.1:9',
    agents: { ...input, agents: [options.agent === undefined ? first : options.agent(first)] },
    ...(options.livekit === undefined ? {} : { livekit: options.livekit }),
    ...(options.instrument === undefined ? {} : { instrument: options.instrument }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
  };
}

export async function startDaemon(options: StartDaemonOptions): Promise<ChildProc<DaemonReady>> {
  const config = benchDaemonConfig(options, await freePort());
  return forkChild<DaemonReady>(new URL('../daemon-child.ts', import.meta.url), {
    args: [JSON.stringify(config)],
    // As a worker runs in production (the image's CMD, `npm start`).
    nodeFlags: [
      ...WORKER_NODE_FLAGS,
      ...(options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir]),
      ...(options.nodeFlags ?? []),
    ],
  });
}

/** The form a carrier POSTs to `/twilio/voice` for a new inbound call, signed as Twilio signs it. */
export function signedVoiceWebhook(publicUrl: string, callSid: string): { url: string; init: RequestInit } {
  return signed(`${publicUrl}/twilio/voice`, {
    CallSid: callSid,
    AccountSid: ACCOUNT_SID,
    From: CALLER,
    To: INBOUND,
    Direction: 'inbound',
    CallStatus: 'ringing',
  });
}

/** The number's status callback when the caller hangs up (`completed`), signed. */
export function signedHangupWebhook(publicUrl: string, callSid: string): { url: string; init: RequestInit } {
  return signed(`${publicUrl}/twilio/status`, {
    CallSid: callSid,
    AccountSid: ACCOUNT_SID,
    From: CALLER,
    To: INBOUND,
    Direction: 'inbound',
    CallStatus: 'completed',
    CallDuration: '30',
    SequenceNumber: '1',
  });
}

function signed(url: string, params: Record<string, string>): { url: string; init: RequestInit } {
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
  return {
    url,
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    },
  };
}

/** The `<Stream url>` and its `<Parameter>`s from a `<Connect><Stream>` TwiML document. */
export function streamFromTwiml(twiml: string): { url: string; parameters: Record<string, string> } {
  const url = /<Stream[^>]*\surl="([^"]+)"/.exec(twiml)?.[1];
  if (url === undefined) throw new Error(`no <Stream> in the daemon's answer: ${twiml.slice(0, 200)}`);
  const parameters: Record<string, string> = {};
  for (const m of twiml.matchAll(/<Parameter\s+name="([^"]+)"\s+value="([^"]*)"/g)) {
    parameters[unescapeXml(m[1] ?? '')] = unescapeXml(m[2] ?? '');
  }
  return { url: unescapeXml(url), parameters };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
