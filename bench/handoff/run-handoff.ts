/**
 * `npm run bench -- handoff`: what the caller hears around a transfer, from the simulator's
 * recording of every 20 ms frame the caller heard (source `stream:…` = the AI, `hold`,
 * `ringback`, `party:…`). Five scenarios run side by side, `perScenario` calls each:
 *
 * - warm, answered: the AI's last frame → the first hold-audio frame (DESIGN.md: ≤ 300 ms);
 * - cold, answered: the AI's last frame → the first ringback frame;
 * - warm and cold, busy: the failed leg's report reaching the daemon → the AI heard again (≤ 500 ms);
 * - warm, nobody answers and the carrier never says so: the daemon's ring backstop timer fires
 *   (lateness after its deadline: ≤ 1 s) → the AI heard again;
 * - agentic, answered: the human's leg answered → the first briefing audio the human hears, and
 *   the briefing's acceptance reaching the daemon → the caller hears the human.
 */

import type { SimCall } from '../../sim/endpoints/caller.js';
import type { HumanEndpoint } from '../../sim/endpoints/human.js';
import type { HeardSegment } from '../../sim/heard.js';
import type { Leg } from '../../sim/leg.js';
import type { AgentPlan } from '../control/bench-agent.js';
import { type Rig, startRig } from '../control/rig.js';
import { CALLER, INBOUND } from '../lib/daemon-setup.js';
import type { DispatchRecord, InstrumentCounters } from '../lib/instrument.js';
import { epochMs } from '../lib/probe.js';
import { type Summary, sleep, summarize } from '../lib/stats.js';

export interface HandoffOptions {
  readonly perScenario: number;
  readonly log: (line: string) => void;
}

type ScenarioName =
  | 'warm-answered'
  | 'cold-answered'
  | 'warm-busy'
  | 'cold-busy'
  | 'warm-ring-backstop'
  | 'agentic-briefing'
  | 'agentic-accept';

export interface ScenarioResult {
  readonly scenario: ScenarioName;
  /** What is measured, from → to. */
  readonly measure: string;
  readonly calls: number;
  /** Calls where both ends of the gap were found. */
  readonly measured: number;
  readonly gapMs: Summary;
  /** For the backstop: how late the ring timer fired after its deadline. */
  readonly timerLateMs?: Summary;
  /** What the caller heard, in order of first hearing (one call shown). */
  readonly heardSequence: readonly string[];
}

export interface HandoffResult {
  readonly scenarios: readonly ScenarioResult[];
}

const ANSWERS = '+14155550111';
const BUSY = '+14155550112';
const NO_ANSWER = '+14155550122';

const PLANS: Readonly<Record<ScenarioName, Omit<AgentPlan, 'answerSummary' | 'trigger'>>> = {
  'warm-answered': { sayMs: 600, destination: ANSWERS, mode: 'warm', resumeSayMs: 400 },
  'cold-answered': { sayMs: 600, destination: ANSWERS, mode: 'cold', resumeSayMs: 400 },
  'warm-busy': { sayMs: 600, destination: BUSY, mode: 'warm', resumeSayMs: 400 },
  'cold-busy': { sayMs: 600, destination: BUSY, mode: 'cold', resumeSayMs: 400 },
  'warm-ring-backstop': { sayMs: 600, destination: NO_ANSWER, mode: 'warm', resumeSayMs: 400 },
  'agentic-briefing': { sayMs: 600, destination: ANSWERS, mode: 'agentic', resumeSayMs: 400 },
  'agentic-accept': { sayMs: 600, destination: ANSWERS, mode: 'agentic', resumeSayMs: 400 },
};

export async function runHandoff(options: HandoffOptions): Promise<HandoffResult> {
  // The carrier never reports the unanswered leg (its own timeout is far away), so the daemon's
  // ring backstop (ring timeout 5 s + 5 s grace) is what ends it.
  const rig = await startRig({ ringTimeoutBufferMs: 60_000 });
  try {
    rig.sim.network.addHuman(ANSWERS, { type: 'answer', afterMs: 1500, speak: { type: 'tone', hz: 660 } });
    rig.sim.network.addHuman(BUSY, { type: 'busy', afterMs: 1500 });
    rig.sim.network.addHuman(NO_ANSWER, { type: 'no-answer' });
    await rig.daemon.call('counters');
    const names = Object.keys(PLANS) as ScenarioName[];
    const calls: { scenario: ScenarioName; call: SimCall }[] = [];
    options.log(`handoff: ${names.length} scenarios × ${options.perScenario} calls`);
    for (let i = 0; i < options.perScenario; i++) {
      for (const scenario of names) {
        const call = await rig.sim.network.placeCall({ carrier: 'twilio', from: CALLER, to: INBOUND });
        rig.agent.plan(call.sid, { ...PLANS[scenario], trigger: 'event', answerSummary: true });
        calls.push({ scenario, call });
        await sleep(40);
      }
    }
    // Long enough for the backstop (10 s after its trigger) and the AI to be heard again.
    const deadline = epochMs() + 20_000;
    const backstops = calls.filter((c) => c.scenario === 'warm-ring-backstop');
    while (
      epochMs() < deadline &&
      !backstops.every((c) => aiBackAfter(c.call.heard.segments, 'hold') !== undefined)
    ) {
      await sleep(200);
    }
    await sleep(500);
    for (const { call } of calls) call.hangup();
    await Promise.race([Promise.all(calls.map((c) => c.call.ended)), sleep(10_000)]);
    const counters = await rig.daemon.call<InstrumentCounters>('counters');
    return {
      scenarios: names.map((name) =>
        measureScenario(
          rig,
          name,
          calls.filter((c) => c.scenario === name).map((c) => c.call),
          counters.dispatches,
        ),
      ),
    };
  } finally {
    await rig.close();
  }
}

function measureScenario(
  rig: Rig,
  scenario: ScenarioName,
  calls: readonly SimCall[],
  dispatches: readonly DispatchRecord[],
): ScenarioResult {
  const gaps: number[] = [];
  const late: number[] = [];
  const local = (daemonMs: number) => daemonMs - rig.offsetMs;
  for (const call of calls) {
    const segments = call.heard.segments;
    const mine = dispatches.filter((d) => d.callId === call.sid && d.status === 'applied');
    if (scenario === 'agentic-briefing') {
      // The human's leg of this call: the one whose first briefing audio is measured.
      const human = humanLegOf(rig, call);
      const briefed = human?.leg.label === undefined ? undefined : human.heardFirst('stream:');
      if (human?.leg.answeredAtMs !== undefined && briefed !== undefined)
        gaps.push(briefed.startMs - human.leg.answeredAtMs);
      continue;
    }
    if (scenario === 'agentic-accept') {
      const accepted = mine.find((d) => d.input === 'transfer.event:briefing.result');
      if (accepted === undefined) continue;
      const at = local(accepted.startedAtMs);
      const party = segments.find((s) => s.source.startsWith('party:') && s.startMs >= at);
      if (party !== undefined) gaps.push(party.startMs - at);
      continue;
    }
    if (scenario === 'warm-answered' || scenario === 'cold-answered') {
      const next = segments.find((s) => s.source === (scenario === 'warm-answered' ? 'hold' : 'ringback'));
      const lastAi = next === undefined ? undefined : lastBefore(segments, 'stream:', next.startMs);
      if (next !== undefined && lastAi !== undefined) gaps.push(next.startMs - lastAi.endMs);
      continue;
    }
    const failure =
      scenario === 'warm-ring-backstop'
        ? mine.find((d) => d.input === 'transfer.event:timer.fired' && d.timer === 'ring')
        : mine.find((d) => d.input === 'transfer.event:leg.ended');
    if (failure === undefined) continue;
    if (failure.timerLateMs !== undefined) late.push(failure.timerLateMs);
    const reportedAt = local(failure.startedAtMs);
    const back = segments.find((s) => s.source.startsWith('stream:') && s.startMs > reportedAt);
    if (back !== undefined) gaps.push(back.startMs - reportedAt);
  }
  const measure =
    scenario === 'agentic-briefing'
      ? "human's leg answered → first briefing audio the human hears"
      : scenario === 'agentic-accept'
        ? 'briefing accepted at the daemon → caller hears the human'
        : scenario === 'warm-answered'
          ? "AI's last frame → first hold frame"
          : scenario === 'cold-answered'
            ? "AI's last frame → first ringback frame"
            : scenario === 'warm-ring-backstop'
              ? 'ring backstop fired → AI heard again'
              : "failed leg's report at the daemon → AI heard again";
  return {
    scenario,
    measure,
    calls: calls.length,
    measured: gaps.length,
    gapMs: summarize(gaps),
    ...(late.length === 0 ? {} : { timerLateMs: summarize(late) }),
    heardSequence: sequence(calls[0]?.heard.segments ?? []),
  };
}

/** The human's leg this call reached (the leg heard the caller's own party audio, or was dialed for it). */
function humanLegOf(
  rig: Rig,
  call: SimCall,
): { readonly leg: Leg; heardFirst(prefix: string): HeardSegment | undefined } | undefined {
  const human: HumanEndpoint = rig.sim.network.endpoint(ANSWERS);
  // The caller heard `party:<human leg>`: that names the human's leg of this call.
  const party = call.heard.segments.find((s) => s.source.startsWith('party:'));
  const legLabel = party?.source.slice('party:'.length);
  const leg = human.legs.find((l) => l.label === legLabel);
  if (leg === undefined) return undefined;
  return {
    leg,
    heardFirst: (prefix) =>
      human.heard.segments
        .filter((s) => s.leg === leg.label && s.source.startsWith(prefix))
        .sort((a, b) => a.startMs - b.startMs)[0],
  };
}

function lastBefore(
  segments: readonly HeardSegment[],
  prefix: string,
  atMs: number,
): HeardSegment | undefined {
  let best: HeardSegment | undefined;
  for (const s of segments) {
    if (s.source.startsWith(prefix) && s.endMs <= atMs + 1 && (best === undefined || s.endMs > best.endMs))
      best = s;
  }
  return best;
}

/** The AI heard again after the first segment from `source`. */
function aiBackAfter(segments: readonly HeardSegment[], source: string): HeardSegment | undefined {
  const first = segments.find((s) => s.source === source);
  if (first === undefined) return undefined;
  return segments.find((s) => s.source.startsWith('stream:') && s.startMs > first.startMs);
}

function sequence(segments: readonly HeardSegment[]): string[] {
  const out: string[] = [];
  for (const s of [...segments].sort((a, b) => a.startMs - b.startMs)) {
    const kind = s.source.includes(':') ? `${s.source.split(':')[0]}:` : s.source;
    if (out[out.length - 1] !== kind) out.push(kind);
  }
  return out;
}
