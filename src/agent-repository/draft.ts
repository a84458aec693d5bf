/**
 * Pure draft editing: JSON Merge Patch (RFC 7396) over the stored draft, validation with the
 * agents-file schema (so numbers are normalized to E.164 on save and every problem is reported
 * with its field), and the stored form of a draft. No I/O.
 */
import type { AgentConfig } from '../config/agent-types.js';
import { parseAgentConfig, skillToolName } from '../config/agents.js';
import { ConfigError } from '../config/config-error.js';
import { mapSeedShapes } from '../config/seed-shapes.js';
import { AgentError, type FieldIssue, fromConfigIssues, ValidationError } from './errors.js';

/** A JSON object as stored: the draft before it is parsed into an {@link AgentConfig}. */
export type JsonObject = { readonly [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * RFC 7396: objects merge key by key, `null` removes a key (so the field falls back to its
 * default: `whisper: null` removes a static whisper, `afterHours: null` means always open), and
 * anything else — arrays included — replaces the old value whole.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const out: Record<string, unknown> = {};
  if (isJsonObject(target)) for (const [key, value] of Object.entries(target)) define(out, key, value);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else define(out, key, mergePatch(out[key], value));
  }
  return out;
}

/** Own data property even for `__proto__`: a patch must not reach any prototype. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** What a draft is validated against: the region of its national numbers, the carriers it may name. */
export interface AgentRules {
  readonly defaultRegion: string;
  /** Default: the registered carriers (providers/index.ts). */
  readonly carriers?: readonly string[];
}

/**
 * Parses a draft. Throws {@link ValidationError} listing every problem with its field (relative
 * to the agent, e.g. `handoffConfig.transferRules[0].destination`).
 */
export function validateDraft(raw: unknown, rules: AgentRules): AgentConfig {
  try {
    return parseAgentConfig(raw, rules);
  } catch (err) {
    if (err instanceof ConfigError) throw new ValidationError(fromConfigIssues(err.issues));
    throw err;
  }
}

/**
 * The stored form of a validated draft: the normalized configuration, minus tool names that
 * were derived from skill names (so renaming a skill renames its tool, as in the agents file).
 */
export function storedDraft(agent: AgentConfig): JsonObject {
  const plain = JSON.parse(JSON.stringify(agent)) as Record<string, unknown>;
  // `handoffConfig.warm` is derived from `mode` on parse; storing both would make a later
  // `{ warm: true }` patch contradict the stored mode.
  if (isJsonObject(plain['handoffConfig'])) {
    const { warm: _derived, ...handoff } = plain['handoffConfig'];
    plain['handoffConfig'] = handoff;
  }
  plain['skills'] = agent.skills.map((skill, index) => {
    const { toolName, ...rest } = skill;
    return toolName === skillToolName(skill.name, index) ? rest : skill;
  });
  return plain;
}

/**
 * Applies a PATCH body to a stored draft. `id` may be repeated but not changed.
 * Throws {@link ValidationError}.
 */
export function patchedDraft(id: string, draft: JsonObject, patch: unknown, region: AgentRules): AgentConfig {
  if (!isJsonObject(patch)) throw new ValidationError([{ field: '', message: 'expected a JSON object' }]);
  if (patch['id'] !== undefined && patch['id'] !== id) {
    throw new ValidationError([
      { field: 'id', message: `cannot change the id of agent ${JSON.stringify(id)}` },
    ]);
  }
  // A patch in a seed's shape is mapped before it merges, so its fields land on the native ones.
  const shaped = mapSeedShapes(patch);
  if (shaped.issues.length > 0) throw new ValidationError(fromConfigIssues(shaped.issues));
  return validateDraft(mergePatch(withoutReplacedMode(draft, shaped.agent), shaped.agent), region);
}

/**
 * `handoffConfig.warm` and `handoffConfig.mode` say the same thing (`warm: true` ≡ `mode: warm`):
 * a patch that sets one replaces the other as stored, so the newer word wins.
 */
function withoutReplacedMode(draft: JsonObject, patch: unknown): JsonObject {
  const changes = isJsonObject(patch) ? patch['handoffConfig'] : undefined;
  const stored = draft['handoffConfig'];
  if (!isJsonObject(changes) || !isJsonObject(stored)) return draft;
  const replaced =
    'mode' in changes && !('warm' in changes)
      ? 'warm'
      : 'warm' in changes && !('mode' in changes)
        ? 'mode'
        : undefined;
  if (replaced === undefined) return draft;
  const handoff = Object.fromEntries(Object.entries(stored).filter(([key]) => key !== replaced));
  return { ...draft, handoffConfig: handoff };
}

/** Appends a skill. Issues about it are reported relative to the skill (`executionConfig.destination`). */
export function withSkill(
  draft: JsonObject,
  skill: unknown,
  region: AgentRules,
): { agent: AgentConfig; index: number } {
  if (!isJsonObject(skill)) throw new ValidationError([{ field: '', message: 'expected a JSON object' }]);
  const skills = Array.isArray(draft['skills']) ? draft['skills'] : [];
  const index = skills.length;
  try {
    return { agent: validateDraft({ ...draft, skills: [...skills, skill] }, region), index };
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(relativeTo(`skills[${index}]`, err.issues));
    throw err;
  }
}

/** How a skill is named in a DELETE: its name (case-insensitive), its tool name, or its position. */
export type SkillRef = { readonly name: string } | { readonly index: number };

/** Removes one skill; throws `skill_not_found` naming the field that did not match. */
export function withoutSkill(
  draft: JsonObject,
  current: AgentConfig,
  ref: SkillRef,
  region: AgentRules,
): { agent: AgentConfig; removed: AgentConfig['skills'][number] } {
  const index = findSkill(current, ref);
  const removed = current.skills[index];
  if (removed === undefined) throw new AgentError('skill_not_found', 'no such skill', { field: 'index' });
  const skills = (Array.isArray(draft['skills']) ? draft['skills'] : []).filter((_, i) => i !== index);
  return { agent: validateDraft({ ...draft, skills }, region), removed };
}

function findSkill(agent: AgentConfig, ref: SkillRef): number {
  if ('index' in ref) {
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= agent.skills.length) {
      throw new AgentError(
        'skill_not_found',
        `no skill at index ${ref.index} (the draft has ${agent.skills.length})`,
        {
          field: 'index',
        },
      );
    }
    return ref.index;
  }
  const wanted = ref.name.trim().toLowerCase();
  const index = agent.skills.findIndex(
    (skill) => skill.name.toLowerCase() === wanted || skill.toolName.toLowerCase() === wanted,
  );
  if (index < 0)
    throw new AgentError('skill_not_found', `no skill named ${JSON.stringify(ref.name)}`, { field: 'name' });
  return index;
}

function relativeTo(prefix: string, issues: readonly FieldIssue[]): FieldIssue[] {
  return issues.map((issue) => {
    if (issue.field === prefix) return { field: '', message: issue.message };
    if (issue.field.startsWith(`${prefix}.`))
      return { field: issue.field.slice(prefix.length + 1), message: issue.message };
    return issue;
  });
}

/** Same JSON text for the same configuration (for "unpublished changes"). */
export function sameConfig(a: AgentConfig, b: AgentConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
