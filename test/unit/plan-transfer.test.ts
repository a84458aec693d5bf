import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { type PlanContext, planTransfer } from '../../src/transfer/plan.js';
import { fallbackWhisperText } from '../../src/transfer/plan-text.js';
import type { PlanResult, TransferPlan, TransferTrigger } from '../../src/transfer/plan-types.js';

/** Monday 2025-01-06 10:00 in Los Angeles (PST). */
const MONDAY_10AM_LA = Date.parse('2025-01-06T18:00:00Z');
/** Monday 2025-01-06 20:00 in Los Angeles. */
const MONDAY_8PM_LA = Date.parse('2025-01-07T04:00:00Z');

const CALLER = '+12125550123';
const CTX: PlanContext = { nowMs: MONDAY_10AM_LA, callerNumber: CALLER, defaultRegion: 'US' };

const BASE = {
  id: 'front-desk',
  numbers: ['+14155550100'],
  outboundNumber: '+14155550100',
  agent: { url: 'ws://127.0.0.1:1/agent' },
  handoffConfig: {
    transferDestination: '+14155550133',
    transferRules: [
      {
        label: 'Billing',
        when: 'caller asks about an invoice, charge, or refund',
        destination: ['+14155550111', '+14155550112'],
      },
      { label: 'Spanish line', when: 'caller prefers Spanish', destination: '+14155550122' },
      { label: 'Desk', when: 'caller wants the front desk', destination: 'sip:desk@pbx.example.com' },
    ],
  },
  skills: [
    {
      name: 'Transfer to billing',
      description: 'Transfer the caller to billing.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550111' },
      requiresConfirmation: true,
    },
    { name: 'Account rep', description: 'Transfer to the account owner.', skillType: 'transfer' },
    {
      name: 'Escalate',
      description: 'Escalate to a manager.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550166' },
      stakes: 'high',
    },
    {
      name: 'Sales',
      description: 'New customers.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550177' },
    },
  ],
  destinationPolicy: { allow: ['+1212555*'], countries: ['CA'] },
};

function agentWith(patch: (base: typeof BASE) => Record<string, unknown> = (b) => b): AgentConfig {
  return parseAgentConfig(patch(structuredClone(BASE)), { defaultRegion: 'US' });
}

const AGENT = agentWith();

function plan(result: PlanResult): TransferPlan {
  if (!result.ok) throw new Error(`refused: ${result.refusal} (${result.detail})`);
  return result.plan;
}

function refusal(result: PlanResult): { refusal: string; detail: string } {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.plan)}`);
  return { refusal: result.refusal, detail: result.detail };
}

describe('triggers → chains', () => {
  it.each<[string, TransferTrigger, readonly string[]]>([
    ['tag with a named number', { type: 'tag', destinations: ['+14155550111'] }, ['+14155550111']],
    [
      'tag chain, national and spaced, deduplicated',
      { type: 'tag', destinations: ['(415) 555-0111', '+1 415 555 0122', '+14155550111'] },
      ['+14155550111', '+14155550122'],
    ],
    ['tag allowed by a pattern', { type: 'tag', destinations: ['+1 212 555 0199'] }, ['+12125550199']],
    ['tag allowed by a country', { type: 'tag', destinations: ['+1 416 555 0199'] }, ['+14165550199']],
    [
      'tag with the SIP destination',
      { type: 'tag', destinations: ['sip:desk@PBX.example.com'] },
      ['sip:desk@pbx.example.com'],
    ],
    ['rule', { type: 'rule', label: 'Billing' }, ['+14155550111', '+14155550112']],
    ['rule, any case', { type: 'rule', label: 'spanish LINE' }, ['+14155550122']],
    ['rule with a SIP destination', { type: 'rule', label: 'Desk' }, ['sip:desk@pbx.example.com']],
    ['skill, confirmed', { type: 'skill', name: 'Transfer to billing', confirmed: true }, ['+14155550111']],
    ['skill by tool name', { type: 'skill', name: 'sales', confirmed: false }, ['+14155550177']],
    [
      'skill with a dynamic destination allowed by policy',
      { type: 'skill', name: 'Account rep', confirmed: false, dynamicDestination: '212-555-0142' },
      ['+12125550142'],
    ],
    [
      'tool transfer_call',
      { type: 'tool', name: 'transfer_call', args: { destination: 'Billing' } },
      ['+14155550111', '+14155550112'],
    ],
    [
      'tool transfer_call default',
      { type: 'tool', name: 'transfer_call', args: '{"destination":"default"}' },
      ['+14155550133'],
    ],
    [
      'tool connect_to_live_agent',
      { type: 'tool', name: 'connect_to_live_agent', args: {} },
      ['+14155550133'],
    ],
    [
      'tool for a skill',
      { type: 'tool', name: 'transfer_to_billing', args: { confirmed: true } },
      ['+14155550111'],
    ],
    ['api destination', { type: 'api', destination: '+14155550122' }, ['+14155550122']],
    ['api rule', { type: 'api', rule: 'Billing' }, ['+14155550111', '+14155550112']],
    ['api skill needs no confirmation', { type: 'api', skill: 'Transfer to billing' }, ['+14155550111']],
    ['api without a target', { type: 'api' }, ['+14155550133']],
    ['silence', { type: 'silence' }, ['+14155550133']],
    ['default', { type: 'default' }, ['+14155550133']],
  ])('%s', (_, trigger, chain) => {
    const result = plan(planTransfer(AGENT, trigger, CTX));
    expect(result.chain).toEqual(chain);
    expect(result.trigger).toBe(trigger.type);
  });
});

describe('refusals', () => {
  it.each<[string, TransferTrigger, string, string]>([
    [
      'injected premium-rate tag',
      { type: 'tag', destinations: ['+1 900 555 1234'] },
      'destination_not_allowed',
      'premium_rate',
    ],
    [
      'unconfigured tag',
      { type: 'tag', destinations: ['+442087601234'] },
      'destination_not_allowed',
      'not_configured',
    ],
    [
      'one bad number in a tag chain',
      { type: 'tag', destinations: ['+14155550111', '+14155550199'] },
      'destination_not_allowed',
      'tag 2',
    ],
    ['unparsable tag', { type: 'tag', destinations: ['call me'] }, 'invalid_destination', 'not_a_number'],
    ['empty tag list', { type: 'tag', destinations: [] }, 'invalid_destination', 'no destination'],
    ['unknown rule', { type: 'rule', label: 'Legal' }, 'invalid_destination', '"Legal"'],
    ['unknown skill', { type: 'skill', name: 'Nope', confirmed: true }, 'invalid_destination', '"Nope"'],
    [
      'unconfirmed skill',
      { type: 'skill', name: 'Transfer to billing', confirmed: false },
      'confirmation_required',
      'confirm',
    ],
    [
      'unconfirmed high-stakes skill',
      { type: 'skill', name: 'Escalate', confirmed: false },
      'confirmation_required',
      'confirm',
    ],
    [
      'dynamic destination outside the policy',
      { type: 'skill', name: 'Account rep', confirmed: false, dynamicDestination: '+19005551234' },
      'destination_not_allowed',
      'premium_rate',
    ],
    [
      'skill without any destination',
      { type: 'skill', name: 'Account rep', confirmed: true },
      'missing_transfer_number',
      'Account rep',
    ],
    ['unknown tool', { type: 'tool', name: 'book_meeting', args: {} }, 'invalid_destination', 'unknown_tool'],
    [
      'bad tool arguments',
      { type: 'tool', name: 'transfer_call', args: { destination: 'Legal' } },
      'invalid_destination',
      'invalid_arguments',
    ],
    [
      'api destination outside the policy',
      { type: 'api', destination: '+33142685300' },
      'destination_not_allowed',
      'not_configured',
    ],
    [
      'api with two targets',
      { type: 'api', rule: 'Billing', skill: 'Sales' },
      'invalid_destination',
      'at most one',
    ],
  ])('%s → %s', (_, trigger, code, fragment) => {
    const result = refusal(planTransfer(AGENT, trigger, CTX));
    expect(result.refusal).toBe(code);
    expect(result.detail).toContain(fragment);
  });

  it('never puts a refused number in the detail (it may be logged)', () => {
    const result = refusal(planTransfer(AGENT, { type: 'tag', destinations: ['+1 900 555 1234'] }, CTX));
    expect(result.detail).not.toMatch(/900|555/);
  });

  it('allows a premium-rate number the configuration names', () => {
    const agent = agentWith((b) => ({
      ...b,
      handoffConfig: { ...b.handoffConfig, transferDestination: '+19005551234' },
    }));
    expect(plan(planTransfer(agent, { type: 'tag', destinations: ['+19005551234'] }, CTX)).chain).toEqual([
      '+19005551234',
    ]);
  });

  it.each<TransferTrigger>([
    { type: 'default' },
    { type: 'silence' },
    { type: 'tool', name: 'connect_to_live_agent', args: {} },
  ])('refuses %o without a default destination (missing_transfer_number)', (trigger) => {
    const agent = agentWith((b) => ({
      ...b,
      handoffConfig: { transferRules: b.handoffConfig.transferRules },
    }));
    expect(refusal(planTransfer(agent, trigger, CTX)).refusal).toBe('missing_transfer_number');
  });
});

describe('mode, ring timeout, whisper, hold audio', () => {
  it('cold by default: 10 s ring, no whisper', () => {
    const result = plan(planTransfer(AGENT, { type: 'rule', label: 'Billing' }, CTX));
    expect(result).toMatchObject({ mode: 'cold', ringTimeoutMs: 10_000, whisper: { kind: 'none' } });
    expect(result.holdAudioUrl).toBeUndefined();
  });

  it('warm from the configuration: 15 s ring, a summary with a fallback built from the reason', () => {
    const agent = agentWith((b) => ({
      ...b,
      handoffConfig: { ...b.handoffConfig, warm: true, summaryTimeoutMs: 1800 },
    }));
    expect(plan(planTransfer(agent, { type: 'rule', label: 'Billing' }, CTX))).toMatchObject({
      mode: 'warm',
      ringTimeoutMs: 15_000,
      reason: 'caller asks about an invoice, charge, or refund',
      whisper: {
        kind: 'summary',
        timeoutMs: 1800,
        fallbackText: 'Incoming transfer: caller asks about an invoice, charge, or refund.',
      },
    });
  });

  it('warm with a static whisper and hold audio', () => {
    const agent = agentWith((b) => ({
      ...b,
      handoffConfig: {
        ...b.handoffConfig,
        warm: true,
        whisper: 'Incoming refund request — please assist.',
        holdAudio: 'https://cdn.example.com/hold.mp3',
      },
    }));
    expect(plan(planTransfer(agent, { type: 'default' }, CTX))).toMatchObject({
      whisper: { kind: 'static', text: 'Incoming refund request — please assist.' },
      holdAudioUrl: 'https://cdn.example.com/hold.mp3',
    });
  });

  it("uses the tool call's summary as the whisper and its reason as the reason", () => {
    const agent = agentWith((b) => ({ ...b, handoffConfig: { ...b.handoffConfig, warm: true } }));
    const trigger: TransferTrigger = {
      type: 'tool',
      name: 'transfer_call',
      args: {
        destination: 'Billing',
        reason: 'double charge',
        summary: 'Dana Lee was charged twice for order 1234.',
      },
    };
    expect(plan(planTransfer(agent, trigger, CTX))).toMatchObject({
      reason: 'double charge',
      whisper: { kind: 'static', text: 'Dana Lee was charged twice for order 1234.' },
    });
  });

  it('lets the API override the mode; the ring default follows the mode', () => {
    expect(plan(planTransfer(AGENT, { type: 'api', rule: 'Billing', mode: 'warm' }, CTX))).toMatchObject({
      mode: 'warm',
      ringTimeoutMs: 15_000,
      whisper: { kind: 'summary' },
    });
    const warm = agentWith((b) => ({ ...b, handoffConfig: { ...b.handoffConfig, warm: true } }));
    expect(plan(planTransfer(warm, { type: 'api', mode: 'cold' }, CTX))).toMatchObject({
      mode: 'cold',
      ringTimeoutMs: 10_000,
    });
  });

  it('uses a configured ring timeout in both modes', () => {
    const agent = agentWith((b) => ({ ...b, handoffConfig: { ...b.handoffConfig, ringTimeoutSec: 30 } }));
    expect(plan(planTransfer(agent, { type: 'default' }, CTX)).ringTimeoutMs).toBe(30_000);
    expect(plan(planTransfer(agent, { type: 'api', mode: 'warm' }, CTX)).ringTimeoutMs).toBe(30_000);
  });

  it('prefers the given reason, then the rule, skill or API message', () => {
    const withReason = { ...CTX, reason: 'caller is upset' };
    expect(plan(planTransfer(AGENT, { type: 'rule', label: 'Billing' }, withReason)).reason).toBe(
      'caller is upset',
    );
    expect(plan(planTransfer(AGENT, { type: 'skill', name: 'Sales', confirmed: false }, CTX)).reason).toBe(
      'New customers.',
    );
    expect(plan(planTransfer(AGENT, { type: 'api', message: 'VIP caller' }, CTX)).reason).toBe('VIP caller');
    expect(plan(planTransfer(AGENT, { type: 'silence' }, CTX)).reason).toBe('the caller stopped responding');
  });
});

describe('caller ID', () => {
  const withCallerId = (callerId: string, outboundNumber?: string) =>
    agentWith((b) => {
      const { outboundNumber: _, ...rest } = b;
      return {
        ...rest,
        ...(outboundNumber === undefined ? {} : { outboundNumber }),
        handoffConfig: { ...b.handoffConfig, callerId },
      };
    });

  it.each<[string, string, string | undefined, string | undefined, string]>([
    ['caller → the caller number', 'caller', '+14155550100', CALLER, CALLER],
    ['caller, national → E.164', 'caller', '+14155550100', '212 555 0123', CALLER],
    ['caller unknown → outbound number', 'caller', '+14155550100', undefined, '+14155550100'],
    ['caller withheld → outbound number', 'caller', '+14155550100', 'anonymous', '+14155550100'],
    ['agent → outbound number', 'agent', '+14155550100', CALLER, '+14155550100'],
    ['fixed number', '+14155550188', undefined, CALLER, '+14155550188'],
  ])('%s', (_, callerId, outbound, callerNumber, expected) => {
    const ctx =
      callerNumber === undefined ? { nowMs: CTX.nowMs, defaultRegion: 'US' } : { ...CTX, callerNumber };
    expect(plan(planTransfer(withCallerId(callerId, outbound), { type: 'default' }, ctx)).callerId).toBe(
      expected,
    );
  });

  it.each<[string, string, string | undefined]>([
    ["'agent' without an outbound number", 'agent', CALLER],
    ["'caller' with neither number", 'caller', undefined],
  ])('refuses %s (missing_outbound_number)', (_, callerId, callerNumber) => {
    const ctx =
      callerNumber === undefined ? { nowMs: CTX.nowMs, defaultRegion: 'US' } : { ...CTX, callerNumber };
    expect(refusal(planTransfer(withCallerId(callerId), { type: 'default' }, ctx)).refusal).toBe(
      'missing_outbound_number',
    );
  });
});

describe('after hours', () => {
  const hours = (extra: Record<string, unknown>) =>
    agentWith((b) => ({
      ...b,
      afterHours: { timezone: 'America/Los_Angeles', schedule: { mon: [['09:00', '17:00']] }, ...extra },
    }));
  const closed = { ...CTX, nowMs: MONDAY_8PM_LA };

  it('transfers normally while open', () => {
    expect(plan(planTransfer(hours({}), { type: 'rule', label: 'Billing' }, CTX)).chain).toEqual([
      '+14155550111',
      '+14155550112',
    ]);
  });

  it('refuses when closed and human transfer is not allowed (the default)', () => {
    expect(refusal(planTransfer(hours({}), { type: 'rule', label: 'Billing' }, closed)).refusal).toBe(
      'after_hours',
    );
    expect(
      refusal(planTransfer(hours({ number: '+14155550144' }), { type: 'default' }, closed)).refusal,
    ).toBe('after_hours');
  });

  it('sends every trigger to the after-hours number when allowed', () => {
    const agent = hours({ allowHumanTransfer: true, number: '+14155550144' });
    for (const trigger of [
      { type: 'rule', label: 'Billing' },
      { type: 'default' },
      { type: 'api' },
    ] as const) {
      expect(plan(planTransfer(agent, trigger, closed)).chain).toEqual(['+14155550144']);
    }
  });

  it('uses the after-hours number even when the agent has no default', () => {
    const agent = agentWith((b) => ({
      ...b,
      handoffConfig: { transferRules: [] },
      afterHours: { timezone: 'UTC', schedule: {}, allowHumanTransfer: true, number: '+14155550144' },
    }));
    expect(plan(planTransfer(agent, { type: 'silence' }, closed)).chain).toEqual(['+14155550144']);
  });

  it('refuses with missing_transfer_number when allowed but no number is set', () => {
    expect(
      refusal(planTransfer(hours({ allowHumanTransfer: true }), { type: 'default' }, closed)).refusal,
    ).toBe('missing_transfer_number');
  });

  it('still reports a refused destination as such after hours', () => {
    const result = planTransfer(hours({}), { type: 'tag', destinations: ['+19005551234'] }, closed);
    expect(refusal(result).refusal).toBe('destination_not_allowed');
  });

  it('still asks for confirmation of a skill after hours when allowed', () => {
    const agent = hours({ allowHumanTransfer: true, number: '+14155550144' });
    const result = planTransfer(
      agent,
      { type: 'skill', name: 'Transfer to billing', confirmed: false },
      closed,
    );
    expect(refusal(result).refusal).toBe('confirmation_required');
  });
});

describe('fallbackWhisperText', () => {
  it.each([
    [
      'caller asks about an invoice, charge, or refund',
      'Incoming transfer: caller asks about an invoice, charge, or refund.',
    ],
    ['  caller prefers Spanish.  ', 'Incoming transfer: caller prefers Spanish.'],
    ['', 'Incoming transfer.'],
  ])('%j → %j', (reason, text) => {
    expect(fallbackWhisperText(reason)).toBe(text);
  });

  it('caps the length', () => {
    expect(fallbackWhisperText('x '.repeat(500)).length).toBeLessThanOrEqual(300);
  });
});
