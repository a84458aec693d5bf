import { describe, expect, it } from 'vitest';
import {
  isPremiumRate,
  normalizeDestination,
  normalizeInboundNumber,
  parseDestination,
} from '../../src/phone/destination.js';
import { parseSipUri } from '../../src/phone/sip.js';

describe('parseDestination: phone numbers', () => {
  it.each([
    ['+14155550100', 'US', '+14155550100', 'US'],
    ['4155550100', 'US', '+14155550100', 'US'],
    ['(415) 555-0100', 'US', '+14155550100', 'US'],
    ['415.555.0100', 'US', '+14155550100', 'US'],
    ['1-415-555-0100', 'US', '+14155550100', 'US'],
    ['  +1 415 555 0100  ', 'US', '+14155550100', 'US'],
    ['tel:+14155550100', 'US', '+14155550100', 'US'],
    ['+44 20 8760 1234', 'US', '+442087601234', 'GB'],
    ['020 8760 1234', 'GB', '+442087601234', 'GB'],
    ['+31 6 12345678', 'US', '+31612345678', 'NL'],
    ['+1 416 555 0199', 'US', '+14165550199', 'CA'],
    ['+19005551234', 'US', '+19005551234', 'US'],
  ])('%s (region %s) → %s', (input, region, e164, country) => {
    const result = parseDestination(input, region);
    expect(result).toEqual({ ok: true, destination: { kind: 'pstn', e164, country } });
    expect(normalizeDestination(input, region)).toEqual({ ok: true, value: e164 });
  });

  it('keeps non-geographic numbers without a country', () => {
    expect(parseDestination('+800 1234 5678', 'US')).toEqual({
      ok: true,
      destination: { kind: 'pstn', e164: '+80012345678' },
    });
  });

  it.each([
    ['+1555', 'too_short', '"+1555" is not a valid phone number (too short)'],
    ['555', 'too_short', undefined],
    ['+1415555010012345', 'too_long', undefined],
    ['4155550100123456789012345678901234567890123', 'too_long', undefined],
    ['+999 12345', 'invalid_country', undefined],
    ['+44 20 8760 12', 'invalid_length', undefined],
    ['+1 123 555 0100', 'invalid_number', undefined],
    ['', 'not_a_number', undefined],
    ['call me', 'not_a_number', undefined],
    ['1-800-FLOWERS', 'not_a_number', undefined],
    ['+1 415 555 0100 ext. 12', 'not_a_number', undefined],
    ['call +1 415 555 0100 now', 'not_a_number', undefined],
    ['sip:bad', 'invalid_sip_uri', '"sip:bad" is not a valid SIP URI (has no user part (user@host))'],
  ])('refuses %j with %s', (input, reason, message) => {
    const result = parseDestination(input, 'US');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe(reason);
    expect(result.message).toContain(JSON.stringify(input));
    if (message !== undefined) expect(result.message).toBe(message);
  });
});

describe('parseDestination: SIP URIs', () => {
  it.each([
    ['sip:alice@pbx.example.com', 'sip:alice@pbx.example.com'],
    ['SIP:Alice@PBX.Example.COM', 'sip:Alice@pbx.example.com'],
    ['sips:support@pbx.example.com:5061', 'sips:support@pbx.example.com:5061'],
    ['sip:+14155550100@trunk.example.com;user=phone', 'sip:+14155550100@trunk.example.com;user=phone'],
    ['sip:agent@10.0.0.5:5060;transport=tcp', 'sip:agent@10.0.0.5:5060;transport=tcp'],
    ['sip:agent@[2001:db8::1]:5060', 'sip:agent@[2001:db8::1]:5060'],
    ['sip:a%20b@host.example', 'sip:a%20b@host.example'],
  ])('%s → %s', (input, uri) => {
    expect(parseDestination(input, 'US')).toEqual({ ok: true, destination: { kind: 'sip', uri } });
  });

  it.each([
    ['sip:@pbx.example.com', 'no user part'],
    ['sip:pbx.example.com', 'no user part'],
    ['sip:alice@', 'invalid host'],
    ['sip:alice@pbx..example.com', 'invalid host'],
    ['sip:alice@pbx.example.com:99999', 'invalid host or port'],
    ['sip:alice@300.1.1.1', 'invalid host'],
    ['sip:al ice@pbx.example.com', 'invalid user part'],
    ['sip:alice@pbx.example.com?X-Evil=1', 'header fields'],
    ['sip:alice@pbx.example.com;=x', 'invalid parameter'],
    ['sip:<alice@pbx.example.com>', 'invalid user part'],
    [`sip:${'a'.repeat(300)}@pbx.example.com`, 'longer than'],
  ])('refuses %s (%s)', (input, fragment) => {
    const result = parseSipUri(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(fragment);
    expect(parseDestination(input, 'US')).toMatchObject({ ok: false, reason: 'invalid_sip_uri' });
  });
});

describe('premium rate', () => {
  it.each([
    ['+19005551234', true],
    ['+19002345678', true],
    ['+14155550100', false],
    ['+18005550100', false],
    ['+442087601234', false],
  ])('%s premium=%s', (e164, premium) => {
    expect(isPremiumRate(e164)).toBe(premium);
  });
});

describe('normalizeInboundNumber', () => {
  it.each([
    ['+14155550100', 'US', '+14155550100'],
    ['14155550100', 'US', '+14155550100'],
    ['442087601234', 'US', '+442087601234'],
    ['09876543210', 'IN', '+919876543210'],
    ['anonymous', 'US', undefined],
    ['+266696687', 'US', undefined],
  ])('%s (region %s) → %s', (input, region, expected) => {
    expect(normalizeInboundNumber(input, region)).toBe(expected);
  });
});
