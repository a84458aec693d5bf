import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { DEMO_AGENTS } from '../../src/config/demo-agents.js';
import { parseToolCall, type ToolSchema, toolSchemasFor } from '../../src/transfer/tools.js';

function agentWith(extra: Record<string, unknown>): AgentConfig {
  return parseAgentConfig(
    { id: 'a', agent: { url: 'ws://127.0.0.1:1/agent' }, ...extra },
    { defaultRegion: 'US' },
  );
}

const AGENT = agentWith({
  handoffConfig: {
    transferDestination: '+14155550133',
    transferRules: [
      {
        label: 'Billing',
        when: 'caller asks about an invoice, charge, or refund',
        destination: '+14155550111',
      },
      { label: 'Spanish line', when: 'caller prefers Spanish', destination: '+14155550122' },
    ],
  },
  skills: [
    {
      name: 'Transfer to billing',
      description: 'Transfer the caller to a billing specialist.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550111' },
      requiresConfirmation: true,
    },
    {
      name: 'Sales desk',
      description: 'New customers.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550177' },
    },
    {
      name: 'Escalate',
      description: 'Escalate.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550166' },
      stakes: 'high',
    },
  ],
});

function byName(tools: readonly ToolSchema[], name: string): ToolSchema {
  const tool = tools.find((candidate) => candidate.function.name === name);
  if (tool === undefined) throw new Error(`no tool ${name}`);
  return tool;
}

describe('toolSchemasFor', () => {
  const tools = toolSchemasFor(AGENT);

  it('offers transfer_call, connect_to_live_agent and one tool per skill, in OpenAI function shape', () => {
    expect(tools.map((tool) => tool.function.name)).toEqual([
      'transfer_call',
      'connect_to_live_agent',
      'transfer_to_billing',
      'sales_desk',
      'escalate',
    ]);
    for (const tool of tools) {
      expect(tool.type).toBe('function');
      expect(tool.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(tool.function.description.length).toBeGreaterThan(0);
      expect(tool.function.parameters).toMatchObject({ type: 'object', additionalProperties: false });
    }
  });

  it('makes transfer_call choose among rule labels and default, described by each rule when', () => {
    const parameters = byName(tools, 'transfer_call').function.parameters;
    const destination = parameters.properties?.['destination'];
    expect(destination?.enum).toEqual(['Billing', 'Spanish line', 'default']);
    expect(destination?.description).toContain('"Billing": caller asks about an invoice, charge, or refund');
    expect(destination?.description).toContain('"Spanish line": caller prefers Spanish');
    expect(parameters.required).toEqual(['destination']);
    expect(Object.keys(parameters.properties ?? {})).toEqual(['destination', 'reason', 'summary']);
  });

  it('gives connect_to_live_agent no parameters (seed 003)', () => {
    expect(byName(tools, 'connect_to_live_agent').function.parameters).toEqual({
      type: 'object',
      properties: {},
      required: [],
      additionalProperties: false,
    });
  });

  it('adds a required confirmed flag to skills that need confirmation', () => {
    const billing = byName(tools, 'transfer_to_billing').function;
    expect(billing.description.startsWith('Transfer the caller to a billing specialist.')).toBe(true);
    expect(billing.parameters.properties?.['confirmed']?.type).toBe('boolean');
    expect(billing.parameters.required).toEqual(['confirmed']);
    expect(byName(tools, 'escalate').function.parameters.required).toEqual(['confirmed']);
    expect(byName(tools, 'sales_desk').function).toMatchObject({
      description: 'New customers.',
      parameters: { properties: {}, required: [] },
    });
  });

  it('leaves out default and connect_to_live_agent without a default destination', () => {
    const names = toolSchemasFor(
      agentWith({
        handoffConfig: { transferRules: [{ label: 'Billing', when: 'w', destination: '+14155550111' }] },
      }),
    );
    expect(names.map((tool) => tool.function.name)).toEqual(['transfer_call']);
    expect(byName(names, 'transfer_call').function.parameters.properties?.['destination']?.enum).toEqual([
      'Billing',
    ]);
  });

  it('offers nothing to an agent with nowhere to transfer', () => {
    expect(toolSchemasFor(agentWith({}))).toEqual([]);
  });

  it('serializes to plain JSON', () => {
    expect(JSON.parse(JSON.stringify(toolSchemasFor(DEMO_AGENTS.agents[0]!)))).toEqual(
      toolSchemasFor(DEMO_AGENTS.agents[0]!),
    );
  });
});

describe('parseToolCall', () => {
  it.each<[string, string, unknown, unknown]>([
    [
      'transfer_call to a rule',
      'transfer_call',
      { destination: 'Billing' },
      { ok: true, trigger: { type: 'rule', label: 'Billing' } },
    ],
    [
      'transfer_call, arguments as a JSON string, any case',
      'transfer_call',
      '{"destination":"spanish line","reason":" prefers Spanish ","summary":"Ana wants to pay in person."}',
      {
        ok: true,
        trigger: { type: 'rule', label: 'Spanish line' },
        reason: 'prefers Spanish',
        summary: 'Ana wants to pay in person.',
      },
    ],
    [
      'transfer_call default',
      'transfer_call',
      { destination: 'default', reason: null },
      { ok: true, trigger: { type: 'default' } },
    ],
    ['connect_to_live_agent', 'connect_to_live_agent', {}, { ok: true, trigger: { type: 'default' } }],
    [
      'connect_to_live_agent, empty string',
      'connect_to_live_agent',
      '',
      { ok: true, trigger: { type: 'default' } },
    ],
    [
      'connect_to_live_agent, null',
      'connect_to_live_agent',
      null,
      { ok: true, trigger: { type: 'default' } },
    ],
    [
      'skill, confirmed',
      'transfer_to_billing',
      { confirmed: true },
      { ok: true, trigger: { type: 'skill', name: 'Transfer to billing', confirmed: true } },
    ],
    [
      'skill, confirmation missing counts as not confirmed',
      'transfer_to_billing',
      {},
      { ok: true, trigger: { type: 'skill', name: 'Transfer to billing', confirmed: false } },
    ],
    [
      'skill, extra arguments ignored',
      'sales_desk',
      { note: 'x' },
      { ok: true, trigger: { type: 'skill', name: 'Sales desk', confirmed: false } },
    ],
  ])('%s', (_, name, args, expected) => {
    expect(parseToolCall(AGENT, name, args)).toEqual(expected);
  });

  it.each<[string, string, unknown, string, string | undefined, string]>([
    ['unknown tool', 'book_meeting', {}, 'unknown_tool', undefined, 'book_meeting'],
    ['missing destination', 'transfer_call', {}, 'invalid_arguments', 'destination', 'is required'],
    [
      'destination not a string',
      'transfer_call',
      { destination: 3 },
      'invalid_arguments',
      'destination',
      'must be a string',
    ],
    [
      'unknown destination label',
      'transfer_call',
      { destination: '+19005551234' },
      'invalid_arguments',
      'destination',
      '"Billing", "Spanish line", "default"',
    ],
    [
      'reason not a string',
      'transfer_call',
      { destination: 'Billing', reason: 5 },
      'invalid_arguments',
      'reason',
      'must be a string',
    ],
    [
      'confirmed not a boolean',
      'transfer_to_billing',
      { confirmed: 'yes' },
      'invalid_arguments',
      'confirmed',
      'true or false',
    ],
    [
      'arguments not JSON',
      'transfer_call',
      '{destination:',
      'invalid_arguments',
      undefined,
      'not valid JSON',
    ],
    ['arguments an array', 'transfer_call', ['Billing'], 'invalid_arguments', undefined, 'JSON object'],
  ])('refuses %s', (_, name, args, code, path, fragment) => {
    const result = parseToolCall(AGENT, name, args);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.path).toBe(path);
    expect(result.error.message).toContain(fragment);
  });

  it('cuts an overlong summary', () => {
    const result = parseToolCall(AGENT, 'transfer_call', {
      destination: 'Billing',
      summary: 'x'.repeat(5000),
    });
    expect(result.ok && result.summary?.length).toBe(1000);
  });

  it('accepts every tool it offers', () => {
    for (const tool of toolSchemasFor(AGENT)) {
      const args = tool.function.name === 'transfer_call' ? { destination: 'default' } : { confirmed: true };
      expect(parseToolCall(AGENT, tool.function.name, args).ok).toBe(true);
    }
  });
});
