/**
 * Destination parsing: a phone number (normalized to E.164) or a SIP URI.
 *
 * libphonenumber-js ships three metadata sets. `min` validates by leading digits and length and
 * already accepts the fictional 555-01xx numbers used in examples and tests (+1 415 555 0100),
 * but it carries no number types, and the destination policy needs the type to refuse premium-rate
 * numbers (+1 900…, +44 9…). So this module imports the `max` set, the only one with
 * `getType()`. Its ~145 KB load happens once, at start.
 */
import {
  type CountryCode,
  isSupportedCountry,
  type PhoneNumber,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';
import { boundedMemo } from './bounded-memo.js';
import { looksLikeSipUri, parseSipUri } from './sip.js';

/** A parsed, canonical transfer destination. */
export type Destination =
  /** A phone number. `e164` is `+` and digits; `country` is ISO 3166-1 alpha-2 when the number has one. */
  | { readonly kind: 'pstn'; readonly e164: string; readonly country?: string }
  /** A SIP URI, canonical (scheme and host lower-cased). */
  | { readonly kind: 'sip'; readonly uri: string };

/** Why a string is not a destination. */
export const DESTINATION_REJECTIONS = [
  'not_a_number',
  'too_short',
  'too_long',
  'invalid_length',
  'invalid_country',
  'invalid_number',
  'invalid_sip_uri',
] as const;
export type DestinationRejection = (typeof DESTINATION_REJECTIONS)[number];

export type DestinationResult =
  | { readonly ok: true; readonly destination: Destination }
  | { readonly ok: false; readonly reason: DestinationRejection; readonly message: string };

/** Longest phone-number input considered, in characters (anything longer is `too_long`). */
const MAX_NUMBER_INPUT_LENGTH = 40;

/** Characters people write in phone numbers. Letters (vanity numbers, `ext.`) are refused. */
const NUMBER_CHARS = /^\+?[\d\s\-()./]+$/;

const REASON_TEXT: Record<Exclude<DestinationRejection, 'invalid_sip_uri'>, string> = {
  not_a_number: 'not a number',
  too_short: 'too short',
  too_long: 'too long',
  invalid_length: 'wrong length for its country',
  invalid_country: 'unknown country code',
  invalid_number: 'not a number in use in its country',
};

/**
 * Parses a destination. Phone numbers without `+` are read as national numbers of
 * `defaultRegion` (a 10-digit US number becomes `+1…`); `tel:` URIs are accepted as numbers;
 * `sip:` / `sips:` URIs are validated (see sip.ts).
 *
 * @param defaultRegion ISO 3166-1 alpha-2 country for national numbers, e.g. `US`.
 */
export function parseDestination(input: string, defaultRegion: string): DestinationResult {
  let parse = parsersByRegion.get(defaultRegion);
  if (parse === undefined) {
    parse = boundedMemo((text) => deepFreeze(parseFresh(text, defaultRegion)), {
      kept: 1024,
      maxKeyLength: 300,
    });
    // A daemon has one default region, a few at most (tests, per-agent regions).
    if (parsersByRegion.size < 16) parsersByRegion.set(defaultRegion, parse);
  }
  return parse(input);
}

/**
 * Every trigger parses its destinations and the caller's number again (plan.ts), and the same
 * few numbers come back call after call; parsing one costs ≈ 0.06 ms when the machine's caches
 * are cold, as they are for a trigger at a steady rate. Answers are frozen and shared.
 */
const parsersByRegion = new Map<string, (input: string) => DestinationResult>();

function deepFreeze(result: DestinationResult): DestinationResult {
  if (result.ok) Object.freeze(result.destination);
  return Object.freeze(result);
}

function parseFresh(input: string, defaultRegion: string): DestinationResult {
  const text = input.trim();
  if (looksLikeSipUri(text)) {
    const sip = parseSipUri(text);
    if (sip.ok) return { ok: true, destination: { kind: 'sip', uri: sip.uri } };
    return {
      ok: false,
      reason: 'invalid_sip_uri',
      message: `${quote(input)} is not a valid SIP URI (${sip.message})`,
    };
  }
  const number = /^tel:/i.test(text) ? text.slice(4) : text;
  const parsed = parsePhone(number, defaultRegion);
  if (!parsed.ok) {
    return {
      ok: false,
      reason: parsed.reason,
      message: `${quote(input)} is not a valid phone number (${REASON_TEXT[parsed.reason]})`,
    };
  }
  const country = parsed.phone.country;
  return {
    ok: true,
    destination:
      country === undefined
        ? { kind: 'pstn', e164: parsed.phone.number }
        : { kind: 'pstn', e164: parsed.phone.number, country },
  };
}

/** The canonical string of a destination: E.164 for numbers, the canonical URI for SIP. */
export function destinationString(destination: Destination): string {
  return destination.kind === 'pstn' ? destination.e164 : destination.uri;
}

/** {@link parseDestination}, returning the canonical string (`+14155550100`, `sip:…`) on success. */
export function normalizeDestination(
  input: string,
  defaultRegion: string,
):
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: DestinationRejection; readonly message: string } {
  const result = parseDestination(input, defaultRegion);
  return result.ok ? { ok: true, value: destinationString(result.destination) } : result;
}

/**
 * Normalizes a number as a carrier reports it on an inbound call. Twilio sends E.164, Plivo
 * sends E.164 without the `+` (`14155550100`), Exotel may send a national number with a trunk
 * prefix (`09876543210`). Digits-only input is tried as a national number first, then as
 * international digits. Returns undefined when it is not a valid number.
 */
export function normalizeInboundNumber(input: string, defaultRegion: string): string | undefined {
  const text = input.trim();
  const national = parsePhone(text, defaultRegion);
  if (national.ok) return national.phone.number;
  if (/^\d{8,15}$/.test(text)) {
    const international = parsePhone(`+${text}`, defaultRegion);
    if (international.ok) return international.phone.number;
  }
  return undefined;
}

/** Whether an E.164 number is premium-rate (libphonenumber type PREMIUM_RATE, e.g. +1 900…). */
export const isPremiumRate: (e164: string) => boolean = boundedMemo(
  (e164) => parsePhoneNumberFromString(e164)?.getType() === 'PREMIUM_RATE',
  { kept: 1024, maxKeyLength: 40 },
);

/** Whether `code` is an ISO 3166-1 alpha-2 region libphonenumber knows (upper case expected). */
export function isKnownRegion(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

type PhoneParse =
  | { readonly ok: true; readonly phone: PhoneNumber }
  | { readonly ok: false; readonly reason: Exclude<DestinationRejection, 'invalid_sip_uri'> };

function parsePhone(text: string, defaultRegion: string): PhoneParse {
  if (text.length > MAX_NUMBER_INPUT_LENGTH) return { ok: false, reason: 'too_long' };
  if (!NUMBER_CHARS.test(text) || !/\d/.test(text)) return { ok: false, reason: 'not_a_number' };
  const region = isKnownRegion(defaultRegion) ? (defaultRegion as CountryCode) : undefined;
  // `extract: false`: the whole string must be the number, not merely contain one.
  const phone = parsePhoneNumberFromString(text, { defaultCountry: region, extract: false });
  if (phone?.isValid()) return { ok: true, phone };
  const length = validatePhoneNumberLength(text, region);
  switch (length) {
    case 'TOO_SHORT':
      return { ok: false, reason: 'too_short' };
    case 'TOO_LONG':
      return { ok: false, reason: 'too_long' };
    case 'INVALID_LENGTH':
      return { ok: false, reason: 'invalid_length' };
    case 'INVALID_COUNTRY':
      return { ok: false, reason: 'invalid_country' };
    case 'NOT_A_NUMBER':
      return { ok: false, reason: 'not_a_number' };
    default:
      return { ok: false, reason: 'invalid_number' };
  }
}

function quote(input: string): string {
  const shown = input.length > 64 ? `${input.slice(0, 61)}...` : input;
  return JSON.stringify(shown);
}
