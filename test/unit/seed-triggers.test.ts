import { describe, expect, it } from 'vitest';
import { parseControlMessage } from '../../src/agent/control-events.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { newCallRecord } from '../../src/runtime/call-record.js';
import { type CallInput, reduceCall } from '../../src/runtime/call-reducer.js';
import { planTransfer } from '../../src/transfer/plan.js';
import { isEndCallTool, parseToolCall, toolSchemasFor } from '../../src/transfer/tools.js';

/**
 * The seeds' triggers at the call level, pure: seed 003's `connect_to_live_agent` answering with
 * the seed's own error names, VoiceDock's `end_call` and destination `message`, and flowyte's
 * dynamic destination named by the agent beside the skill.
 */

const NOW = 1_700_000_000_000;
const US = { defaultRegion: 'US' };
const ENDPOINT = { url: 'ws://127.0.0.1:1/agent' };

const SEED_003 = parseAgentConfig(
  {
    id: 'leads',
    agent: ENDPOINT,
    outboundNumber: '+14155550100',
    configurations: { transfer_number: '+14155550123' },
    global_builtin_functions: [{ name: 'connect_to_live_agent', description: 'Live agent.', parameters: {} }],
  },
  US,
);

function lead(lead: { outboundNumberId?: string } | undefined) {
  return newCallRecord({
    callId: 'CA1',
    carrier: 'twilio',
    agentId: 'leads',
    agentVersion: 1,
    direction: 'outbound',
    from: '+14155550100',
    to: '+14155550150',
    nowMs: NOW,
    ...(lead === undefined ? {} : { lead }),
  });
}

const CONNECT: CallInput = {
  type: 'transfer.request',
  trigger: { type: 'default' },
  requestId: 'call_1',
  tool: 'connect_to_live_agent',
};

describe("seed 003's connect_to_live_agent", () => {
  it('a lead without outbound_number_id: refused with missing_outbound_number_id, the AI keeps the caller', () => {
    const result = reduceCall(lead({}), CONNECT, { nowMs: NOW, agent: SEED_003, defaultRegion: 'US' });
    expect(result?.record.phase).toBe('ai');
    expect(result?.effects).toEqual([
      {
        type: 'transfer.refused',
        refusal: 'missing_outbound_number_id',
        detail: 'the lead has no outbound_number_id',
        requestId: 'call_1',
      },
    ]);
  });

  it.each([
    ['a lead with outbound_number_id', lead({ outboundNumberId: '+14155550100' })],
    ['a call that is not a lead (inbound, or placed without lead)', lead(undefined)],
  ])('%s: the transfer starts', (_, record) => {
    const result = reduceCall(record, CONNECT, { nowMs: NOW, agent: SEED_003, defaultRegion: 'US' });
    expect(result?.record.phase).toBe('transferring');
  });

  it('no transfer_number in the template: the missing-transfer-number error', () => {
    const noNumber = parseAgentConfig(
      {
        id: 'leads',
        agent: ENDPOINT,
        outboundNumber: '+14155550100',
        global_builtin_functions: [{ name: 'connect_to_live_agent', parameters: {} }],
      },
      US,
    );
    const result = reduceCall(lead({ outboundNumberId: '+14155550100' }), CONNECT, {
      nowMs: NOW,
      agent: noNumber,
      defaultRegion: 'US',
    });
    expect(result?.effects[0]).toMatchObject({
      type: 'transfer.refused',
      refusal: 'missing_transfer_number',
    });
  });
});

describe('VoiceDock', () => {
  const assistant = parseAgentConfig(
    {
      id: 'support',
      agent: ENDPOINT,
      llm_config: {
        tools: [
          {
            type: 'transfer_call',
            destinations: [
              { type: 'number', number: '+31612345678', description: 'Humans', message: 'One moment.' },
            ],
          },
          { type: 'end_call' },
        ],
      },
    },
    US,
  );

  it('end_call is a tool only where configured', () => {
    expect(isEndCallTool(assistant, 'end_call')).toBe(true);
    expect(isEndCallTool(SEED_003, 'end_call')).toBe(false);
  });

  it("transfer_call names the destination by its number; the plan carries the message in the carrier's voice", () => {
    const planned = planTransfer(
      assistant,
      { type: 'tool', name: 'transfer_call', args: { destination: '+31612345678' } },
      { nowMs: NOW, defaultRegion: 'US', callerNumber: '+14155559999' },
    );
    expect(planned).toMatchObject({
      ok: true,
      plan: { chain: ['+31612345678'], callerMessage: { text: 'One moment.', voice: 'carrier' } },
    });
  });

  it("a bot that speaks messages gets them in its own voice, and the API's callerMessage too", () => {
    const speaking = { ...assistant, agent: { ...assistant.agent, speaksMessages: true } };
    const planned = planTransfer(
      speaking,
      { type: 'api', destination: '+31612345678', callerMessage: 'Connecting you now.' },
      { nowMs: NOW, defaultRegion: 'US', callerNumber: '+14155559999' },
    );
    expect(planned).toMatchObject({
      ok: true,
      plan: { callerMessage: { text: 'Connecting you now.', voice: 'agent' } },
    });
  });
});

describe("flowyte's dynamic destination named by the agent", () => {
  const agent = parseAgentConfig(
    {
      id: 'franchise',
      agent: ENDPOINT,
      skills: [
        { name: 'Account owner', description: 'The rep.', skillType: 'transfer' },
        {
          name: 'Billing',
          description: 'Billing.',
          skillType: 'transfer',
          executionConfig: { destination: '+14155550111' },
        },
      ],
      destinationPolicy: { allow: ['+1415555*'] },
    },
    US,
  );
  const ctx = { nowMs: NOW, defaultRegion: 'US', callerNumber: '+14155559999' };

  it('a transfer event may name a skill and a destination (not a rule and a destination)', () => {
    const frame = (body: Record<string, unknown>) => body as { readonly event: string };
    const both = parseControlMessage(
      frame({
        event: 'transfer',
        skill: 'Account owner',
        destination: '+14155550177',
      }),
    );
    expect(both).toMatchObject({
      type: 'ok',
      event: { skill: 'Account owner', destination: '+14155550177' },
    });
    expect(
      parseControlMessage(frame({ event: 'transfer', rule: 'Billing', destination: '+14155550177' })).type,
    ).toBe('invalid');
  });

  it("the skill's tool takes a destination when it has no fixed one", () => {
    const tool = toolSchemasFor(agent).find((t) => t.function.name === 'account_owner');
    expect(tool?.function.parameters.properties).toHaveProperty('destination');
    const fixed = toolSchemasFor(agent).find((t) => t.function.name === 'billing');
    expect(fixed?.function.parameters.properties).not.toHaveProperty('destination');
    const call = parseToolCall(agent, 'account_owner', { destination: '+14155550177' });
    expect(call).toMatchObject({ ok: true, trigger: { type: 'skill', dynamicDestination: '+14155550177' } });
  });

  it('is policy-checked, and refused for a skill with a fixed destination', () => {
    const named = (name: string, destination: string) =>
      planTransfer(agent, { type: 'skill', name, confirmed: false, dynamicDestination: destination }, ctx);
    expect(named('Account owner', '+14155550177')).toMatchObject({
      ok: true,
      plan: { chain: ['+14155550177'] },
    });
    expect(named('Account owner', '+19005550199')).toMatchObject({
      ok: false,
      refusal: 'destination_not_allowed',
    });
    expect(named('Billing', '+14155550177')).toMatchObject({ ok: false, refusal: 'invalid_destination' });
  });
});
