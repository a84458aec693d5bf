/**
 * The seed platforms' own agent shapes, mapped to the native one on load (agents file and
 * `PATCH /v1/agents/{id}`). Pure: a raw agent object in, a raw native object out, plus every
 * problem found with its path. The native schema (agent-schema.ts) then checks the result, so a
 * bad number under `configurations.transfer_number` is reported where it now lives
 * (`handoffConfig.transferDestination`) and the mapping note says where that came from.
 *
 * - nixflex (seed 002): `transfer_type: 'cold' | 'warm'`, `transfer_whisper: string | null`.
 * - seed 003: `configurations.transfer_number`, `global_builtin_functions` with
 *   `connect_to_live_agent`.
 * - VoiceDock (seed 004): `llm_config.tools[]` — `transfer_call` with `destinations[]` and
 *   `end_call` — and the assistant's own LLM settings (`first_message`, `llm_config.provider`,
 *   `model`, `messages`), which the bot behind patchthrough runs and the daemon does not use.
 */
import type { ConfigIssue } from './config-error.js';

/** The platforms whose shapes are mapped. */
export const SEED_SHAPES = ['nixflex', 'seed-003', 'voicedock'] as const;
export type SeedShape = (typeof SEED_SHAPES)[number];

/** Display names used in hints and docs. */
export const SHAPE_NAMES: Readonly<Record<SeedShape | 'flowyte', string>> = {
  nixflex: 'nixflex',
  'seed-003': 'seed 003',
  voicedock: 'VoiceDock',
  flowyte: 'flowyte',
};

/** One mapped field: where it was written and where it lives in the native form. */
export interface MappedField {
  readonly from: string;
  readonly to: string;
}

/**
 * The note kept on an agent loaded from a seed's shape (`mappedFrom` in the native form): which
 * shapes, which field went where, and what the daemon keeps no copy of (the bot's own settings).
 */
export interface MappedFrom {
  readonly shapes: readonly SeedShape[];
  readonly fields: readonly MappedField[];
  readonly unused: readonly string[];
}

export interface ShapeMapping {
  /** The agent in the native shape (the input itself when nothing was mapped). */
  readonly agent: unknown;
  /** Problems with the seed fields, paths relative to the agent. */
  readonly issues: readonly ConfigIssue[];
}

type Json = Record<string, unknown>;

const TOP_LEVEL_KEYS = ['transfer_type', 'transfer_whisper', 'configurations', 'global_builtin_functions'];
const VOICEDOCK_IGNORED = ['provider', 'model', 'messages'];

/** Maps the seed fields of one raw agent object; anything else passes through untouched. */
export function mapSeedShapes(raw: unknown): ShapeMapping {
  if (!isRecord(raw)) return { agent: raw, issues: [] };
  const seedKeys = [...TOP_LEVEL_KEYS, 'llm_config', 'first_message'].filter((k) => k in raw);
  const listTools = Array.isArray(raw['tools']);
  if (seedKeys.length === 0 && !listTools) return { agent: raw, issues: [] };
  const out: Json = { ...raw };
  for (const key of seedKeys) delete out[key];
  if (listTools) delete out['tools'];
  const m = new Mapper(out);
  nixflex(raw, m);
  seed003(raw, m);
  voicedock(raw, m);
  const previous = isRecord(raw['mappedFrom']) ? raw['mappedFrom'] : undefined;
  if (m.fields.length > 0 || m.unused.length > 0) {
    const note: MappedFrom = {
      shapes: SEED_SHAPES.filter((s) => m.shapes.has(s) || asStrings(previous?.['shapes']).includes(s)),
      fields: m.fields,
      unused: m.unused,
    };
    out['mappedFrom'] = note;
  }
  return { agent: out, issues: m.issues };
}

class Mapper {
  readonly shapes = new Set<SeedShape>();
  readonly fields: MappedField[] = [];
  readonly unused: string[] = [];
  readonly issues: ConfigIssue[] = [];
  readonly #out: Json;

  constructor(out: Json) {
    this.#out = out;
  }

  /** Sets `path` (dotted, objects only) in the native form, reporting a clash with a native value. */
  set(shape: SeedShape, from: string, path: readonly string[], value: unknown): void {
    this.shapes.add(shape);
    const to = path.join('.');
    let node = this.#out;
    for (const key of path.slice(0, -1)) {
      const child = node[key];
      const next: Json = isRecord(child) ? { ...child } : {};
      node[key] = next;
      node = next;
    }
    const last = path[path.length - 1] ?? '';
    if (last in node && JSON.stringify(node[last]) !== JSON.stringify(value)) {
      this.issues.push({ path: from, message: `${to} is also set; give one of ${from} and ${to}` });
      return;
    }
    node[last] = value;
    this.fields.push({ from, to });
  }

  /** Appends to a native array (e.g. transfer rules). */
  append(shape: SeedShape, from: string, path: readonly [string, string], value: unknown): void {
    this.shapes.add(shape);
    const [outer, inner] = path;
    const parent = isRecord(this.#out[outer]) ? { ...(this.#out[outer] as Json) } : {};
    const list = Array.isArray(parent[inner]) ? [...(parent[inner] as unknown[])] : [];
    list.push(value);
    parent[inner] = list;
    this.#out[outer] = parent;
    this.fields.push({ from, to: `${outer}.${inner}[${list.length - 1}]` });
  }

  ignore(shape: SeedShape, path: string): void {
    this.shapes.add(shape);
    this.unused.push(path);
  }

  issue(path: string, message: string): void {
    this.issues.push({ path, message });
  }
}

function nixflex(raw: Json, m: Mapper): void {
  if ('transfer_type' in raw) {
    const type = raw['transfer_type'];
    if (type === 'cold' || type === 'warm')
      m.set('nixflex', 'transfer_type', ['handoffConfig', 'warm'], type === 'warm');
    else m.issue('transfer_type', "must be 'cold' or 'warm'");
  }
  if ('transfer_whisper' in raw) {
    const whisper = raw['transfer_whisper'];
    if (whisper === null || typeof whisper === 'string')
      m.set('nixflex', 'transfer_whisper', ['handoffConfig', 'whisper'], whisper);
    else m.issue('transfer_whisper', 'must be a string, or null for a summary the agent writes');
  }
}

function seed003(raw: Json, m: Mapper): void {
  if ('configurations' in raw) {
    const conf = raw['configurations'];
    if (!isRecord(conf)) m.issue('configurations', 'expected an object such as { "transfer_number": "+1…" }');
    else {
      for (const [key, value] of Object.entries(conf)) {
        if (key === 'transfer_number')
          m.set(
            'seed-003',
            'configurations.transfer_number',
            ['handoffConfig', 'transferDestination'],
            value,
          );
        else
          m.issue(`configurations.${key}`, 'unknown template configuration (only transfer_number is read)');
      }
    }
  }
  if ('global_builtin_functions' in raw) {
    const list = raw['global_builtin_functions'];
    if (!Array.isArray(list)) {
      m.issue('global_builtin_functions', 'expected a list of built-in functions');
      return;
    }
    list.forEach((fn, index) => {
      const at = `global_builtin_functions[${index}]`;
      if (!isRecord(fn)) {
        m.issue(at, 'expected { "name": "connect_to_live_agent", … }');
        return;
      }
      if (fn['name'] !== 'connect_to_live_agent') {
        m.issue(`${at}.name`, 'the only built-in function is "connect_to_live_agent"');
        return;
      }
      for (const key of Object.keys(fn))
        if (!['name', 'description', 'parameters'].includes(key)) m.issue(`${at}.${key}`, 'unknown field');
      const params = fn['parameters'];
      if (params !== undefined && (!isRecord(params) || Object.keys(params).length > 0))
        m.issue(`${at}.parameters`, 'connect_to_live_agent takes no parameters: give {}');
      const description = fn['description'];
      m.set(
        'seed-003',
        at,
        ['tools', 'connectToLiveAgent'],
        typeof description === 'string' ? { description } : {},
      );
      if (description !== undefined && typeof description !== 'string')
        m.issue(`${at}.description`, 'expected a string');
    });
  }
}

function voicedock(raw: Json, m: Mapper): void {
  // `tools` is native (an object); VoiceDock's list of tools lives under llm_config.
  if (Array.isArray(raw['tools']))
    m.issue('tools', `"tools" as a list is VoiceDock's shape; did you mean llm_config.tools?`);
  if ('first_message' in raw) {
    if (typeof raw['first_message'] === 'string') m.ignore('voicedock', 'first_message');
    else m.issue('first_message', 'expected a string');
  }
  if (!('llm_config' in raw)) return;
  const llm = raw['llm_config'];
  if (!isRecord(llm)) {
    m.issue('llm_config', 'expected an object');
    return;
  }
  for (const key of Object.keys(llm)) {
    if (VOICEDOCK_IGNORED.includes(key)) m.ignore('voicedock', `llm_config.${key}`);
    else if (key !== 'tools') m.issue(`llm_config.${key}`, 'unknown field');
  }
  const tools = llm['tools'];
  if (tools === undefined) return;
  if (!Array.isArray(tools)) {
    m.issue('llm_config.tools', 'expected a list of tools');
    return;
  }
  tools.forEach((tool, index) => {
    const at = `llm_config.tools[${index}]`;
    if (!isRecord(tool)) {
      m.issue(at, 'expected a tool object');
      return;
    }
    if (tool['type'] === 'end_call') {
      for (const key of Object.keys(tool)) if (key !== 'type') m.issue(`${at}.${key}`, 'unknown field');
      m.set('voicedock', at, ['tools', 'endCall'], {});
      return;
    }
    if (tool['type'] !== 'transfer_call') {
      m.issue(`${at}.type`, "must be 'transfer_call' or 'end_call'");
      return;
    }
    for (const key of Object.keys(tool))
      if (key !== 'type' && key !== 'destinations') m.issue(`${at}.${key}`, 'unknown field');
    const destinations = tool['destinations'];
    if (!Array.isArray(destinations) || destinations.length === 0) {
      m.issue(`${at}.destinations`, 'must list at least one destination');
      return;
    }
    destinations.forEach((dest, d) => {
      voicedockDestination(dest, `${at}.destinations[${d}]`, m);
    });
  });
}

function voicedockDestination(dest: unknown, at: string, m: Mapper): void {
  if (!isRecord(dest)) {
    m.issue(at, 'expected { "type": "number", "number": "+…", "description": "…" }');
    return;
  }
  for (const key of Object.keys(dest))
    if (!['type', 'number', 'description', 'message'].includes(key)) m.issue(`${at}.${key}`, 'unknown field');
  if (dest['type'] !== 'number') {
    m.issue(`${at}.type`, "must be 'number'");
    return;
  }
  const number = dest['number'];
  const description = dest['description'];
  if (typeof number !== 'string') {
    m.issue(`${at}.number`, 'is required: a phone number in E.164 format');
    return;
  }
  if (typeof description !== 'string') {
    m.issue(`${at}.description`, 'is required: when to use this destination (the LLM reads it)');
    return;
  }
  const message = dest['message'];
  if (message !== undefined && typeof message !== 'string') {
    m.issue(`${at}.message`, 'expected a string');
    return;
  }
  // The number is the rule's label: VoiceDock's LLM names the destination by its number.
  m.append('voicedock', at, ['handoffConfig', 'transferRules'], {
    label: number.trim(),
    when: description,
    destination: number,
    ...(message === undefined ? {} : { callerMessage: message }),
  });
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
