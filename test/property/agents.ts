/**
 * What the daemon and the scripted agent are told for each scenario of a run: one agent
 * configuration per scenario (its own inbound number, mode, chain and silence handling), the
 * numbers of its humans, and the script the agent plays on its call.
 */
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import type { Scenario } from './scenario.js';

/** The warm whisper: long enough (about 4 s at the simulator's 60 ms a character) to hang up during it. */
const WHISPER = 'Incoming transfer from the property test: the caller wants a person now.';
/** The transfer rule every trigger but silence names. */
export const RULE = 'Desk';

/** Scenario `k` of a run: its numbers, distinct from every other scenario's of the run. */
export function numbersOf(k: number, s: Scenario): { inbound: string; chain: string[] } {
  const pad = (n: number): string => String(n).padStart(4, '0');
  const chain = [...s.before, s.human].map((_, j) => `+1415800${pad(k * 4 + j)}`);
  return { inbound: `+1415700${pad(k)}`, chain };
}

/**
 * No agent names a `holdAudio`: every carrier's caller must hear something on hold all the same
 * (Twilio's default music; on Plivo, which has none, the daemon's own `waitSound`, docs/plivo.md).
 */
export function agentConfig(k: number, s: Scenario, agentUrl: string): Record<string, unknown> {
  const { inbound, chain } = numbersOf(k, s);
  return {
    id: `property-${k}`,
    numbers: [inbound],
    carrier: s.carrier,
    // The scenario's index in the URL: the scripted agent accepts each scenario's socket as late as its adversary says.
    agent: { url: `${agentUrl}/?scenario=${k}` },
    handoffConfig: {
      ...(s.mode === 'agentic' ? { mode: 'agentic' } : { warm: s.mode === 'warm' }),
      whisper: WHISPER,
      transferDestination: chain[chain.length - 1],
      transferRules: [{ label: RULE, when: 'the caller asks for a person', destination: chain }],
      ringTimeoutSec: s.ringTimeoutSec,
    },
    ...(s.trigger === 'silence'
      ? { callControl: { onNoResponseAction: 'transfer', noResponseTimeoutSec: 1 } }
      : {}),
    destinationPolicy: { allow: [], countries: [] },
  };
}

/**
 * The AI speaks without a pause (1 s of audio every 0.9 s) whenever the caller is with it, so
 * any silence the caller hears is not the AI's.
 */
const SPEAK_ON: readonly ScriptStep[] = Array.from({ length: 150 }, () => [
  { say: 1000, mark: false } as const,
  { waitMs: 900 } as const,
]).flat();

/**
 * The briefing socket's script (agentic, `role: briefing`): the agent speaks to the human (an
 * 880 Hz tone, long enough to hang up during it), then decides once its words have played; or
 * its socket drops mid-sentence.
 */
function briefingScript(s: Scenario): readonly ScriptStep[] {
  switch (s.briefing ?? 'accept') {
    case 'accept':
      return [
        { say: 2500, toneHz: 880, mark: 'briefed' },
        { awaitMark: 'briefed' },
        { briefingResult: { accepted: true } },
      ];
    case 'decline':
      return [
        { say: 2500, toneHz: 880, mark: 'briefed' },
        { awaitMark: 'briefed' },
        { briefingResult: { accepted: false, reason: 'busy' } },
      ];
    case 'fail':
      return [{ say: 600, toneHz: 880 }, { close: 'abrupt' }];
  }
}

/** The agent's script on a scenario's call (on a reconnected socket: only speaking on). */
export function scriptFor(s: Scenario, k: number, start: ScriptStart): readonly ScriptStep[] {
  if (start.customParameters['role'] === 'briefing') return briefingScript(s);
  // A silent AI stays silent on a reconnected socket until the caller is back from the transfer.
  if (start.resumed) return s.trigger === 'silence' ? [{ awaitEvent: 'resume' }, ...SPEAK_ON] : SPEAK_ON;
  const { chain } = numbersOf(k, s);
  switch (s.trigger) {
    case 'tag':
      return [
        { say: s.aiSpeaksMs },
        { text: [`One moment ${chain.map((n) => `[TRANSFER:${n}]`).join(' ')}`] },
        { say: 300 },
        ...SPEAK_ON,
      ];
    case 'tool':
      return [
        { say: s.aiSpeaksMs },
        { toolCall: { name: 'transfer_call', arguments: { destination: RULE } } },
        { say: 300 },
        ...SPEAK_ON,
      ];
    case 'api':
      return SPEAK_ON;
    case 'silence':
      // Silence is the caller's and the AI's: the AI greets, then waits for the caller to come back.
      return [{ say: 300 }, { awaitEvent: 'resume' }, ...SPEAK_ON];
  }
}
