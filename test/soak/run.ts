/**
 * `npm run soak -- --seeds N`: N seeded calls through two worker processes behind haproxy on a
 * private Redis with an append-only file, while workers are SIGKILLed (and now and then
 * SIGTERMed) and Redis is restarted at seeded moments. Each call is judged from the simulator's
 * own record by the property run's invariants (test/property/invariants.ts, allowing for the
 * faults that fell within it) and the cluster's checks (test/cluster/calls.ts); the figures are
 * printed at the end, with the seed of every call that broke a rule and the command that replays it.
 *
 * Options: --seeds N (default 200), --from S (first seed, default 1), --concurrency C (calls in
 * flight, default 12), --chaos-every-ms M (mean pause between two faults, default 8000; 0: none),
 * --carriers twilio,plivo,exotel and --humans answers,busy,no-answer,hangs-up-in-whisper (the
 * choices drawn from; repeat one to weigh it), --no-adversary (each call otherwise gets its seed's
 * carrier adversary, sim/adversary/, scoped to its own legs).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adversityFor, applyAdversity } from '../../sim/adversary/adversary.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { createStore } from '../../src/store/create-store.js';
import {
  behaviourOf,
  count,
  followCall,
  judgeCall,
  type Problem,
  timeline,
  transferScript,
  type Verdict,
} from '../cluster/calls.js';
import { agentSessionsOf, CALLER, type Cluster, NUMBERS, startCluster } from '../cluster/cluster.js';
import { type Observed, Observer } from '../cluster/observer.js';
import { type CallPlan, prng } from '../cluster/plan.js';
import { scopeTo } from '../property/adversarial.js';
import { loudCaller } from '../property/caller-audio.js';
import { collectFrom, tapCaller } from '../property/collect.js';
import { checkInvariants } from '../property/invariants.js';
import { settles } from '../support/eventually.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '200' },
    from: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '12' },
    'chaos-every-ms': { type: 'string', default: '8000' },
    carriers: { type: 'string', default: 'twilio,plivo,exotel' },
    humans: { type: 'string', default: 'answers,answers,busy,no-answer,hangs-up-in-whisper' },
    'no-adversary': { type: 'boolean', default: false },
  },
});
const positive = (name: string, text: string, min: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`soak: --${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
};
const SEEDS = positive('seeds', values.seeds, 1);
/** A recovery longer than this prints its call's timeline in the report. */
const LONG_RECOVERY_MS = 6_000;
/** How long the balancer takes to send traffic to a restarted worker again, with a margin. */
const BALANCER_RISE_MS = 5_000;
const FROM = positive('from', values.from, 0);
const CONCURRENCY = positive('concurrency', values.concurrency, 1);
const CHAOS_EVERY_MS = positive('chaos-every-ms', values['chaos-every-ms'], 0);
const ADVERSARY = values['no-adversary'] !== true;

const oneOf = <T extends string>(name: string, text: string, allowed: readonly T[]): T[] => {
  const xs = text.split(',').map((x) => x.trim());
  const bad = xs.find((x) => !(allowed as readonly string[]).includes(x));
  if (bad !== undefined || xs.length === 0) {
    console.error(`soak: --${name}: ${JSON.stringify(bad)} is not one of ${allowed.join(', ')}`);
    process.exit(2);
  }
  return xs as T[];
};
/** A number of its own per seed (up to 6000 seeds a run): what a human heard belongs to one call. */
const addressOf = (seed: number): string => `+1415555${String(4000 + ((seed - FROM) % 6000))}`;
const CARRIERS = oneOf('carriers', values.carriers, ['twilio', 'plivo', 'exotel'] as const);
const HUMANS = oneOf('humans', values.humans, [
  'answers',
  'busy',
  'no-answer',
  'hangs-up-in-whisper',
] as const);

/** One seed's call: its carrier, transfer mode, what the human does, how long the caller talks. */
export function planFor(seed: number): CallPlan & { readonly talkMs: number } {
  const rnd = prng(seed);
  const carrier = CARRIERS[Math.floor(rnd() * CARRIERS.length)] as CallPlan['carrier'];
  const human = HUMANS[Math.floor(rnd() * HUMANS.length)] as CallPlan['human'];
  const mode = human === 'hangs-up-in-whisper' || rnd() < 0.6 ? 'warm' : 'cold';
  return {
    carrier,
    mode,
    human,
    answerAfterMs: 800 + Math.floor(rnd() * 3000),
    talkMs: 1000 + Math.floor(rnd() * 3000),
  };
}

interface Fault {
  readonly kind: 'SIGKILL' | 'SIGTERM' | 'redis-restart';
  readonly target: string;
  readonly atMs: number;
  /** The simulator log's clock (epoch ms), for the timelines. */
  readonly wallMs: number;
  doneMs?: number;
}

async function main(): Promise<number> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const transferred = new Set<string>();
  const planOf = new Map<string, CallPlan & { address: string }>();
  const script = transferScript(
    (callId) => {
      const p = planOf.get(callId);
      return p === undefined ? undefined : { destination: p.address, mode: p.mode };
    },
    transferred,
    'soak',
    (callId) =>
      cluster?.agent.sessions.some(
        (x) => x.start?.callId === callId && x.frames('transfer_status').length > 0,
      ) ?? true,
  );

  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  cluster = await startCluster(script, 2);
  const store = createStore<CallRecord>({ redisUrl: cluster.redis.url });
  const observer = new Observer(cluster.sim);
  const problems: (Problem & { seed: number })[] = [];
  const verdicts: Verdict[] = [];
  const faults: Fault[] = [];
  let placed = 0;
  let finished = 0;
  let stopChaos = false;

  const one = async (seed: number): Promise<void> => {
    const p = planFor(seed);
    const address = addressOf(seed);
    const human = cluster.sim.network.addHuman(address, behaviourOf(p));
    observer.expectHuman(seed, human);
    // The seed's adversary: the carrier's permitted orderings, losses and errors, on this call only.
    const own = new Set<string>();
    if (ADVERSARY) {
      applyAdversity(cluster.sim, adversityFor(seed, { carrier: p.carrier, mode: p.mode }), {
        scope: scopeTo(cluster.sim, [address], own),
        only: (f) => !f.source.startsWith('world.'),
      });
    }
    // Noise in which every 20 ms frame is unique: a frame lost on the way to the agent shows.
    const audio = loudCaller();
    const call = await cluster.sim.network.placeCall({
      carrier: p.carrier,
      from: CALLER,
      to: NUMBERS[p.carrier],
      audio: { type: 'mulaw', data: audio.mulaw },
    });
    const said = tapCaller(cluster.sim, call, audio);
    const placedAtMs = Date.now();
    own.add(call.sid);
    planOf.set(call.sid, { ...p, address });
    const o: Observed = observer.add(seed, call, human);
    const v: Verdict = { index: seed, sid: call.sid, carrier: p.carrier };
    verdicts.push(v);
    await followCall(o, p, v, { store, transferAsked: (sid) => transferred.has(sid), talkMs: p.talkMs });
    const judged = judgeCall(cluster.sim, o, p, v);
    // The invariants of the property run (test/property/invariants.ts), from the simulator's own
    // record, allowing for the faults that fell within the call (bounds.ts, OUTAGE_*).
    const observation = await collectFrom(
      {
        sim: cluster.sim,
        sessions: () => cluster.agent.sessions,
        record: (id) => readThroughOutages(() => store.calls.get(id)).then((c) => c?.record),
      },
      { label: `seed ${seed}`, carrier: p.carrier, call, humans: [address], said, audio },
    );
    const endedAtMs = Date.now();
    const outages = faults
      .filter((f) => f.wallMs <= endedAtMs && f.wallMs + (f.doneMs ?? endedAtMs - f.wallMs) >= placedAtMs)
      .map((f) => ({ fromMs: f.wallMs, toMs: f.wallMs + (f.doneMs ?? endedAtMs - f.wallMs) }));
    const violations = checkInvariants({ ...observation, outages });
    const kinds = new Set(violations.map((x) => x.kind as string));
    for (const x of violations)
      problems.push({
        kind: x.kind,
        text: `call ${seed} (${p.carrier} ${p.mode}, human ${p.human}): ${x.message}`,
        seed,
      });
    // The cluster's own checks, where the invariants did not already say the same.
    for (const problem of judged) if (!kinds.has(problem.kind)) problems.push({ ...problem, seed });
    said.length = 0;
    // Every leg of this call's human has ended once the caller hung up.
    const legsUp = cluster.sim.network.legs.filter((l) => l.to === address && l.state !== 'ended');
    if (legsUp.length > 0) {
      await new Promise((r) => setTimeout(r, 5000));
      for (const l of legsUp.filter((x) => x.state !== 'ended'))
        problems.push({
          kind: 'leg_left_up',
          text: `call ${seed}: the human's leg is still ${l.state}`,
          seed,
        });
    }
    finished++;
  };

  const chaos = async (): Promise<void> => {
    const rnd = prng(FROM ^ 0x50a4);
    while (!stopChaos && CHAOS_EVERY_MS > 0) {
      await new Promise((r) => setTimeout(r, CHAOS_EVERY_MS * (0.5 + rnd())));
      if (stopChaos) return;
      const r = rnd();
      if (r < 0.2) {
        const f: Fault = {
          kind: 'redis-restart',
          target: 'redis',
          atMs: performance.now(),
          wallMs: Date.now(),
        };
        faults.push(f);
        await cluster.redis.restart();
        f.doneMs = Math.round(performance.now() - f.atMs);
        continue;
      }
      const victim = cluster.workers[Math.floor(rnd() * cluster.workers.length)];
      if (victim === undefined) continue;
      const kind = r < 0.9 ? 'SIGKILL' : 'SIGTERM';
      const f: Fault = {
        kind,
        target: `${victim.name}.${victim.incarnation}`,
        atMs: performance.now(),
        wallMs: Date.now(),
      };
      faults.push(f);
      victim.daemon.proc.kill(kind);
      await settles(victim.daemon.exited, `${f.target} to exit`, { timeoutMs: 60_000 });
      await cluster.restart(victim);
      f.doneMs = Math.round(performance.now() - f.atMs);
      // The balancer takes the restarted worker back after two passed health checks
      // (deploy/haproxy.cfg `inter 2s rise 2`); killing the other one before that is an outage
      // of the whole service, which no caller survives — not a worker fault.
      await new Promise((r) => setTimeout(r, BALANCER_RISE_MS));
    }
  };

  const chaosDone = chaos().catch((err: unknown) => {
    problems.push({
      kind: 'soak_error',
      text: `chaos: ${err instanceof Error ? err.message : String(err)}`,
      seed: -1,
    });
  });
  const progress = setInterval(() => {
    console.log(
      `soak: ${finished}/${SEEDS} calls done, ${placed - finished} in flight, ${faults.length} faults, ${problems.length} problems`,
    );
  }, 15_000);
  try {
    const lanes: Promise<void>[] = [];
    let next = 0;
    for (let slot = 0; slot < Math.min(CONCURRENCY, SEEDS); slot++) {
      lanes.push(
        (async () => {
          while (next < SEEDS) {
            const seed = FROM + next++;
            placed++;
            await one(seed).catch((err: unknown) => {
              problems.push({
                kind: 'soak_error',
                text: `call ${seed}: ${err instanceof Error ? err.message : String(err)}`,
                seed,
              });
            });
          }
        })(),
      );
      // Spread the first calls out, as calls arrive.
      await new Promise((r) => setTimeout(r, 300));
    }
    await Promise.all(lanes);
  } finally {
    stopChaos = true;
    clearInterval(progress);
    await chaosDone;
    observer.stop();
    await store.close();
    await cluster.stop();
  }

  // Recovery: the longest silence a caller heard that began within 1 s before a fault.
  // Named with its call and fault, so a long one can be replayed and read.
  let slowest = { ms: 0, seed: -1, fault: '' };
  for (const f of faults)
    for (const o of observer.calls)
      for (const g of o.gaps)
        if (g.fromMs <= f.atMs + 1000 && g.toMs >= f.atMs && g.toMs - f.atMs > slowest.ms)
          slowest = { ms: g.toMs - f.atMs, seed: o.index, fault: `${f.kind} ${f.target}` };
  const cpu = process.cpuUsage(cpuStarted);
  const lost = problems.filter((p) => p.kind === 'caller_dropped' || p.kind === 'caller_stranded').length;
  const faultLines = faults.map((f) => ({ atMs: f.wallMs, what: `${f.kind} ${f.target}` }));
  const badSeeds = [...new Set(problems.map((p) => p.seed))].filter((s) => s >= 0);
  console.log(
    [
      `soak seeds ${FROM}..${FROM + SEEDS - 1}: ${verdicts.length} calls (${count(verdicts, (v) => v.carrier)}), concurrency ${CONCURRENCY}, adversary ${ADVERSARY ? 'on' : 'off'}`,
      `  faults: ${faults.length} (${count(faults, (f) => f.kind)})`,
      `  callers ended with: ${count(verdicts, (v) => v.settledAs ?? 'nobody')}`,
      `  transfer outcomes: ${count(
        verdicts.flatMap((v) => v.record?.transfers ?? []),
        (t) => t.outcome ?? 'none',
      )}`,
      `  violations: ${problems.length}${problems.length ? ` (${count(problems, (p) => p.kind)})` : ''}`,
      `  calls lost: ${lost}`,
      `  slowest recovery (a fault to the first sound heard again): ${Math.round(slowest.ms)} ms${
        slowest.seed < 0 ? '' : ` (call ${slowest.seed}, after ${slowest.fault})`
      }`,
      `  wall ${((performance.now() - started) / 1000).toFixed(1)} s, CPU of this process ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
      ...problems.slice(0, 40).map((p) => `  ${p.kind}: ${p.text}`),
      // Each broken call's timeline (a soak's faults are timing: its seed alone may not replay it).
      ...badSeeds.slice(0, 10).flatMap((seed) => {
        const v = verdicts.find((x) => x.index === seed);
        return v === undefined ? [] : [timeline(cluster, v, addressOf(seed), faultLines)];
      }),
      // A long recovery is a caller in silence, a defect until its timeline says otherwise.
      ...(slowest.ms > LONG_RECOVERY_MS && !badSeeds.includes(slowest.seed)
        ? verdicts
            .filter((x) => x.index === slowest.seed)
            .map(
              (v) =>
                `  the slowest recovery's call:\n${timeline(cluster, v, addressOf(v.index), faultLines)}`,
            )
        : []),
      ...(badSeeds.length ? [`  replay one: npm run soak -- --seeds 1 --from ${badSeeds[0]}`] : []),
      ...(badSeeds.length
        ? [`  details (logs of the workers and haproxy around each broken call): ${dump(cluster, badSeeds)}`]
        : []),
    ].join('\n'),
  );
  return problems.length === 0 ? 0 : 1;

  /**
   * Writes what a broken call needs to be understood to a file: its simulator log and its
   * human's legs, its agent sessions, and every line the workers and haproxy logged from 10 s
   * before it to 10 s after it (a "socket hang up" shows in haproxy's log or in nobody's).
   */
  function dump(c: Cluster, seeds: readonly number[]): string {
    const file = join(tmpdir(), `patchthrough-soak-${FROM}-${Date.now()}.json`);
    const calls = seeds.flatMap((seed) => {
      const v = verdicts.find((x) => x.index === seed);
      if (v === undefined) return [];
      const address = addressOf(seed);
      const legs = c.sim.network.legs.filter((l) => l.label === v.sid || l.to === address);
      const ids = new Set([v.sid, ...legs.map((l) => l.label ?? '')]);
      const log = c.sim.log.entries.filter((e) => e.callSid !== undefined && ids.has(e.callSid));
      const fromMs = (log[0]?.atMs ?? 0) - 10_000;
      const toMs = (log.at(-1)?.atMs ?? Date.now()) + 10_000;
      const within = (ms: number | undefined): boolean => ms === undefined || (ms >= fromMs && ms <= toMs);
      return [
        {
          seed,
          plan: planOf.get(v.sid),
          verdict: v,
          problems: problems.filter((p) => p.seed === seed).map((p) => p.text),
          faults: faults.filter((f) => within(f.wallMs)),
          log,
          agentSessions: agentSessionsOf(c, v.sid),
          workers: Object.fromEntries(
            Object.entries(c.outputs()).map(([name, out]) => [
              name,
              out.split('\n').filter((line) => line !== '' && within(workerLineMs(line))),
            ]),
          ),
          haproxy: c.haproxy.output
            .join('')
            .split('\n')
            .filter((line) => line !== '' && within(haproxyLineMs(line))),
        },
      ];
    });
    writeFileSync(file, JSON.stringify({ from: FROM, seeds: SEEDS, faults, calls }, null, 1));
    return file;
  }
}

/** A worker's log line's time (pino's `time`, epoch ms), or undefined for a line that is not one. */
function workerLineMs(line: string): number | undefined {
  const m = /"time":(\d+)/.exec(line);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An haproxy log line's accept time (`[02/Dec/2026:10:49:12.345]`, the machine's local time), or
 * undefined for a line without one (start-up messages).
 */
function haproxyLineMs(line: string): number | undefined {
  const m = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})\]/.exec(line);
  if (m === null) return undefined;
  const [, day, month, year, h, min, sec, ms] = m;
  return new Date(
    Number(year),
    MONTHS.indexOf(month ?? ''),
    Number(day),
    Number(h),
    Number(min),
    Number(sec),
    Number(ms),
  ).getTime();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/** A store read retried while Redis is down (a restart is one of the faults), for up to 30 s. */
async function readThroughOutages<T>(read: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 200) {
    try {
      return await read();
    } catch (err) {
      if (waited >= 30_000) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
