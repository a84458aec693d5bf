/**
 * Redaction for logs (DESIGN.md invariant 8): numbers and SIP URIs appear only under `pii.*`
 * keys, and redacted there unless `LOG_PII` is on. Enough stays visible to tell destinations
 * apart in an incident (country and area code, last two digits), not enough to dial.
 */

/**
 * Redacts a phone number or SIP URI: `+14155550100` → `+1415*****00`,
 * `sip:alice@pbx.example.com` → `sip:a****@pbx.example.com`. Any other string is masked
 * except its first two and last two characters.
 */
export function redactPhone(value: string): string {
  const sip = /^(sips?:)([^@]*)@(.*)$/i.exec(value);
  if (sip) {
    const user = sip[2]!;
    return `${sip[1]}${user.slice(0, 1)}${'*'.repeat(Math.max(user.length - 1, 1))}@${sip[3]}`;
  }
  if (value.length >= 9) {
    return `${value.slice(0, 5)}${'*'.repeat(value.length - 7)}${value.slice(-2)}`;
  }
  if (value.length >= 5) {
    return `${value.slice(0, 2)}${'*'.repeat(value.length - 4)}${value.slice(-2)}`;
  }
  return '*'.repeat(value.length);
}
