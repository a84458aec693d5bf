/**
 * Plivo's REST answers: JSON with an `api_id` on every response, `{ api_id, error }` on failures
 * (protocols.md §3.4).
 */
import crypto from 'node:crypto';
import type { SimHttpResponse } from '../../front-end.js';

/** A fresh `api_id` (a UUID, as Plivo's). */
export function apiId(): string {
  return crypto.randomUUID();
}

export function plivoJson(status: number, body: Record<string, unknown>): SimHttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_id: apiId(), ...body }),
  };
}

export function plivoError(status: number, error: string): SimHttpResponse {
  return plivoJson(status, { error });
}

/** An empty `204 No Content` (hang-ups). */
export function noContent(): SimHttpResponse {
  return { status: 204 };
}
