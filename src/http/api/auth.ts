import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiScope } from '../../config/api-keys.js';

/** Who is calling: a key known by its digest, never by its text. */
export interface ApiPrincipal {
  /** First 12 hex digits of the key's SHA-256: safe to log and to key rate limits on. */
  readonly keyId: string;
  readonly scopes: ReadonlySet<ApiScope>;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * Bearer keys checked against their SHA-256 digests (the clear keys are not kept after start),
 * in constant time: every stored digest is compared, whichever matches.
 */
export class KeyAuthenticator {
  readonly #keys: readonly { readonly digest: Buffer; readonly principal: ApiPrincipal }[];

  constructor(keys: readonly ApiKey[]) {
    this.#keys = keys.map((k) => {
      const d = digest(k.key);
      return {
        digest: d,
        principal: Object.freeze({ keyId: d.toString('hex').slice(0, 12), scopes: new Set(k.scopes) }),
      };
    });
  }

  /** The key in an `Authorization: Bearer …` header, or null when absent or unknown (401). */
  authenticate(header: string | undefined): ApiPrincipal | null {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (match?.[1] === undefined) return null;
    const presented = digest(match[1]);
    let found: ApiPrincipal | null = null;
    for (const k of this.#keys) {
      if (timingSafeEqual(k.digest, presented)) found = k.principal;
    }
    return found;
  }
}

/** 401: no or unknown key; 403: a known key without the scope; null: allowed. */
export function bearerAuthorizer(
  keys: readonly ApiKey[],
): (header: string | undefined, scope: string) => 401 | 403 | null {
  const auth = new KeyAuthenticator(keys);
  return (header, scope) => {
    const principal = auth.authenticate(header);
    if (principal === null) return 401;
    return principal.scopes.has(scope as ApiScope) ? null : 403;
  };
}
