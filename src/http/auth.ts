import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from '../config/api-keys.js';

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Bearer keys checked against their SHA-256 digests (the clear keys are not kept after start),
 * in constant time. 401: no or unknown key; 403: a known key without the scope.
 */
export function bearerAuthorizer(keys: readonly ApiKey[]): (header: string | undefined, scope: string) => 401 | 403 | null {
  const stored = keys.map((k) => ({ digest: digest(k.key), scopes: new Set<string>(k.scopes) }));
  return (header, scope) => {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (match?.[1] === undefined) return 401;
    const presented = digest(match[1]);
    const found = stored.find((k) => timingSafeEqual(k.digest, presented));
    if (found === undefined) return 401;
    return found.scopes.has(scope) ? null : 403;
  };
}
