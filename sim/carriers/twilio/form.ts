/**
 * Form bodies as twilio-node sends them: `application/x-www-form-urlencoded`, PascalCase keys,
 * list parameters as repeated keys (protocols.md §2.4).
 */

/** Parsed form: every key with all its values in order. */
export class Form {
  readonly #map = new Map<string, string[]>();

  constructor(entries: Iterable<[string, string]>) {
    for (const [k, v] of entries) {
      const list = this.#map.get(k);
      if (list) list.push(v);
      else this.#map.set(k, [v]);
    }
  }

  static parse(body: string): Form {
    return new Form(new URLSearchParams(body).entries());
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** The last value of `key`. */
  get(key: string): string | undefined {
    return this.#map.get(key)?.at(-1);
  }

  /** Every value of `key`, in order. */
  all(key: string): string[] {
    return this.#map.get(key) ?? [];
  }

  /** `true`/`false` (case-insensitive); `fallback` when absent or anything else. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key)?.toLowerCase();
    return v === 'true' ? true : v === 'false' ? false : fallback;
  }

  /** An integer; `fallback` when absent or not a number. */
  int(key: string, fallback: number): number {
    const v = this.get(key);
    if (v === undefined || !/^-?\d+$/.test(v.trim())) return fallback;
    return Number.parseInt(v, 10);
  }

  /** Plain object for the log: single values as strings, repeated keys as arrays. */
  toParams(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.#map) out[k] = v.length === 1 ? (v[0] as string) : [...v];
    return out;
  }
}

/** Encodes flat params for a webhook body or query string. */
export function encodeForm(params: Readonly<Record<string, string>>): string {
  return new URLSearchParams(Object.entries(params)).toString();
}
