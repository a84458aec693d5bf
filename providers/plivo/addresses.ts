/**
 * Plivo writes phone numbers as country code + number without `+` (protocols.md §3.4: `from`,
 * `to`, `<Number>`, and the `From`/`To` of its webhooks); the daemon speaks E.164 with `+`.
 * SIP URIs pass through unchanged. Both functions handle PII: never log their input or output.
 */

const PLIVO_NUMBER = /^\d{6,15}$/;

/** `+14155550100` → `14155550100`; `sip:…` and anything else unchanged. */
export function toPlivoAddress(address: string): string {
  return /^\+\d{6,15}$/.test(address) ? address.slice(1) : address;
}

/** `14155550100` → `+14155550100`; `sip:…`, `+…` and anything else unchanged. */
export function fromPlivoAddress(value: string): string {
  return PLIVO_NUMBER.test(value) ? `+${value}` : value;
}
