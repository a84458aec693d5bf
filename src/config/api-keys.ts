/**
 * Control-API keys from `PATCHTHROUGH_API_KEYS`: either comma-separated `key:scope1+scope2`
 * entries, or a JSON array `[{ "key": "…", "scopes": ["calls:write"] }]`. Scopes are flowyte's.
 * Problems name the entry by position, never by its key (keys are secrets).
 */

export const API_SCOPES = [
  'agents:read',
  'agents:write',
  'skills:read',
  'skills:write',
  'calls:read',
  'calls:write',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** One API key and what it may do. */
export interface ApiKey {
  readonly key: string;
  /** Non-empty, without duplicates. */
  readonly scopes: readonly ApiScope[];
}

/** Shortest key accepted, in characters: short keys are guessable. */
export const MIN_API_KEY_LENGTH = 16;

const KEY_PATTERN = /^[A-Za-z0-9._~+/=-]+$/;

/** Parses the variable's text. Returns the keys that are valid and one message per problem. */
export function parseApiKeys(text: string): {
  readonly keys: readonly ApiKey[];
  readonly problems: readonly string[];
} {
  const problems: string[] = [];
  const entries = text.trim().startsWith('[') ? jsonEntries(text, problems) : listEntries(text, problems);
  const keys: ApiKey[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const before = problems.length;
    if (entry.key.length < MIN_API_KEY_LENGTH)
      problems.push(`${where}: the key is shorter than ${MIN_API_KEY_LENGTH} characters`);
    else if (!KEY_PATTERN.test(entry.key))
      problems.push(`${where}: the key has characters other than A-Z a-z 0-9 . _ ~ + / = -`);
    else if (seen.has(entry.key)) problems.push(`${where}: the same key is listed twice`);
    if (entry.scopes.length === 0)
      problems.push(`${where}: needs at least one scope (${API_SCOPES.join(', ')})`);
    for (const scope of entry.scopes) {
      if (!isScope(scope))
        problems.push(`${where}: unknown scope ${JSON.stringify(scope)} (known: ${API_SCOPES.join(', ')})`);
    }
    seen.add(entry.key);
    if (problems.length === before)
      keys.push({ key: entry.key, scopes: [...new Set(entry.scopes.filter(isScope))] });
  });
  return { keys, problems };
}

interface RawEntry {
  readonly key: string;
  readonly scopes: readonly string[];
}

function listEntries(text: string, problems: string[]): RawEntry[] {
  const entries: RawEntry[] = [];
  text.split(',').forEach((part, index) => {
    const item = part.trim();
    if (item === '') return;
    const colon = item.indexOf(':');
    if (colon < 0) {
      problems.push(`entry ${index + 1}: expected key:scope1+scope2`);
      return;
    }
    // Scopes contain a colon themselves (`calls:read`), so the key ends at the first one.
    const scopes = item
      .slice(colon + 1)
      .split('+')
      .map((scope) => scope.trim())
      .filter((scope) => scope !== '');
    entries.push({ key: item.slice(0, colon).trim(), scopes });
  });
  return entries;
}

function jsonEntries(text: string, problems: string[]): RawEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push('is not valid JSON (expected [{"key": "…", "scopes": ["calls:read"]}])');
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const entries: RawEntry[] = [];
  parsed.forEach((item: unknown, index) => {
    const record = item !== null && typeof item === 'object' ? (item as Record<string, unknown>) : {};
    const { key, scopes } = record;
    const scopeList = typeof scopes === 'string' ? scopes.split(/[+\s]+/) : scopes;
    if (
      typeof key !== 'string' ||
      !Array.isArray(scopeList) ||
      !scopeList.every((s) => typeof s === 'string')
    ) {
      problems.push(`entry ${index + 1}: expected {"key": string, "scopes": string[]}`);
      return;
    }
    entries.push({ key, scopes: scopeList.filter((s) => s !== '') });
  });
  return entries;
}

function isScope(value: string): value is ApiScope {
  return (API_SCOPES as readonly string[]).includes(value);
}
