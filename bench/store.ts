/**
 * Store benchmark (`npm run bench:store`): transfer transitions per second through
 * `applyEvent` on a private redis-server, and the Redis round trips each one costs.
 *
 * Round trips are counted on the client: the ioredis client given to the store has its
 * `sendCommand` wrapped, so every command the store sends is counted once. applyEvent sends its
 * commands one after the other (read, then write), so commands per transition = round trips
 * per transition. INFO commandstats (EVALSHA calls) cross-checks the count on the server side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { MemoryStore } from '../src/store/memory-store.js';
import { RedisStore } from '../src/store/redis-store.js';
import type { StepCommit, Store } from '../src/store/types.js';
import { startRedisServer } from '../support/redis-server.js';

/** Shaped like a call record mid-transfer (≈ 1.5 KB of JSON). */
interface BenchRecord {
  readonly callId: string;
  readonly agentId: string;
  readonly phase: string;
  readonly transfer: { readonly state: string; readonly legIndex: number; readonly destination: string };
  readonly timeline: readonly { readonly atMs: number; readonly event: string; readonly detail: string }[];
  readonly seq: number;
}

interface Result {
  readonly store: 'redis' | 'memory';
  readonly concurrentCalls: number;
  readonly seconds: number;
  readonly transitions: number;
  readonly transitionsPerSecond: number;
  readonly commandsPerTransition: number | null;
  readonly serverEvalshaPerTransition: number | null;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly conflictsOrOther: number;
}

const TRANSITIONS_PER_CALL = 12;

function newRecord(callId: string): BenchRecord {
  return {
    callId,
    agentId: 'agent-bench',
    phase: 'ai',
    transfer: { state: 'idle', legIndex: 0, destination: '' },
    timeline: [],
    seq: 0,
  };
}

/** One transition: what the runtime's step would write for a transfer event. */
function step(record: BenchRecord, nowMs: number): StepCommit<BenchRecord> {
  const seq = record.seq + 1;
  const timeline = [
    ...record.timeline,
    { atMs: nowMs, event: `leg.event.${seq}`, detail: `t1:${seq % 3}` },
  ].slice(-30);
  const next: BenchRecord = {
    ...record,
    seq,
    phase: seq === TRANSITIONS_PER_CALL ? 'ended' : 'transferring',
    transfer: { state: `state-${seq % 5}`, legIndex: seq % 3, destination: 'sip:desk@example.com' },
    timeline,
  };
  const ring = `ring:t1:${seq % 3}`;
  return {
    record: next,
    flag: seq === 1 ? { set: 'sip:desk@example.com' } : seq % 4 === 0 ? { refresh: true } : undefined,
    timers: { start: [{ timerId: ring, atMs: nowMs + 15_000 }], cancel: [`ring:t1:${(seq + 2) % 3}`] },
    ended: seq === TRANSITIONS_PER_CALL ? { agentId: record.agentId, endedAtMs: nowMs } : undefined,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function run(
  kind: 'redis' | 'memory',
  store: Store<BenchRecord>,
  concurrentCalls: number,
  seconds: number,
  counters: { sent: () => number; evalsha: () => Promise<number> } | undefined,
): Promise<Result> {
  let transitions = 0;
  let other = 0;
  let commandsInTransitions = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1_000;
  const evalshaBefore = counters === undefined ? 0 : await counters.evalsha();
  let serial = 0;
  let createsSent = 0;
  const started = performance.now();

  const lane = async (lane: number) => {
    while (performance.now() < deadline) {
      const callId = `bench-${kind}-${concurrentCalls}-${lane}-${serial++}`;
      // Creates are not transitions: counted apart (one command each) and subtracted.
      createsSent++;
      await store.calls.create(callId, newRecord(callId));
      for (let i = 1; i <= TRANSITIONS_PER_CALL && performance.now() < deadline; i++) {
        const t0 = performance.now();
        const result = await store.applyEvent(callId, `cb-${i}`, (r) => step(r, Date.now()));
        latencies.push(performance.now() - t0);
        if (result.status === 'applied') transitions++;
        else other++;
      }
    }
  };
  const sentAtStart = counters?.sent() ?? 0;
  await Promise.all(Array.from({ length: concurrentCalls }, (_, i) => lane(i)));
  const elapsedS = (performance.now() - started) / 1_000;
  if (counters !== undefined) commandsInTransitions = counters.sent() - sentAtStart - createsSent;
  const evalshaDelta = counters === undefined ? 0 : (await counters.evalsha()) - evalshaBefore;
  latencies.sort((a, b) => a - b);
  return {
    store: kind,
    concurrentCalls,
    seconds: Math.round(elapsedS * 100) / 100,
    transitions,
    transitionsPerSecond: Math.round(transitions / elapsedS),
    commandsPerTransition: counters === undefined ? null : round2(commandsInTransitions / transitions),
    // Creates run one EVALSHA each as well.
    serverEvalshaPerTransition:
      counters === undefined ? null : round2((evalshaDelta - createsSent) / transitions),
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
    conflictsOrOther: other,
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const server = await startRedisServer();
  const admin = new Redis(server.url);
  const client = new Redis(server.url);
  let sent = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
    sent++;
    return send(...args);
  };
  const evalsha = async () => {
    const m = /cmdstat_evalsha:calls=(\d+)/.exec(String(await admin.call('INFO', 'commandstats')));
    return m === null ? 0 : Number(m[1]);
  };
  const results: Result[] = [];
  try {
    const redis = new RedisStore<BenchRecord>({ client, keyPrefix: 'bench:' });
    // Warm-up: connection setup and script loading are not part of the figures.
    await run('redis', redis, 4, 0.5, undefined);
    for (const [calls, seconds] of [
      [1, 3],
      [50, 6],
      [200, 6],
    ] as const) {
      results.push(await run('redis', redis, calls, seconds, { sent: () => sent, evalsha }));
    }
    await redis.close();
    const memory = new MemoryStore<BenchRecord>({ sweepIntervalMs: 0 });
    results.push(await run('memory', memory, 50, 3, undefined));
    await memory.close();
  } finally {
    admin.disconnect();
    await server.stop();
  }

  const lines = [
    '| store | concurrent calls | transitions/s | Redis round trips / transition | server EVALSHA / transition | p50 ms | p99 ms | not applied |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.store} | ${r.concurrentCalls} | ${r.transitionsPerSecond} | ${r.commandsPerTransition ?? '–'} | ${r.serverEvalshaPerTransition ?? '–'} | ${r.p50Ms} | ${r.p99Ms} | ${r.conflictsOrOther} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const best = Math.max(...results.filter((r) => r.store === 'redis').map((r) => r.transitionsPerSecond));
  const worstTrips = Math.max(...results.map((r) => r.commandsPerTransition ?? 0));
  process.stdout.write(
    `\ntarget ≥ 500 transitions/s per worker: ${best >= 500 ? 'met' : 'NOT met'} (${best}); ` +
      `≤ 2 round trips per transition: ${worstTrips <= 2 ? 'met' : 'NOT met'} (${worstTrips})\n`,
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const out = new URL('./results/store.json', import.meta.url);
  writeFileSync(
    out,
    `${JSON.stringify({ node: process.version, transitionsPerCall: TRANSITIONS_PER_CALL, results }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${out.pathname}\n`);
}

await main();
