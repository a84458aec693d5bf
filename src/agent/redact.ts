/**
 * A destination as the agent may see it in `transfer_status`: enough to tell lines apart, not
 * enough to dial (DESIGN.md invariant 8). `+14155550111` → `+*******0111`,
 * `sip:alice@pbx.example.com` → `sip:***@pbx.example.com`.
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
