/**
 * The cluster as deploy/ ships it — haproxy with deploy/haproxy.cfg (addresses changed), three
 * real worker processes, one Redis with an append-only file — carrying concurrent calls on
 * Twilio, Plivo and Exotel while workers are SIGKILLed and SIGTERMed at every transfer state
 * (the human's phone ringing, the whisper/hold, the human joined, a carrier fetching markup),
 * each killed worker started again on its port. Judged from the simulator's own record (what
 * each caller and human heard, how each leg ended) and the store: no caller lost, every
 * transfer with exactly one outcome that matches what the human did.
 *
 * The plan (calls, humans, kill moments) comes from SEED; the test prints it with its figures.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';
import { eventually, settles } from '../support/eventually.js';
import {
  behaviourOf,
  count,
  followCall,
  judgeCall,
  timeline,
  transferScript,
  type Verdict,
} from './calls.js';
import { agentSessionsOf, CALLER, type Cluster, NUMBERS, startCluster, type WorkerSlot } from './cluster.js';
import { type Observed, Observer } from './observer.js';
import { type CallPlan, type KillStep, makePlan, prng } from './plan.js';

const SEED = 0x13c1;
/** Calls placed at least, and at most while kills are still waiting for their moment. */
const MIN_CALLS = 30;
const MAX_CALLS = 45;
const KILLS = 10;
/** Between two calls placed (pacing the load, not a wait for anything). */
const CALL_EVERY_MS = 700;
/** Paths the carriers fetch markup from (status callbacks are notifications, not markup). */
const MARKUP_URL = /\/(twilio|plivo|exotel)\/(?!status)/;

const plan = makePlan(SEED, MAX_CALLS, KILLS);
const humanAddress = (i: number): string => `+1415555${String(2000 + i)}`;

interface Kill {
  readonly step: KillStep;
  readonly worker: string;
  readonly call: number | undefined;
  readonly atMs: number;
  /** Wall clock of the kill (the simulator log's clock), for reading a dump. */
  readonly wallMs: number;
  /** The calls whose media socket the worker held when it was killed. */
  readonly holding: number[];
  /** How long the killed worker took to exit (SIGTERM: its drain). */
  exitMs?: number;
}

describe('a real cluster: haproxy, three workers, Redis with AOF, workers killed at every transfer state', () => {
  let cluster: Cluster | undefined;
  let store: Store<CallRecord> | undefined;
  const transferred = new Set<string>();
  const planOf = new Map<string, CallPlan & { index: number }>();

  const script = transferScript(
    (callId) => {
      const p = planOf.get(callId);
      return p === undefined ? undefined : { destination: humanAddress(p.index), mode: p.mode };
    },
    transferred,
    'cluster test',
    (callId) =>
      cluster?.agent.sessions.some(
        (x) => x.start?.callId === callId && x.frames('transfer_status').length > 0,
      ) ?? true,
  );

  beforeAll(async () => {
    cluster = await startCluster(script);
    store = createStore<CallRecord>({ redisUrl: cluster.redis.url });
  }, 90_000);
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  }, 60_000);

  it('loses no caller and gives every transfer exactly one outcome', async () => {
    const c = cluster!;
    const s = store!;
    const rnd = prng(SEED ^ 0x5a5a);
    const observer = new Observer(c.sim);
    const verdicts: Verdict[] = [];
    const kills: Kill[] = [];
    let killsDone = false;
    const lifecycles: Promise<void>[] = [];

    const place = async (index: number): Promise<void> => {
      const p = plan.calls[index] as CallPlan;
      const human = c.sim.network.addHuman(humanAddress(index), behaviourOf(p));
      observer.expectHuman(index, human);
      const call = await c.sim.network.placeCall({
        carrier: p.carrier,
        from: CALLER,
        to: NUMBERS[p.carrier],
        audio: { type: 'tone', hz: 440 },
      });
      planOf.set(call.sid, { ...p, index });
      const o = observer.add(index, call, human);
      const verdict: Verdict = { index, sid: call.sid, carrier: p.carrier };
      verdicts.push(verdict);
      lifecycles.push(lifecycle(o, p, verdict));
    };

    const lifecycle = (o: Observed, p: CallPlan, v: Verdict): Promise<void> =>
      followCall(o, p, v, {
        store: s,
        transferAsked: (sid) => transferred.has(sid),
        // Talk on while other workers die (a seeded length).
        talkMs: 2000 + Math.floor(rnd() * 4000),
      });

    // Calls keep coming while a kill waits for its moment, and pause while a killed worker is
    // exiting and starting again, so each kill finds calls in every state however slow the
    // machine is (bounded by MAX_CALLS).
    let restarted: Promise<void> = Promise.resolve();
    const placing = (async () => {
      for (let i = 0; i < MAX_CALLS && (i < MIN_CALLS || !killsDone); i++) {
        await restarted;
        await place(i);
        await new Promise((r) => setTimeout(r, CALL_EVERY_MS));
      }
    })();

    const problems: string[] = [];
    const killing = (async () => {
      for (const step of plan.kills) {
        const moment = new Promise<Observed | undefined>((resolve) => {
          observer.onState((state, call) => {
            if (state !== step.state) return;
            observer.onState(undefined);
            resolve(call);
          });
        });
        const rule =
          step.state === 'markup'
            ? c.sim.faults.add({ type: 'webhook.slow', match: { url: MARKUP_URL }, delayMs: 1 })
            : undefined;
        const call = await settles(moment, `a call to reach the ${step.state} state`, { timeoutMs: 120_000 });
        rule?.remove();
        const victim = await victimFor(c, s, call, rnd);
        const atMs = performance.now();
        victim.daemon.proc.kill(step.signal);
        const kill: Kill = {
          wallMs: Date.now(),
          step,
          worker: `${victim.name}.${victim.incarnation}`,
          call: call?.index,
          atMs,
          holding: [],
        };
        kills.push(kill);
        // The calls whose media socket the killed worker held (its claims stay in Redis).
        for (const o of observer.calls) {
          if (o.call.state === 'ended') continue;
          if ((await s.sockets.owner(o.call.sid)) === kill.worker) kill.holding.push(o.index);
        }
        const restart = (async () => {
          await settles(victim.daemon.exited, `${kill.worker} to exit after ${step.signal}`, {
            timeoutMs: 60_000,
          });
          kill.exitMs = Math.round(performance.now() - atMs);
          await c.restart(victim);
        })();
        restarted = restart.catch(() => {});
        await restart;
      }
    })()
      .catch((err: unknown) => {
        observer.onState(undefined);
        problems.push(`kill ${kills.length + 1}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        killsDone = true;
      });

    try {
      await Promise.all([placing, killing]);
      await Promise.all(lifecycles);
    } finally {
      observer.stop();
    }

    // Every human leg dialed has ended once every caller hung up.
    await eventually(
      () => c.sim.network.legs.every((l) => l.state === 'ended'),
      () =>
        `every leg to end; still up: ${c.sim.network.legs
          .filter((l) => l.state !== 'ended')
          .map((l) => `${l.direction} ${l.to} ${l.state}`)
          .join(', ')}`,
      { timeoutMs: 60_000, everyMs: 100 },
    ).catch((err: unknown) => problems.push(err instanceof Error ? err.message : String(err)));

    const outcomes = new Map<string, number>();
    for (const v of verdicts) {
      const o = observer.bySid(v.sid) as Observed;
      const p = plan.calls[v.index] as CallPlan;
      for (const problem of judgeCall(c.sim, o, p, v)) problems.push(problem.text);
      for (const t of v.record?.transfers ?? [])
        outcomes.set(t.outcome ?? 'none', (outcomes.get(t.outcome ?? 'none') ?? 0) + 1);
    }

    // Recovery: for each call whose socket the killed worker held, how long after the kill its
    // caller heard nothing (0 when the sound never stopped, e.g. a drain that waited for it).
    const recovery = kills.map((k) => {
      let worst = 0;
      for (const index of k.holding) {
        const o = observer.calls.find((x) => x.index === index);
        for (const g of o?.gaps ?? []) {
          if (g.fromMs <= k.atMs && g.toMs >= k.atMs) worst = Math.max(worst, g.toMs - k.atMs);
        }
      }
      return Math.round(worst);
    });
    const figures = [
      `cluster test seed=0x${SEED.toString(16)}: ${verdicts.length} calls (${count(verdicts, (v) => v.carrier)}), ${kills.length} kills`,
      ...kills.map(
        (k, i) =>
          `  kill ${i + 1}: ${k.step.signal} ${k.worker} at ${k.step.state}${k.call === undefined ? '' : ` of call ${k.call}`}, exited in ${k.exitMs} ms, held ${k.holding.length} streams, their callers heard again within ${recovery[i]} ms`,
      ),
      `  callers ended with: ${count(verdicts, (v) => v.settledAs ?? 'nobody')}`,
      `  transfer outcomes: ${[...outcomes].map(([k, n]) => `${k}=${n}`).join(' ')}`,
      `  slowest recovery (kill to the first sound heard again by a caller whose stream the worker held): ${Math.max(0, ...recovery)} ms`,
      `  problems: ${problems.length}`,
    ];
    console.log(figures.join('\n'));
    if (problems.length > 0) {
      console.log(`  details: ${dump(c, kills, verdicts, problems)}`);
      // CI keeps only what is printed: each failing call's timeline, short enough to read.
      for (const v of verdicts.filter((x) => problems.some((p) => p.includes(x.sid))))
        console.log(
          timeline(
            c,
            v,
            humanAddress(v.index),
            kills.map((k) => ({
              atMs: k.wallMs,
              what: `kill ${k.step.signal} ${k.worker} (${k.step.state})`,
            })),
          ),
        );
    }
    expect(kills.length).toBe(KILLS);
    expect(verdicts.length).toBeGreaterThanOrEqual(MIN_CALLS);
    expect(problems).toEqual([]);
  }, 600_000);
});

/** The worker holding the call's media socket, if it is alive; otherwise a seeded pick. */
async function victimFor(
  c: Cluster,
  s: Store<CallRecord>,
  call: Observed | undefined,
  rnd: () => number,
): Promise<WorkerSlot> {
  if (call !== undefined) {
    const owner = await s.sockets.owner(call.call.sid);
    const slot = c.workers.find((w) => `${w.name}.${w.incarnation}` === owner);
    if (slot !== undefined) return slot;
  }
  return c.workers[Math.floor(rnd() * c.workers.length)] as WorkerSlot;
}

/** Writes what a failure needs to be understood (the per-call logs, records, kills) to a file. */
function dump(
  c: Cluster,
  kills: readonly Kill[],
  verdicts: readonly Verdict[],
  problems: readonly string[],
): string {
  const file = join(tmpdir(), `patchthrough-cluster-${SEED.toString(16)}-${Date.now()}.json`);
  const bad = verdicts.filter((v) => problems.some((p) => p.includes(v.sid)));
  writeFileSync(
    file,
    JSON.stringify(
      {
        seed: SEED,
        problems,
        kills,
        calls: bad.map((v) => ({
          ...v,
          log: c.sim.log.forCall(v.sid).entries,
          agentSessions: agentSessionsOf(c, v.sid),
          humanLegs: c.sim.network.legs
            .filter((l) => l.to === humanAddress(v.index))
            .map((l) => ({ label: l.label, end: l.end, log: c.sim.log.forCall(l.label ?? '').entries })),
        })),
        workers: c.outputs(),
        haproxy: c.haproxy.output.join(''),
      },
      null,
      1,
    ),
  );
  return file;
}
