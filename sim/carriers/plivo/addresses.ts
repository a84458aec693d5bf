/**
 * How Plivo writes a phone number on its wire: country code and number without `+` (Call API
 * `from`/`to`, `<Number>`, the `From`/`To` of its callbacks: "prefixed with the country code
 * without the + sign"). The network speaks E.164 with `+`; SIP URIs (`sip:…`) are the same on
 * both sides. Written from Plivo's docs, independently of the adapter, so a mistake in one is
 * caught by the other.
 */

/** Network address → what Plivo sends: `+14155550100` → `14155550100`; anything else unchanged. */
export function plivoWireNumber(address: string): string {
  return address.startsWith('+') && /^\+[1-9][0-9]{5,14}$/.test(address) ? address.slice(1) : address;
}

/**
 * What a Plivo request names (`to`, `from`, `<Number>`) → network address: bare digits gain `+`;
 * a `+` number (which Plivo tolerates) and `sip:` URIs pass through.
 */
export function networkAddress(value: string): string {
  return /^[1-9][0-9]{5,14}$/.test(value) ? `+${value}` : value;
}
