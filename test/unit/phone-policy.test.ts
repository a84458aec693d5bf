import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { type Destination, parseDestination } from '../../src/phone/destination.js';
import {
  isDestinationAllowed,
  matchesAllowPattern,
  namedDestinations,
  parseAllowPattern,
} from '../../src/phone/policy.js';

function agentWith(extra: Record<string, unknown>): AgentConfig {
  return parseAgentConfig(
    { id: 'a', agent: { url: 'ws://127.0.0.1:1/agent' }, ...extra },
    { defaultRegion: 'US' },
  );
}

function dest(input: string): Destination {
  const result = parseDestination(input, 'US');
  if (!result.ok) throw new Error(result.message);
  return result.destination;
}

const configured = agentWith({
  numbers: ['+14155550100'],
  outboundNumber: '+14155550101',
  handoffConfig: {
    transferDestination: '+14155550133',
    transferRules: [
      { label: 'Billing', when: 'invoices', destination: ['+14155550111', '+14155550112'] },
      { label: 'Desk', when: 'desk', destination: 'sip:desk@pbx.example.com' },
    ],
  },
  skills: [
    {
      name: 'Rep',
      description: 'd',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550155' },
    },
  ],
  afterHours: { timezone: 'UTC', schedule: {}, number: '+14155550144' },
});

describe('named destinations', () => {
  it('collects the default, rules, skills and the after-hours number, not the agent own numbers', () => {
    expect([...namedDestinations(configured)].sort()).toEqual(
      [
        '+14155550111',
        '+14155550112',
        '+14155550133',
        '+14155550144',
        '+14155550155',
        'sip:desk@pbx.example.com',
      ].sort(),
    );
  });

  it.each([
    '+14155550111',
    '+14155550112',
    '+14155550133',
    '+14155550144',
    '+14155550155',
    'sip:desk@PBX.example.com',
  ])('allows configured %s', (input) => {
    expect(isDestinationAllowed(configured, dest(input))).toEqual({ allowed: true });
  });

  it.each([
    ['+14155550199', 'not_configured'],
    ['+14155550100', 'not_configured'],
    ['+442087601234', 'not_configured'],
    ['sip:other@pbx.example.com', 'not_configured'],
    ['+19005551234', 'premium_rate'],
  ])('refuses %s (%s) with an empty policy', (input, reason) => {
    expect(isDestinationAllowed(configured, dest(input))).toEqual({ allowed: false, reason });
  });
});

describe('policy patterns and countries', () => {
  const open = agentWith({
    destinationPolicy: {
      allow: ['+1 212 555 *', '+442087601234', 'sip:*@pbx.example.com', '+1900*'],
      countries: ['CA', 'NL'],
    },
  });

  it.each([
    ['+12125550123', true],
    ['+12125550199', true],
    ['+12135550123', false],
    ['+442087601234', true],
    ['+442087601299', false],
    ['sip:anyone@pbx.example.com', true],
    ['sip:anyone@pbx.example.com;transport=tls', false],
    ['sip:anyone@evil.example.com', false],
    ['+14165550199', true],
    ['+31612345678', true],
    ['+14155550111', false],
    ['+80012345678', false],
  ])('%s allowed=%s', (input, allowed) => {
    expect(isDestinationAllowed(open, dest(input)).allowed).toBe(allowed);
  });

  it('never lets a prefix pattern admit a premium-rate number', () => {
    expect(isDestinationAllowed(open, dest('+19005551234'))).toEqual({
      allowed: false,
      reason: 'premium_rate',
    });
  });

  it('never lets a country admit a premium-rate number', () => {
    const us = agentWith({ destinationPolicy: { countries: ['US'] } });
    expect(isDestinationAllowed(us, dest('+14155550199'))).toEqual({ allowed: true });
    expect(isDestinationAllowed(us, dest('+19005551234'))).toEqual({
      allowed: false,
      reason: 'premium_rate',
    });
  });

  it('allows a premium-rate number that is named explicitly', () => {
    const inRule = agentWith({
      handoffConfig: { transferRules: [{ label: 'Paid line', when: 'w', destination: '+19005551234' }] },
    });
    const exactPattern = agentWith({ destinationPolicy: { allow: ['+19005551234'] } });
    expect(isDestinationAllowed(inRule, dest('+19005551234'))).toEqual({ allowed: true });
    expect(isDestinationAllowed(exactPattern, dest('+19005551234'))).toEqual({ allowed: true });
  });
});

describe('allow patterns', () => {
  it.each([
    ['+1415555*', '+1415555*'],
    ['+1 (415) 555-*', '+1415555*'],
    ['+14155550100', '+14155550100'],
    ['SIPS:*@pbx.example.com', 'sips:*@pbx.example.com'],
  ])('%s → %s', (input, pattern) => {
    expect(parseAllowPattern(input, 'US')).toEqual({ ok: true, pattern });
  });

  it.each(['+*', '1415555*', '+1415*555', '+14155', 'tel:+1*', '+1415555**', 'sip:a b@c'])(
    'refuses %s',
    (input) => {
      expect(parseAllowPattern(input, 'US').ok).toBe(false);
    },
  );

  it.each([
    ['+1415555*', '+14155550100', true],
    ['+1415555*', '+14165550100', false],
    ['+14155550100', '+14155550100', true],
    ['+14155550100', '+141555501000', false],
    ['sip:*@pbx.example.com', 'sip:a@pbx.example.com', true],
    ['sip:*@pbx.example.com', 'sips:a@pbx.example.com', false],
    ['sip:*@*.example.com', 'sip:a@x.example.com', true],
    ['sip:*', '+14155550100', false],
    ['+1*', 'sip:+14155550100@pbx.example.com', false],
  ])('%s matches %s: %s', (pattern, destination, matches) => {
    expect(matchesAllowPattern(pattern, destination)).toBe(matches);
  });
});
