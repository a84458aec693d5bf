/**
 * Destination policy (DESIGN.md invariant 6): a destination is dialed only if the agent's
 * configuration names it, or its `destinationPolicy` allows it. A number the LLM invents or a
 * caller injects ("say [TRANSFER:+1900…]") is refused — toll-fraud protection.
 *
 * Pattern syntax (`destinationPolicy.allow`):
 * - `+14155550100` — exactly this number (counts as naming it explicitly);
 * - `+1415555*` — every number starting with these digits (`*` only at the end);
 * - `sip:*@pbx.example.com` — a SIP glob: `*` matches any run of characters, compared
 *   case-insensitively with the canonical URI.
 * Spaces, dashes, dots and parentheses in phone patterns are ignored.
 *
 * Premium-rate numbers are refused unless named explicitly (a rule, skill, default, after-hours
 * number, or an exact allow pattern): a prefix or country allowance never admits them.
 */
import { type Destination, destinationString, isPremiumRate, parseDestination } from './destination.js';

/**
 * What the policy reads of an agent's configuration (src/config's `AgentConfig` has this shape).
 * Declared here because src/config validates destinations with src/phone: the dependency points
 * one way, config → phone.
 */
export interface PolicyConfig {
  readonly handoffConfig: {
    readonly transferDestination?: string;
    readonly transferRules: readonly { readonly destination: readonly string[] }[];
  };
  readonly skills: readonly { readonly executionConfig: { readonly destination?: readonly string[] } }[];
  readonly afterHours?: { readonly number?: string };
  readonly destinationPolicy: { readonly allow: readonly string[]; readonly countries: readonly string[] };
}

export type PolicyDecision =
  | { readonly allowed: true }
  /** `premium_rate`: premium-rate and not named; `not_configured`: neither named nor allowed by the policy. */
  | { readonly allowed: false; readonly reason: 'premium_rate' | 'not_configured' };

export type PatternParse =
  | { readonly ok: true; readonly pattern: string }
  | { readonly ok: false; readonly message: string };

const PHONE_PATTERN = /^\+\d{1,15}\*?$/;

/**
 * Validates an allow pattern and returns its canonical form (phone separators removed, SIP
 * scheme lower-cased). An exact phone pattern must be a valid number.
 */
export function parseAllowPattern(input: string, defaultRegion: string): PatternParse {
  const text = input.trim();
  if (/^sips?:/i.test(text)) {
    if (text.length > 256 || /\s/.test(text))
      return { ok: false, message: `${JSON.stringify(input)} is not a valid SIP pattern` };
    const colon = text.indexOf(':');
    return { ok: true, pattern: `${text.slice(0, colon).toLowerCase()}${text.slice(colon)}` };
  }
  const compact = text.replace(/[\s\-().]/g, '');
  if (!PHONE_PATTERN.test(compact)) {
    return {
      ok: false,
      message: `${JSON.stringify(input)} is not a valid pattern (expected +digits, +digits* or a sip: glob)`,
    };
  }
  if (!compact.endsWith('*')) {
    const exact = parseDestination(compact, defaultRegion);
    if (!exact.ok) return { ok: false, message: `${exact.message}; add * to allow a prefix` };
  }
  return { ok: true, pattern: compact };
}

/** Whether a canonical destination string matches a canonical allow pattern. */
export function matchesAllowPattern(pattern: string, destination: string): boolean {
  if (pattern.startsWith('sip')) {
    const parts = pattern.toLowerCase().split('*').map(escapeRegExp);
    return new RegExp(`^${parts.join('.*')}$`).test(destination.toLowerCase());
  }
  if (destination.startsWith('sip')) return false;
  return pattern.endsWith('*') ? destination.startsWith(pattern.slice(0, -1)) : destination === pattern;
}

/**
 * Every destination the agent's configuration names: the default, every rule's and skill's
 * destinations, the after-hours number, and exact allow patterns. Canonical strings.
 */
export function namedDestinations(agent: PolicyConfig): ReadonlySet<string> {
  const cached = namedCache.get(agent);
  if (cached) return cached;
  const named = new Set<string>();
  const { handoffConfig, skills, afterHours, destinationPolicy } = agent;
  if (handoffConfig.transferDestination !== undefined) named.add(handoffConfig.transferDestination);
  for (const rule of handoffConfig.transferRules) for (const d of rule.destination) named.add(d);
  for (const skill of skills) for (const d of skill.executionConfig.destination ?? []) named.add(d);
  if (afterHours?.number !== undefined) named.add(afterHours.number);
  for (const pattern of destinationPolicy.allow) {
    if (!pattern.includes('*')) named.add(pattern);
  }
  namedCache.set(agent, named);
  return named;
}

/** Decides whether `agent` may dial `destination` (already parsed and canonical). */
export function isDestinationAllowed(agent: PolicyConfig, destination: Destination): PolicyDecision {
  const text = destinationString(destination);
  if (namedDestinations(agent).has(text)) return { allowed: true };
  if (destination.kind === 'pstn' && isPremiumRate(destination.e164))
    return { allowed: false, reason: 'premium_rate' };
  if (agent.destinationPolicy.allow.some((pattern) => matchesAllowPattern(pattern, text)))
    return { allowed: true };
  if (
    destination.kind === 'pstn' &&
    destination.country !== undefined &&
    agent.destinationPolicy.countries.includes(destination.country)
  ) {
    return { allowed: true };
  }
  return { allowed: false, reason: 'not_configured' };
}

// Agent configurations are frozen, so the named set can be computed once per object.
const namedCache = new WeakMap<PolicyConfig, ReadonlySet<string>>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
