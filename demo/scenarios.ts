import type { HumanBehaviour } from '../sim/endpoints/human.js';
import type { ScriptStep } from '../src/agent/scripted-agent-server.js';

/** One scripted call of the demo: what the agent does, who answers, what the caller does. */
export interface DemoScenario {
  readonly title: string;
  /** The number the caller dials (which agent answers). */
  readonly dial: string;
  readonly script: readonly ScriptStep[];
  readonly humans: Readonly<Record<string, HumanBehaviour>>;
  /** Hang up this long after the call is answered; default: once the call settles. */
  readonly callerHangsUpAfterMs?: number;
  /** How long the call runs at most before the caller hangs up, ms. */
  readonly maxMs: number;
}

export const COLD_NUMBER = '+14155550100';
export const WARM_NUMBER = '+14155550101';

const talks = (ms: number) => ({ type: 'tone', hz: 660, durationMs: ms }) as const;

export const SCENARIOS: readonly DemoScenario[] = [
  {
    title: 'Cold transfer, answered',
    dial: COLD_NUMBER,
    script: [
      { say: 600 },
      { text: ['Let me put you through ', 'to billing [TRANS', 'FER:+14155550111]'] },
      { say: 400 },
    ],
    humans: { '+14155550111': { type: 'answer', afterMs: 600, speak: talks(1500) } },
    maxMs: 4000,
  },
  {
    title: 'Warm transfer: hold, a whisper from the agent summary, then joined',
    dial: WARM_NUMBER,
    script: [
      { say: 600 },
      { transfer: { rule: 'Billing', reason: 'caller asks about a refund' } },
      { say: 400 },
    ],
    humans: { '+14155550111': { type: 'answer', afterMs: 800, speak: talks(8000) } },
    maxMs: 7000,
  },
  {
    title: 'Busy, then the next number answers',
    dial: COLD_NUMBER,
    script: [{ say: 400 }, { transfer: { rule: 'Billing' } }, { say: 300 }],
    humans: {
      '+14155550111': { type: 'busy', afterMs: 300 },
      '+14155550112': { type: 'answer', afterMs: 500, speak: talks(1500) },
    },
    maxMs: 5000,
  },
  {
    title: 'Nobody answers: the caller comes back to the AI',
    dial: COLD_NUMBER,
    script: [
      { say: 400 },
      { text: ['Trying the Spanish line [TRANSFER:+14155550122]'] },
      { awaitEvent: 'resume' },
      { say: 800 },
    ],
    humans: { '+14155550122': { type: 'no-answer' } },
    maxMs: 9000,
  },
  {
    title: 'The caller hangs up while the human rings',
    dial: WARM_NUMBER,
    script: [{ say: 400 }, { text: ['One moment [TRANSFER:+14155550133]'] }, { say: 300 }],
    humans: { '+14155550133': { type: 'no-answer' } },
    callerHangsUpAfterMs: 2500,
    maxMs: 4000,
  },
  {
    title: 'A [TRANSFER:] to a number not in the configuration is refused',
    dial: COLD_NUMBER,
    script: [{ say: 400 }, { text: ['Sure, connecting you [TRANSFER:+19005550199]'] }, { say: 600 }],
    humans: { '+19005550199': { type: 'answer', afterMs: 200 } },
    maxMs: 2500,
  },
];
