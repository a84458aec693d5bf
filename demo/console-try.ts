/**
 * The console's "Try it" over the carrier simulator: a scenario is a scripted agent turn, the
 * humans' behaviour and the caller's; placing one makes a simulated caller dial the agent's
 * number through the Twilio simulator, so the call goes through the daemon like any other.
 */
import type { Simulator } from '../sim/simulator.js';
import type { ScriptStart, ScriptStep } from '../src/agent/scripted-agent-server.js';
import type { TryIt, TryScenario } from '../src/http/api/routes-console.js';
import { type DemoScenario, SCENARIOS, WARM_NUMBER } from './scenarios.js';

export interface TryEntry extends TryScenario {
  readonly scenario: DemoScenario;
}

/** The demo's scenarios, plus a warm transfer whose only human is busy (a failure to read). */
export const TRY_SCENARIOS: readonly TryEntry[] = [
  { id: 'cold-answered', title: SCENARIOS[0]!.title, scenario: SCENARIOS[0]! },
  { id: 'warm-whisper', title: SCENARIOS[1]!.title, scenario: SCENARIOS[1]! },
  { id: 'busy-then-next', title: SCENARIOS[2]!.title, scenario: SCENARIOS[2]! },
  { id: 'no-answer', title: SCENARIOS[3]!.title, scenario: SCENARIOS[3]! },
  { id: 'caller-hangs-up', title: SCENARIOS[4]!.title, scenario: SCENARIOS[4]! },
  { id: 'refused-number', title: SCENARIOS[5]!.title, scenario: SCENARIOS[5]! },
  {
    id: 'warm-busy',
    title: 'Warm transfer to a busy line: the caller comes back to the AI',
    scenario: {
      title: 'Warm transfer to a busy line',
      dial: WARM_NUMBER,
      script: [
        { say: 400 },
        { text: ['Let me get Maria [TRANSFER:+14155550122]'] },
        { awaitEvent: 'resume' },
        { say: 800 },
      ],
      humans: { '+14155550122': { type: 'busy', afterMs: 400 } },
      maxMs: 2000,
    },
  },
];

/**
 * Scripts are handed to the agent in the order calls are placed (the agent learns of a call only
 * from its stream's `start`), so two test calls placed at the same instant may swap scripts.
 */
export class SimTryIt implements TryIt {
  readonly scenarios: readonly TryScenario[];
  readonly #entries: readonly TryEntry[];
  readonly #queue: (readonly ScriptStep[])[] = [];
  readonly #sim: () => Simulator;
  readonly #caller: string;

  constructor(
    sim: () => Simulator,
    options: { readonly caller: string; readonly entries?: readonly TryEntry[] },
  ) {
    this.#entries = options.entries ?? TRY_SCENARIOS;
    this.scenarios = this.#entries.map(({ id, title }) => ({ id, title }));
    this.#sim = sim;
    this.#caller = options.caller;
  }

  /** The scripted agent's `script`: the next placed scenario's turn; nothing after a resume. */
  readonly script = (start: ScriptStart): readonly ScriptStep[] =>
    start.resumed ? [] : (this.#queue.shift() ?? [{ say: 400 }]);

  async place(scenarioId: string): Promise<{ readonly callId: string }> {
    const entry = this.#entries.find((e) => e.id === scenarioId);
    if (entry === undefined) throw new Error(`no scenario ${scenarioId}`);
    const sim = this.#sim();
    const { scenario } = entry;
    for (const [n, b] of Object.entries(scenario.humans)) {
      if (!sim.network.hasEndpoint(n)) sim.network.addHuman(n, b);
      else sim.network.endpoint(n).setBehaviour(b);
    }
    this.#queue.push(scenario.script);
    const call = await sim.network.placeCall({
      carrier: 'twilio',
      from: this.#caller,
      to: scenario.dial,
      audio: { type: 'tone', hz: 440, amplitude: 0.2 },
      hangupAfterMs: scenario.callerHangsUpAfterMs ?? scenario.maxMs,
    });
    return { callId: call.sid };
  }
}
