/**
 * One seed, one scenario of the transfer matrix: a carrier, a mode, what the human (and the
 * caller) do, how the transfer is asked for, and every timing — all drawn from the seed, so a
 * failure replays exactly from `npm run property -- --seed 0x…`.
 */
import { prng } from '../../sim/adversary/prng.js';
import type { HumanBehaviour } from '../../sim/endpoints/human.js';

export const CARRIERS = ['twilio', 'plivo', 'exotel'] as const;
export type Carrier = (typeof CARRIERS)[number];
export type Mode = 'cold' | 'warm' | 'agentic';

/**
 * Agentic (the agent briefs the human over its own socket): what the briefing agent does once the
 * human answered — speaks, then accepts; speaks, then declines; or its socket drops (the static
 * whisper stands in). Only the `answered` case draws a decline or a failure; the others accept.
 */
export type Briefing = 'accept' | 'decline' | 'fail';

/** The share of warm scenarios (on carriers that stream the human's leg) run as agentic. */
const AGENTIC_SHARE = 0.5;
/** Seeds the agentic draws' own stream. */
const AGENTIC_STREAM = 0x5eee;

export const CASES = [
  'answered',
  'busy',
  'no_answer',
  'failed',
  'human_hangs_up_in_whisper',
  'caller_hangs_up_while_ringing',
  'caller_hangs_up_on_hold',
  'caller_hangs_up_in_whisper',
] as const;
export type Case = (typeof CASES)[number];

export const TRIGGERS = ['tag', 'tool', 'api', 'silence'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/** Cases that need a conference (hold, whisper): warm, on a carrier that runs warm as such (not Exotel). */
const CONFERENCE_CASES: ReadonlySet<Case> = new Set([
  'human_hangs_up_in_whisper',
  'caller_hangs_up_on_hold',
  'caller_hangs_up_in_whisper',
]);

export interface Scenario {
  readonly seed: number;
  readonly carrier: Carrier;
  readonly mode: Mode;
  readonly case: Case;
  readonly trigger: Trigger;
  /** Humans tried first who do not take the call (a fallback chain), then the case's human. */
  readonly before: readonly HumanBehaviour[];
  /** What the case's human does. */
  readonly human: HumanBehaviour;
  /** How long the AI speaks before the transfer is asked for, ms. */
  readonly aiSpeaksMs: number;
  /** For the caller-hangs-up cases: how long after the moment (ringing, hold, whisper) the caller hangs up, ms. */
  readonly hangupAfterMs: number;
  /** How long the caller stays once with a person or back with the AI, ms. */
  readonly stayMs: number;
  /** The agent's ring timeout, s (the configuration's minimum is 5). */
  readonly ringTimeoutSec: number;
  /** Agentic: what the briefing agent does (see {@link Briefing}). */
  readonly briefing?: Briefing;
}

/** A human's voice for the whole call: the caller hearing it is the caller hearing the human. */
const VOICE = { type: 'tone', hz: 660, durationMs: 120_000 } as const;

export function scenarioFor(seed: number): Scenario {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const c = pick(CASES);
  const conference = CONFERENCE_CASES.has(c);
  const carrier = conference ? pick(['twilio', 'plivo'] as const) : pick(CARRIERS);
  const drawnMode: 'cold' | 'warm' = conference ? 'warm' : pick(['cold', 'warm'] as const);
  const trigger = pick(TRIGGERS);
  const answerAfterMs = between(200, 2000);
  const human: HumanBehaviour = ((): HumanBehaviour => {
    switch (c) {
      case 'answered':
        return { type: 'answer', afterMs: answerAfterMs, speak: VOICE };
      case 'busy':
        return { type: 'busy', afterMs: between(100, 1500) };
      case 'failed':
        return { type: 'fail', afterMs: between(100, 1200), sipCode: pick([404, 480, 503]) };
      case 'human_hangs_up_in_whisper':
        return {
          type: 'answer',
          afterMs: answerAfterMs,
          hangupDuringWhisper: { afterMs: between(50, 1500) },
          speak: VOICE,
        };
      case 'caller_hangs_up_in_whisper':
        return { type: 'answer', afterMs: answerAfterMs, speak: VOICE };
      case 'no_answer':
      case 'caller_hangs_up_while_ringing':
      case 'caller_hangs_up_on_hold':
        return { type: 'no-answer', ringAfterMs: between(20, 400) };
    }
  })();
  // The silence trigger dials the default destination, one number; the others may ask for a chain.
  const before: HumanBehaviour[] =
    trigger !== 'silence' && rnd() < 0.3
      ? [
          rnd() < 0.5
            ? { type: 'busy', afterMs: between(100, 800) }
            : { type: 'fail', afterMs: between(100, 800) },
        ]
      : [];
  const aiSpeaksMs = between(200, 1500);
  const hangupAfterMs = between(0, 1500);
  const stayMs = between(500, 1500);
  // From a stream of its own, so a seed's other draws are those it had before agentic joined the
  // matrix (and the seeds kept as regression tests still draw their warm scenarios).
  const more = prng(seed ^ AGENTIC_STREAM);
  const agentic = drawnMode === 'warm' && carrier !== 'exotel' && more() < AGENTIC_SHARE;
  const briefing: Briefing | undefined = !agentic
    ? undefined
    : c === 'answered'
      ? (['accept', 'decline', 'fail'] as const)[Math.floor(more() * 3)]
      : 'accept';
  return {
    seed,
    carrier,
    mode: agentic ? 'agentic' : drawnMode,
    case: c,
    trigger,
    before,
    human,
    aiSpeaksMs,
    hangupAfterMs,
    stayMs,
    ringTimeoutSec: 5,
    ...(briefing === undefined ? {} : { briefing }),
  };
}

/** One line naming the scenario. */
export function describeScenario(s: Scenario): string {
  const chain = s.before.length === 0 ? '' : `, after ${s.before.map((b) => b.type).join('+')}`;
  const briefed = s.briefing === undefined || s.briefing === 'accept' ? '' : ` (briefing: ${s.briefing})`;
  return `seed 0x${s.seed.toString(16)}: ${s.carrier} ${s.mode} ${s.case}${briefed} by ${s.trigger}${chain}`;
}
