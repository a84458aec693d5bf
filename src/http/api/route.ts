import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { ApiScope } from '../../config/api-keys.js';

/** What a handler answers: a status, a JSON body, extra headers. */
export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A handler's validated input. */
export interface ApiInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly headers: IncomingHttpHeaders;
}

/**
 * One /v1 route: the single source for the HTTP layer (auth, validation, dispatch) and for the
 * OpenAPI document, so the two cannot disagree.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI form, e.g. `/v1/agents/{id}`. */
  readonly path: string;
  /** Scope a key needs; null for a public route. */
  readonly scope: ApiScope | null;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** Header parameters for the document (name → description). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Status → description, success and errors alike (the common 401/403/429 are added). */
  readonly responses: Readonly<Record<number, string>>;
  readonly handle: (input: ApiInput<P, Q, B>) => Promise<ApiReply>;
}

/** Erases a route's input types so routes of every shape fit one list. */
export type AnyRoute = ApiRoute<unknown, unknown, unknown>;

export function route<P, Q, B>(spec: ApiRoute<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}
