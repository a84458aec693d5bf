/**
 * The seeded choices of the cluster test: what each human does, which transfer mode each call
 * asks for, and when each worker is killed (a transfer state and a signal). One seed gives one
 * plan; the test prints it so a failure can be replayed.
 */

import { prng } from '../../sim/adversary/prng.js';

export { prng };

/** The moments a worker is killed at, named by what the call that triggers it is doing. */
export const KILL_STATES = ['ringing', 'whisper', 'connected', 'markup'] as const;
export type KillState = (typeof KILL_STATES)[number];
export type KillSignal = 'SIGKILL' | 'SIGTERM';

export interface KillStep {
  readonly state: KillState;
  readonly signal: KillSignal;
}

/** What the human a call is transferred to does. */
export type HumanPlan = 'answers' | 'busy' | 'no-answer' | 'hangs-up-in-whisper';

export interface CallPlan {
  readonly carrier: 'twilio' | 'plivo' | 'exotel';
  readonly mode: 'warm' | 'cold';
  readonly human: HumanPlan;
  /** When the human answers, ms after the dial. */
  readonly answerAfterMs: number;
}

export interface Plan {
  readonly seed: number;
  readonly calls: readonly CallPlan[];
  readonly kills: readonly KillStep[];
}

const CARRIERS = ['twilio', 'plivo', 'exotel'] as const;

/**
 * `calls` calls (carriers in turn, so each gets a third) and `kills` kills: every state with
 * both signals once, the rest drawn, all in a seeded order.
 */
export function makePlan(seed: number, calls: number, kills: number): Plan {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const callPlans: CallPlan[] = [];
  for (let i = 0; i < calls; i++) {
    const r = rnd();
    const human: HumanPlan =
      r < 0.6 ? 'answers' : r < 0.75 ? 'busy' : r < 0.9 ? 'no-answer' : 'hangs-up-in-whisper';
    // Most transfers warm: the whisper and hold states only exist there.
    const mode = human === 'hangs-up-in-whisper' || rnd() < 0.6 ? 'warm' : 'cold';
    callPlans.push({
      carrier: CARRIERS[i % CARRIERS.length] as CallPlan['carrier'],
      mode,
      human,
      answerAfterMs: 1500 + Math.floor(rnd() * 2500),
    });
  }
  const steps: KillStep[] = [];
  for (const state of KILL_STATES)
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) steps.push({ state, signal });
  while (steps.length < kills)
    steps.push({ state: pick(KILL_STATES), signal: pick(['SIGKILL', 'SIGTERM'] as const) });
  for (let i = steps.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [steps[i], steps[j]] = [steps[j] as KillStep, steps[i] as KillStep];
  }
  return { seed, calls: callPlans, kills: steps.slice(0, kills) };
}
