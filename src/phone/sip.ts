/**
 * SIP URI destinations (`sip:` / `sips:`, RFC 3261 §19.1): `user@host[:port][;params]`.
 *
 * Header fields (`?X-Foo=…`) are refused: a destination is where a call goes, and letting a
 * configured or agent-supplied string add headers to the INVITE/REFER would be an injection path.
 */

/** Longest SIP URI accepted, in characters. Carriers cap dial strings well below 1 KB. */
export const MAX_SIP_URI_LENGTH = 256;

// RFC 3261 `user`: unreserved / escaped / user-unreserved ( & = + $ , ; ? / ). `;` and `?` are
// left out here because they would be read as a parameter or header start by most stacks.
const USER = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,/]|%[0-9A-Fa-f]{2})+$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const PARAM = /^[A-Za-z0-9\-_.!~*'%]+(?:=[A-Za-z0-9\-_.!~*'%[\]:]+)?$/;

export type SipParseResult =
  | { readonly ok: true; readonly uri: string }
  | { readonly ok: false; readonly message: string };

/**
 * Validates a SIP URI and returns its canonical form: scheme and host lower-cased (both are
 * case-insensitive, RFC 3261 §19.1.4), user part and parameters kept as written.
 */
export function parseSipUri(input: string): SipParseResult {
  if (input.length > MAX_SIP_URI_LENGTH) return fail(`is longer than ${MAX_SIP_URI_LENGTH} characters`);
  const match = /^(sips?):(.*)$/i.exec(input);
  if (!match) return fail('does not start with sip: or sips:');
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (rest.includes('?')) return fail('has header fields (?…), which are not allowed');
  const at = rest.lastIndexOf('@');
  if (at <= 0) return fail('has no user part (user@host)');
  const user = rest.slice(0, at);
  if (!USER.test(user)) return fail('has an invalid user part');
  const [hostPort = '', ...params] = rest.slice(at + 1).split(';');
  const host = parseHostPort(hostPort);
  if (host === undefined) return fail('has an invalid host or port');
  for (const param of params) {
    if (!PARAM.test(param)) return fail(`has an invalid parameter ";${param}"`);
  }
  const paramText = params.length > 0 ? `;${params.join(';')}` : '';
  return { ok: true, uri: `${scheme}:${user}@${host}${paramText}` };
}

/** Whether `input` looks like it was meant to be a SIP URI (so it should be judged as one). */
export function looksLikeSipUri(input: string): boolean {
  return /^sips?:/i.test(input);
}

function parseHostPort(text: string): string | undefined {
  let host = text;
  let port: string | undefined;
  const portMatch = /^(.*):(\d{1,5})$/.exec(text);
  if (portMatch && !(text.startsWith('[') && !text.includes(']:'))) {
    host = portMatch[1]!;
    port = portMatch[2]!;
    const portNumber = Number(port);
    if (portNumber < 1 || portNumber > 65_535) return undefined;
  }
  if (!isHost(host)) return undefined;
  return port === undefined ? host.toLowerCase() : `${host.toLowerCase()}:${port}`;
}

function isHost(host: string): boolean {
  if (IPV6.test(host)) return true;
  if (/^[\d.]+$/.test(host)) return IPV4.test(host);
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.endsWith('.') ? host.slice(0, -1).split('.') : host.split('.');
  return labels.every((label) => HOST_LABEL.test(label));
}

function fail(message: string): SipParseResult {
  return { ok: false, message };
}
