/**
 * Parsing a whole agents configuration: the zod pass (agent-schema.ts) and the cross-field
 * checks zod cannot do once a field failed, both run every time so that every problem is
 * reported at once, each with its path (STYLE.md 9).
 */
import { type core, z } from 'zod';
import { normalizeInboundNumber, parseDestination } from '../phone/destination.js';
import { agentSchema, type ParsedAgent, regionSchema } from './agent-schema.js';
import type { AgentConfig, AgentsConfig, TransferSkill } from './agent-types.js';
import { ConfigError, type ConfigIssue, deepFreeze, formatPath } from './config-error.js';
import { mapSeedShapes } from './seed-shapes.js';
import { shapeHint } from './shape-hints.js';

/** Tool names the daemon itself gives the LLM (tools.ts); a skill may not take them. */
export const RESERVED_TOOL_NAMES: readonly string[] = ['transfer_call', 'connect_to_live_agent', 'end_call'];

export interface ParseAgentsOptions {
  /** Region for national numbers when the file sets no `defaultRegion` (ISO alpha-2, e.g. `US`). */
  readonly defaultRegion: string;
  /** Named in the error message, e.g. the file path. */
  readonly source?: string;
  /**
   * The carriers an agent may name, the first being the default; default the registered
   * adapters (providers/index.ts). A test that registers an adapter of its own passes its list.
   */
  readonly carriers?: readonly string[];
}

/**
 * Parses `{ defaultRegion?, agents: [...] }`. Throws {@link ConfigError} listing every problem;
 * returns a deep-frozen, normalized configuration.
 */
export function parseAgentsConfig(raw: unknown, opts: ParseAgentsOptions): AgentsConfig {
  const issues: ConfigIssue[] = [];
  const region = fileRegion(raw, opts.defaultRegion, issues);
  const mapped = mapFileShapes(raw, issues);
  const schema = z.strictObject({
    $schema: z.string().optional(),
    defaultRegion: z.unknown().optional(),
    agents: z.array(agentSchema(region, opts.carriers)),
  });
  const result = schema.safeParse(mapped, { error: requiredMessage });
  if (!result.success) issues.push(...toIssues(result.error.issues, 'file'));
  const rawAgents = isRecord(mapped) && Array.isArray(mapped['agents']) ? mapped['agents'] : [];
  rawAgents.forEach((agent, index) => {
    issues.push(...agentCrossIssues(agent, `agents[${index}]`));
  });
  issues.push(...fileCrossIssues(rawAgents, region));
  if (issues.length > 0 || !result.success)
    throw new ConfigError(sortIssues(issues), { source: opts.source });
  return deepFreeze({ defaultRegion: region, agents: result.data.agents.map(toAgentConfig) });
}

/** Parses one agent (e.g. from the API). Throws {@link ConfigError}; paths are relative to the agent. */
export function parseAgentConfig(raw: unknown, opts: ParseAgentsOptions): AgentConfig {
  const shaped = mapSeedShapes(raw);
  const result = agentSchema(opts.defaultRegion, opts.carriers).safeParse(shaped.agent, {
    error: requiredMessage,
  });
  const issues = [...shaped.issues, ...(result.success ? [] : toIssues(result.error.issues))];
  issues.push(...agentCrossIssues(shaped.agent, ''));
  if (issues.length > 0 || !result.success)
    throw new ConfigError(sortIssues(issues), { source: opts.source });
  return deepFreeze(toAgentConfig(result.data));
}

/** The agent with this id, if any. */
export function findAgentById(config: AgentsConfig, id: string): AgentConfig | undefined {
  return config.agents.find((agent) => agent.id === id);
}

/**
 * The agent an inbound call to `calledNumber` belongs to. The number is normalized the way
 * carriers send it (Plivo omits the `+`, Exotel may send a national number).
 */
export function findAgentByNumber(config: AgentsConfig, calledNumber: string): AgentConfig | undefined {
  const e164 = normalizeInboundNumber(calledNumber, config.defaultRegion);
  if (e164 === undefined) return undefined;
  return config.agents.find((agent) => agent.numbers.includes(e164));
}

/**
 * The LLM tool name for a skill: lower-case ASCII letters, digits and `_`
 * (`Transfer to billing` → `transfer_to_billing`); `skill_{n}` when nothing is left.
 */
export function skillToolName(name: string, index: number): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64)
    .replace(/_+$/, '');
  return slug === '' ? `skill_${index + 1}` : slug;
}

function toAgentConfig(parsed: ParsedAgent): AgentConfig {
  const skills: TransferSkill[] = parsed.skills.map((skill, index) => ({
    ...skill,
    toolName: skill.toolName ?? skillToolName(skill.name, index),
  }));
  const { id, name, ...rest } = parsed;
  return { id, name: name ?? id, ...rest, skills };
}

function fileRegion(raw: unknown, fallback: string, issues: ConfigIssue[]): string {
  if (!isRecord(raw) || raw['defaultRegion'] === undefined) return fallback;
  const result = regionSchema.safeParse(raw['defaultRegion']);
  if (result.success) return result.data;
  issues.push(...toIssues(result.error.issues.map((issue) => ({ ...issue, path: ['defaultRegion'] }))));
  return fallback;
}

/** Checks inside one agent that need several fields: unique labels, skill names, tool names. */
function agentCrossIssues(agent: unknown, prefix: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: string) => (prefix === '' ? path : `${prefix}.${path}`);
  const handoff = isRecord(agent) && isRecord(agent['handoffConfig']) ? agent['handoffConfig'] : {};
  const labels = new Map<string, number>();
  asArray(handoff['transferRules']).forEach((rule, index) => {
    const label = isRecord(rule) && typeof rule['label'] === 'string' ? rule['label'].trim() : undefined;
    if (label === undefined) return;
    const key = label.toLowerCase();
    const path = at(`handoffConfig.transferRules[${index}].label`);
    if (key === 'default')
      issues.push({ path, message: '"default" is reserved for handoffConfig.transferDestination' });
    const first = labels.get(key);
    if (first !== undefined)
      issues.push({
        path,
        message: `${JSON.stringify(label)} is already the label of transferRules[${first}]`,
      });
    else labels.set(key, index);
  });
  const names = new Map<string, number>();
  const tools = new Map<string, number>();
  asArray(isRecord(agent) ? agent['skills'] : undefined).forEach((skill, index) => {
    if (!isRecord(skill) || typeof skill['name'] !== 'string' || skill['name'].trim() === '') return;
    const name = skill['name'].trim();
    const first = names.get(name.toLowerCase());
    if (first !== undefined) {
      issues.push({
        path: at(`skills[${index}].name`),
        message: `${JSON.stringify(name)} is already the name of skills[${first}]`,
      });
      return;
    }
    names.set(name.toLowerCase(), index);
    const configured = typeof skill['toolName'] === 'string';
    const tool = configured ? String(skill['toolName']) : skillToolName(name, index);
    const path = at(`skills[${index}].${configured ? 'toolName' : 'name'}`);
    const clash = tools.get(tool);
    if (RESERVED_TOOL_NAMES.includes(tool))
      issues.push({ path, message: `its tool name "${tool}" is reserved` });
    else if (clash !== undefined)
      issues.push({ path, message: `its tool name "${tool}" is also that of skills[${clash}]` });
    else tools.set(tool, index);
  });
  return issues;
}

/** Checks across agents: unique ids, and no inbound number claimed twice. */
function fileCrossIssues(agents: readonly unknown[], region: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const ids = new Map<string, number>();
  const numbers = new Map<string, string>();
  agents.forEach((agent, index) => {
    if (!isRecord(agent)) return;
    const id = agent['id'];
    if (typeof id === 'string') {
      const first = ids.get(id);
      if (first !== undefined)
        issues.push({
          path: `agents[${index}].id`,
          message: `duplicate agent id ${JSON.stringify(id)} (also agents[${first}])`,
        });
      else ids.set(id, index);
    }
    asArray(agent['numbers']).forEach((number, n) => {
      if (typeof number !== 'string') return;
      const parsed = parseDestination(number, region);
      if (!parsed.ok || parsed.destination.kind !== 'pstn') return;
      const path = `agents[${index}].numbers[${n}]`;
      const first = numbers.get(parsed.destination.e164);
      if (first !== undefined)
        issues.push({ path, message: `${parsed.destination.e164} is already routed by ${first}` });
      else numbers.set(parsed.destination.e164, path);
    });
  });
  return issues;
}

function requiredMessage(issue: core.$ZodRawIssue): string | undefined {
  return issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;
}

/** zod's issues; an unrecognized key that is another shape's field name gets a hint (shape-hints.ts). */
function toIssues(zodIssues: readonly core.$ZodIssue[], root: 'agent' | 'file' = 'agent'): ConfigIssue[] {
  return zodIssues.flatMap((issue) => {
    const path = formatPath(issue.path);
    if (issue.code !== 'unrecognized_keys') return [{ path, message: issue.message }];
    // Hints speak of an agent's fields: not of the file's own top level.
    const inAgent = root === 'agent' || /^agents\[\d+\]/.test(path);
    const hinted = inAgent ? issue.keys.filter((key) => shapeHint(key, path) !== undefined) : [];
    const plain = issue.keys.filter((key) => !hinted.includes(key));
    const local = agentRelative(path);
    return [
      ...hinted.map((key) => ({
        path: path === '' ? key : `${path}.${key}`,
        message: shapeHint(key, local) ?? '',
      })),
      ...(plain.length === 0
        ? []
        : [
            {
              path,
              message: `Unrecognized key${plain.length > 1 ? 's' : ''}: ${plain.map((k) => `"${k}"`).join(', ')}`,
            },
          ]),
    ];
  });
}

/** `agents[0].handoffConfig` → `handoffConfig` (hints speak of the agent's own fields). */
function agentRelative(path: string): string {
  return path.replace(/^agents\[\d+\]\.?/, '');
}

/** Each agent of the file mapped from a seed's shape; the mapping's issues under `agents[i]`. */
function mapFileShapes(raw: unknown, issues: ConfigIssue[]): unknown {
  if (!isRecord(raw) || !Array.isArray(raw['agents'])) return raw;
  const agents = raw['agents'].map((agent: unknown, index: number) => {
    const shaped = mapSeedShapes(agent);
    issues.push(...shaped.issues.map((issue) => ({ ...issue, path: `agents[${index}].${issue.path}` })));
    return shaped.agent;
  });
  return { ...raw, agents };
}

/**
 * Grouped by agent (`agents[N]`, in file order); within an agent, schema order, then the
 * cross-field checks. The sort is stable.
 */
function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const agentIndex = (path: string) => Number(/^agents\[(\d+)\]/.exec(path)?.[1] ?? -1);
  return [...issues].sort((a, b) => agentIndex(a.path) - agentIndex(b.path));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
