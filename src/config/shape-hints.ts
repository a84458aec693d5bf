/**
 * Hints for field names that belong to another platform's shape, written where this one does not
 * read them: `"transfer_type" is nixflex's name; did you mean …`, rather than only
 * `Unrecognized key`. Where each shape's fields are accepted is in seed-shapes.ts and
 * docs/migrating.md.
 */
import { SHAPE_NAMES } from './seed-shapes.js';

interface Hint {
  readonly shape: keyof typeof SHAPE_NAMES;
  /** What to write instead: where this daemon reads it. */
  readonly instead: string;
}

const HINTS: Readonly<Record<string, Hint>> = {
  transfer_type: {
    shape: 'nixflex',
    instead: "transfer_type at the agent's top level, or handoffConfig.warm",
  },
  transferType: {
    shape: 'nixflex',
    instead: "transfer_type at the agent's top level, or handoffConfig.warm",
  },
  transfer_whisper: {
    shape: 'nixflex',
    instead: "transfer_whisper at the agent's top level, or handoffConfig.whisper",
  },
  transfer_number: {
    shape: 'seed-003',
    instead: 'configurations.transfer_number, or handoffConfig.transferDestination',
  },
  transferNumber: {
    shape: 'seed-003',
    instead: 'configurations.transfer_number, or handoffConfig.transferDestination',
  },
  outbound_number_id: {
    shape: 'seed-003',
    instead: "lead.outbound_number_id on POST /v1/calls, or the agent's outboundNumber",
  },
  lead: { shape: 'seed-003', instead: 'lead on POST /v1/calls (a call, not the agent)' },
  global_builtin_functions: {
    shape: 'seed-003',
    instead: "global_builtin_functions at the agent's top level",
  },
  tools: { shape: 'voicedock', instead: 'llm_config.tools, or tools.endCall / tools.connectToLiveAgent' },
  destinations: {
    shape: 'voicedock',
    instead: 'llm_config.tools[].destinations, or handoffConfig.transferRules',
  },
  first_message: {
    shape: 'voicedock',
    instead: "first_message at the agent's top level (your bot speaks it)",
  },
  transferDestination: { shape: 'flowyte', instead: 'handoffConfig.transferDestination' },
  transferRules: { shape: 'flowyte', instead: 'handoffConfig.transferRules' },
  warm: { shape: 'flowyte', instead: 'handoffConfig.warm' },
  whisper: { shape: 'flowyte', instead: 'handoffConfig.whisper' },
  destination: {
    shape: 'flowyte',
    instead: 'executionConfig.destination (skills) or handoffConfig.transferRules[].destination',
  },
  onNoResponseAction: { shape: 'flowyte', instead: 'callControl.onNoResponseAction' },
  allowHumanTransfer: { shape: 'flowyte', instead: 'afterHours.allowHumanTransfer' },
};

/**
 * The message for an unrecognized `key` at `path` (formatted, e.g. `handoffConfig`), when the
 * key is another shape's name; undefined otherwise (the plain message stands).
 */
export function shapeHint(key: string, path: string): string | undefined {
  const hint = HINTS[key];
  if (hint === undefined) return undefined;
  // A flowyte name one level too high, or too low, is still a wrong place; say where it goes.
  const where = path === '' ? "at the agent's top level" : `under ${path}`;
  return `"${key}" is ${SHAPE_NAMES[hint.shape]}'s name, not read ${where}; did you mean ${hint.instead}?`;
}
