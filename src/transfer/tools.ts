/**
 * LLM tools for transfers, in OpenAI function-calling shape, and validation of the calls:
 * - `transfer_call`: VoiceDock's transfer tool (seed 004); its `destination` is one of the
 *   agent's rule labels (each described by its `when`), or `default`.
 * - `connect_to_live_agent`: seed 003's built-in, no parameters, the default destination.
 * - one tool per transfer skill (flowyte), named after the skill, described by its description;
 *   a skill without a fixed destination takes one (`destination`), else it is looked up.
 * - `end_call` (VoiceDock), when the agent has `tools.endCall`.
 *
 * Tool calls become ordinary {@link TransferTrigger}s, so they go through the same planner and
 * destination policy as every other trigger: a number a tool carries (a dynamic skill's `destination`) is checked like a tag's.
 */
import { z } from 'zod';
import type { AgentConfig, TransferSkill } from '../config/agent-types.js';
import type { TransferTrigger } from './plan-types.js';

export const TRANSFER_CALL_TOOL = 'transfer_call';
export const CONNECT_TO_LIVE_AGENT_TOOL = 'connect_to_live_agent';
/** VoiceDock's `{ "type": "end_call" }`: the LLM ends the call. */
export const END_CALL_TOOL = 'end_call';
/** The `transfer_call` destination that means `handoffConfig.transferDestination`. */
export const DEFAULT_DESTINATION_LABEL = 'default';

/** Longest `reason` kept from a tool call, in characters (longer text is cut). */
export const MAX_TOOL_REASON_LENGTH = 500;
/** Longest `summary` kept from a tool call, in characters (it may be spoken as the whisper). */
export const MAX_TOOL_SUMMARY_LENGTH = 1000;

/** The subset of JSON Schema the tools use. */
export interface JsonSchema {
  readonly type?: 'object' | 'string' | 'boolean';
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly maxLength?: number;
}

/** One tool, OpenAI function-calling shape. */
export interface ToolSchema {
  readonly type: 'function';
  readonly function: { readonly name: string; readonly description: string; readonly parameters: JsonSchema };
}

export type ToolCallError = {
  readonly code: 'unknown_tool' | 'invalid_arguments';
  readonly message: string;
  /** The argument at fault, e.g. `destination`. */
  readonly path?: string;
};

export type ToolCallResult =
  | {
      readonly ok: true;
      readonly trigger: TransferTrigger;
      /** The agent's `reason` argument, if given. */
      readonly reason?: string;
      /** The agent's `summary` argument, if given (a ready-made warm whisper). */
      readonly summary?: string;
    }
  | { readonly ok: false; readonly error: ToolCallError };

/** Whether a skill must be confirmed by the caller: `requiresConfirmation`, or `stakes: 'high'`. */
export function needsConfirmation(skill: TransferSkill): boolean {
  return skill.requiresConfirmation || skill.stakes === 'high';
}

/** The transfer tools to offer this agent's LLM. Tools with nothing to transfer to are left out. */
export function toolSchemasFor(agent: AgentConfig): ToolSchema[] {
  const tools: ToolSchema[] = [];
  const { transferRules, transferDestination } = agent.handoffConfig;
  const hasDefault = transferDestination !== undefined;
  if (transferRules.length > 0 || hasDefault) {
    const choices = transferRules.map((rule) => `"${rule.label}": ${rule.when}`);
    if (hasDefault)
      choices.push(`"${DEFAULT_DESTINATION_LABEL}": any other situation where the caller needs a person`);
    tools.push(
      tool(
        TRANSFER_CALL_TOOL,
        'Transfer the caller to a person. Pick the destination whose situation matches the conversation.',
        {
          destination: {
            type: 'string',
            enum: [
              ...transferRules.map((rule) => rule.label),
              ...(hasDefault ? [DEFAULT_DESTINATION_LABEL] : []),
            ],
            description: `Where to transfer. ${choices.join('; ')}.`,
          },
          reason: {
            type: 'string',
            description: 'Why the caller needs a person, in one short sentence.',
            maxLength: MAX_TOOL_REASON_LENGTH,
          },
          summary: {
            type: 'string',
            description:
              'One or two sentences for the person taking the call: who is calling and what they need.',
            maxLength: MAX_TOOL_SUMMARY_LENGTH,
          },
        },
        ['destination'],
      ),
    );
  }
  const live = agent.tools.connectToLiveAgent;
  if (hasDefault || live !== undefined) {
    tools.push(
      tool(
        CONNECT_TO_LIVE_AGENT_TOOL,
        live?.description ??
          'Transfer the customer to a live human agent when they request to speak with a person.',
        {},
        [],
      ),
    );
  }
  for (const skill of agent.skills) {
    const confirm = needsConfirmation(skill);
    const description = confirm
      ? `${skill.description} Ask the caller to confirm first; pass confirmed: true only after they agree.`
      : skill.description;
    const properties: Record<string, JsonSchema> = confirm
      ? { confirmed: { type: 'boolean', description: 'True once the caller has agreed to be transferred.' } }
      : {};
    if (skill.executionConfig.destination === undefined) {
      properties['destination'] = {
        type: 'string',
        description:
          'The number to transfer to, when you know it (e.g. from a lookup). Leave it out to have it looked up.',
      };
    }
    tools.push(tool(skill.toolName, description, properties, confirm ? ['confirmed'] : []));
  }
  if (agent.tools.endCall !== undefined) {
    tools.push(
      tool(
        END_CALL_TOOL,
        agent.tools.endCall.description ?? 'End the call once the conversation is over.',
        {},
        [],
      ),
    );
  }
  return tools;
}

/**
 * Validates a tool call (arguments as the LLM sent them: an object or a JSON string) and turns
 * it into a trigger. Extra arguments are ignored; a missing `confirmed` counts as not confirmed.
 */
export function parseToolCall(agent: AgentConfig, name: string, args: unknown): ToolCallResult {
  const parsedArgs = argumentsObject(args);
  if (!parsedArgs.ok) return parsedArgs;
  if (name === CONNECT_TO_LIVE_AGENT_TOOL) return { ok: true, trigger: { type: 'default' } };
  if (name === TRANSFER_CALL_TOOL) return parseTransferCall(agent, parsedArgs.value);
  const skill = agent.skills.find((candidate) => candidate.toolName === name);
  if (skill === undefined) {
    return {
      ok: false,
      error: { code: 'unknown_tool', message: `no transfer tool named ${JSON.stringify(name)}` },
    };
  }
  const result = skillArgs.safeParse(parsedArgs.value);
  if (!result.success) return invalid(result.error);
  const destination = result.data.destination;
  return {
    ok: true,
    trigger: {
      type: 'skill',
      name: skill.name,
      confirmed: result.data.confirmed ?? false,
      ...(destination === undefined ? {} : { dynamicDestination: destination }),
    },
  };
}

/** Whether `name` is the agent's `end_call` tool (VoiceDock): the call ends, `agent_hangup`. */
export function isEndCallTool(agent: AgentConfig, name: string): boolean {
  return name === END_CALL_TOOL && agent.tools.endCall !== undefined;
}

const optionalText = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .nullish()
    .transform((value) => (value == null || value.trim() === '' ? undefined : value.trim().slice(0, max)));

const transferCallArgs = z.object({
  destination: z.string({
    error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
  }),
  reason: optionalText(MAX_TOOL_REASON_LENGTH),
  summary: optionalText(MAX_TOOL_SUMMARY_LENGTH),
});

const skillArgs = z.object({
  confirmed: z.boolean({ error: 'must be true or false' }).nullish(),
  destination: optionalText(256),
});

function parseTransferCall(agent: AgentConfig, args: Record<string, unknown>): ToolCallResult {
  const result = transferCallArgs.safeParse(args);
  if (!result.success) return invalid(result.error);
  const { destination, reason, summary } = result.data;
  const extras = {
    ...(reason === undefined ? {} : { reason }),
    ...(summary === undefined ? {} : { summary }),
  };
  const wanted = destination.trim();
  if (wanted.toLowerCase() === DEFAULT_DESTINATION_LABEL)
    return { ok: true, trigger: { type: 'default' }, ...extras };
  const rules = agent.handoffConfig.transferRules;
  const rule =
    rules.find((candidate) => candidate.label === wanted) ??
    rules.find((candidate) => candidate.label.toLowerCase() === wanted.toLowerCase());
  if (rule === undefined) {
    const choices = [...rules.map((r) => r.label), DEFAULT_DESTINATION_LABEL].map((label) =>
      JSON.stringify(label),
    );
    return {
      ok: false,
      error: {
        code: 'invalid_arguments',
        path: 'destination',
        message: `must be one of ${choices.join(', ')}`,
      },
    };
  }
  return { ok: true, trigger: { type: 'rule', label: rule.label }, ...extras };
}

function argumentsObject(
  args: unknown,
):
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly error: ToolCallError } {
  let value = args;
  if (typeof value === 'string') {
    if (value.trim() === '') return { ok: true, value: {} };
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, error: { code: 'invalid_arguments', message: 'arguments are not valid JSON' } };
    }
  }
  if (value === undefined || value === null) return { ok: true, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: { code: 'invalid_arguments', message: 'arguments must be a JSON object' } };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function invalid(error: z.ZodError): ToolCallResult {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  return {
    ok: false,
    error: {
      code: 'invalid_arguments',
      message:
        path === '' ? (issue?.message ?? 'invalid arguments') : `${path} ${issue?.message ?? 'is invalid'}`,
      ...(path === '' ? {} : { path }),
    },
  };
}

function tool(
  name: string,
  description: string,
  properties: Record<string, JsonSchema>,
  required: readonly string[],
): ToolSchema {
  return {
    type: 'function',
    function: {
      name,
      description,
      parameters: { type: 'object', properties, required, additionalProperties: false },
    },
  };
}
