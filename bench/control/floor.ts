/**
 * The control path's floor on this machine: what the messages of a transition cost without the
 * daemon (floor-child.ts), at the control phases' rates, in the same run. Each webhook the floor
 * takes is one unit: a signed webhook in, a record saved by script in one Redis round trip, a
 * REST request out, an agent message, a TwiML reply. The daemon's transitions per CPU second are
 * judged against the floor's units per CPU second as the media bridge is judged against a bare
 * relay: a ratio on one machine, where an absolute figure is the machine's as much as the code's.
 * Its latency (webhook handler → REST request start, with the Redis round trip between) is the
 * least a trigger → REST path with a commit can take here.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import twilio from 'twilio';
import { WebSocketServer } from 'ws';
import { startRedisServer } from '../../support/redis-server.js';
import { ACCOUNT_SID, AUTH_TOKEN } from '../lib/daemon-setup.js';
import { type ChildProc, forkChild } from '../lib/ipc.js';
import { coresUsed, type ProcessSample } from '../lib/probe.js';
import { round2, type Summary, sleep, summarize } from '../lib/stats.js';
import type { FloorChildConfig, FloorReady } from './floor-child.js';

export interface FloorPhase {
  /** Webhooks sent in the phase, evenly spread over `spreadMs`. */
  readonly units: number;
  readonly spreadMs: number;
}

export interface FloorPhaseResult {
  readonly units: number;
  readonly rate: number;
  /** Units the floor completed per CPU second of its process. */
  readonly perCpuSecond: number;
  readonly cpuUsPerUnit: number;
  /** Webhook handler entry → REST request start, ms. */
  readonly handlerToRestMs: Summary;
  /** Webhooks sent → answered, ms, as the load process saw them. */
  readonly roundTripMs: Summary;
}

export interface FloorResult {
  readonly phases: readonly FloorPhaseResult[];
  /** Records in the floor's Redis at the end: one per webhook, warm-up included. */
  readonly saved: number;
}

/** What the carrier's REST API answers a created call with: a call resource's size and fields. */
const CALL_RESOURCE = JSON.stringify({
  account_sid: ACCOUNT_SID,
  answered_by: null,
  api_version: '2010-04-01',
  caller_name: null,
  date_created: 'Wed, 02 Dec 2026 18:00:00 +0000',
  date_updated: 'Wed, 02 Dec 2026 18:00:00 +0000',
  direction: 'outbound-api',
  duration: null,
  end_time: null,
  forwarded_from: null,
  from: '+14155550100',
  from_formatted: '(415) 555-0100',
  parent_call_sid: null,
  phone_number_sid: null,
  price: null,
  price_unit: 'USD',
  sid: 'CA00000000000000000000000000000001',
  start_time: null,
  status: 'queued',
  subresource_uris: { notifications: '/n.json', recordings: '/r.json', events: '/e.json' },
  to: '+14155550111',
  to_formatted: '(415) 555-0111',
  trunk_sid: null,
  uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/CA00000000000000000000000000000001.json`,
  queue_time: '0',
});

/** A status callback's fields, as the carrier posts them. */
function webhookParams(callSid: string): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: callSid,
    CallStatus: 'in-progress',
    Called: '+14155550123',
    CalledCountry: 'US',
    Caller: '+14155550100',
    CallerCountry: 'US',
    Direction: 'inbound',
    From: '+14155550100',
    FromCountry: 'US',
    SequenceNumber: '1',
    Timestamp: 'Wed, 02 Dec 2026 18:00:00 +0000',
    To: '+14155550123',
    ToCountry: 'US',
  };
}

/** The warm-up before the phases: a few hundred units at a steady pace, the same for every run. */
const WARM_UP: FloorPhase = { units: 200, spreadMs: 2_000 };

/** A floor up and warm, run phase by phase (between the daemon's, in the control bench). */
export interface Floor {
  run(phase: FloorPhase): Promise<FloorPhaseResult>;
  /** Records in the floor's Redis: one per webhook taken, warm-up included. */
  saved(): Promise<number>;
  close(): Promise<void>;
}

/** The floor's phases one after the other: {@link startFloor}, each phase, {@link Floor.close}. */
export async function measureFloor(
  phases: readonly FloorPhase[],
  log: (line: string) => void = () => {},
  warmUp: FloorPhase = WARM_UP,
): Promise<FloorResult> {
  const floor = await startFloor(log, warmUp);
  try {
    const results: FloorPhaseResult[] = [];
    for (const phase of phases) {
      results.push(await floor.run(phase));
      await sleep(500);
    }
    return { phases: results, saved: await floor.saved() };
  } finally {
    await floor.close();
  }
}

/**
 * Starts the floor's process, its private Redis, the carrier's REST API and the agent it talks
 * to (in this process), and warms it up. Idle between phases, it costs the machine nothing.
 */
export async function startFloor(
  log: (line: string) => void = () => {},
  warmUp: FloorPhase = WARM_UP,
): Promise<Floor> {
  const redis = await startRedisServer();
  let restRequests = 0;
  const rest = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      restRequests += 1;
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(CALL_RESOURCE);
    });
  });
  await new Promise<void>((resolve) => rest.listen(0, '127.0.0.1', resolve));
  const agents = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => agents.once('listening', resolve));
  let agentMessages = 0;
  agents.on('connection', (socket) => socket.on('message', () => (agentMessages += 1)));
  const config: FloorChildConfig = {
    redisUrl: redis.url,
    restBase: `http://127.0.0.1:${(rest.address() as AddressInfo).port}`,
    agentUrl: `ws://127.0.0.1:${(agents.address() as AddressInfo).port}/`,
    authToken: AUTH_TOKEN,
    accountSid: ACCOUNT_SID,
  };
  const sender = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const close = async (): Promise<void> => {
    sender.destroy();
    await child?.stop();
    await new Promise<void>((resolve) => rest.close(() => resolve()));
    await new Promise<void>((resolve) => agents.close(() => resolve()));
    await redis.stop();
  };
  let child: ChildProc<FloorReady> | undefined;
  try {
    child = await forkChild<FloorReady>(new URL('./floor-child.ts', import.meta.url), {
      args: [JSON.stringify(config)],
    });
    const post = postTo(child.ready.port, sender);
    await sendSpread(post, 'warm', warmUp.units, warmUp.spreadMs);
    await child.call('take');
    const floor = child;
    let runs = 0;
    return {
      async run(phase) {
        const tag = `p${runs++}`;
        const s0 = await floor.call<ProcessSample>('sample', { reset: true });
        const rest0 = restRequests;
        const agent0 = agentMessages;
        const roundTrips = await sendSpread(post, tag, phase.units, phase.spreadMs);
        const s1 = await floor.call<ProcessSample>('sample', { reset: true });
        const taken = await floor.call<{ latencies: number[]; units: number }>('take');
        if (taken.units !== phase.units || restRequests - rest0 !== phase.units)
          throw new Error(
            `floor ${tag}: ${phase.units} webhooks, ${taken.units} units, ${restRequests - rest0} REST requests`,
          );
        // The agent's messages arrive after the webhooks' answers: wait for the last.
        for (let k = 0; k < 100 && agentMessages - agent0 < phase.units; k++) await sleep(10);
        if (agentMessages - agent0 !== phase.units)
          throw new Error(`floor ${tag}: ${phase.units} webhooks, ${agentMessages - agent0} agent messages`);
        const cpuSeconds = (coresUsed(s0, s1) * (s1.atMs - s0.atMs)) / 1000;
        const result: FloorPhaseResult = {
          units: phase.units,
          rate: Math.round((phase.units * 1000) / phase.spreadMs),
          perCpuSecond: Math.round(phase.units / Math.max(cpuSeconds, 1e-6)),
          cpuUsPerUnit: round2((cpuSeconds * 1e6) / phase.units),
          handlerToRestMs: summarize(taken.latencies),
          roundTripMs: summarize(roundTrips),
        };
        log(
          `  floor ${result.rate}/s: ${result.perCpuSecond} units per CPU s, handler → REST ` +
            `${result.handlerToRestMs.p50}/${result.handlerToRestMs.p99} ms`,
        );
        return result;
      },
      async saved() {
        const admin = new Redis(redis.url);
        return admin.dbsize().finally(() => admin.disconnect());
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

type Post = (callSid: string) => Promise<number>;

/** Sends one signed webhook; resolves with its round trip in ms once answered 200. */
function postTo(port: number, agent: http.Agent): Post {
  const path = '/floor/webhook';
  const url = `http://127.0.0.1:${port}${path}`;
  return (callSid) => {
    const params = webhookParams(callSid);
    const body = new URLSearchParams(params).toString();
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    const startedAt = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            'x-twilio-signature': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - startedAt)
              : reject(new Error(`floor webhook answered ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}

/** `count` webhooks on their own calls, evenly spread over `spreadMs`; their round trips. */
async function sendSpread(post: Post, tag: string, count: number, spreadMs: number): Promise<number[]> {
  const started = performance.now();
  const pending: Promise<number>[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(post(`CA${`${tag}x${i}`.padStart(32, '0')}`));
    const wait = started + ((i + 1) * spreadMs) / count - performance.now();
    if (wait > 0) await sleep(wait);
  }
  return Promise.all(pending);
}

export function floorTable(result: FloorResult): string {
  return [
    '| webhooks | per s | units per CPU s | CPU µs per unit | handler → REST ms p50 / p99 / max | sent → answered ms p50 / p99 |',
    '|---:|---:|---:|---:|---|---|',
    ...result.phases.map(
      (p) =>
        `| ${p.units} | ${p.rate} | ${p.perCpuSecond} | ${p.cpuUsPerUnit} | ${p.handlerToRestMs.p50} / ${p.handlerToRestMs.p99} / ${p.handlerToRestMs.max} | ${p.roundTripMs.p50} / ${p.roundTripMs.p99} |`,
    ),
  ].join('\n');
}
