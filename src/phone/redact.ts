/**
 * The one masking rule for a destination that leaves the daemon (DESIGN.md invariant 8): enough
 * to tell lines apart, not enough to dial. The agent sees it in `transfer_status`, whatever its
 * transport. `+14155550111` → `+*******0111`, `sip:alice@pbx.example.com` →
 * `sip:***@pbx.example.com`; anything else → `***`.
 *
 * Logs do not mask: numbers, SIP URIs and digits go only under `pii.*` keys, which the logger
 * censors whole unless `LOG_PII` is on (src/log.ts).
 */
export function redactDestination(destination: string): string {
  const sip = /^(sips?:)[^@]*@(.+)$/i.exec(destination);
  if (sip) return `${sip[1]}***@${sip[2]}`;
  if (/^\+?\d+$/.test(destination)) {
    const plus = destination.startsWith('+') ? '+' : '';
    const digits = destination.slice(plus.length);
    const keep = Math.min(4, Math.max(0, digits.length - 4));
    return plus + '*'.repeat(digits.length - keep) + digits.slice(digits.length - keep);
  }
  return '***';
}
