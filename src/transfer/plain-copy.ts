/**
 * A deep copy of plain data (objects, arrays, primitives), as `structuredClone` makes of it,
 * at a fraction of the cost: a transfer machine copies its whole state on every step
 * (machine-draft.ts), and `structuredClone` serializes and deserializes it through V8's
 * serializer, several times slower than this walk (docs/performance.md). Plain data only: a
 * call record is JSON, so it holds no Dates, Maps or cycles. Own enumerable keys are copied,
 * `undefined` values kept, as `structuredClone` does.
 */
export function plainCopy<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = copy((value as Record<string, unknown>)[key]);
    // An assignment to `__proto__` would set the prototype (JSON.parse makes it an own key).
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}
