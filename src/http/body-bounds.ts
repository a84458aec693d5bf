import { DaemonError } from '../domain/errors.js';

/**
 * Bounds on request bodies. A body is refused with a 4xx naming the problem before anything
 * recursive touches it: `JSON.parse` copes with deep nesting, but everything after it that walks
 * the value (stringify, merge patch, validation) recurses and would overflow the stack.
 */

/** Largest body accepted on any route, bytes (fastify answers 413 `body_too_large` above it). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Deepest JSON nesting accepted (objects and arrays together). Carrier payloads nest 2–3 levels
 * and an agent configuration about 8.
 */
export const MAX_JSON_DEPTH = 32;

/** A body refused before it was parsed: the HTTP status, a code, and the field (`body`). */
export class BodyRefused extends DaemonError {
  /** Read by fastify's default error handler. */
  readonly statusCode: 400 | 413 | 415;
  readonly field = 'body';

  constructor(statusCode: 400 | 413 | 415, code: string, message: string) {
    super(code, message);
    this.name = 'BodyRefused';
    this.statusCode = statusCode;
  }
}

export function bodyTooDeep(): BodyRefused {
  return new BodyRefused(400, 'body_too_deep', `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
}

/**
 * Whether JSON text nests deeper than `maxDepth`, found by one iterative scan of the text (no
 * recursion, no parse): brackets inside strings do not count. Malformed text is left to the parser.
 */
export function jsonTooDeep(text: string, maxDepth: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
