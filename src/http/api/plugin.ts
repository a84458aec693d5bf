import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { formatPath } from '../../config/config-error.js';
import { BodyRefused } from '../body-bounds.js';
import { KeyAuthenticator } from './auth.js';
import { registerConsoleStream } from './console-stream.js';
import type { ApiDeps } from './deps.js';
import { ApiError, toApiError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limit.js';
import type { AnyRoute } from './route.js';
import { agentRoutes } from './routes-agents.js';
import { callRoutes } from './routes-calls.js';
import { consoleRoutes } from './routes-console.js';
import { skillRoutes } from './routes-skills.js';

/** Every /v1 route, in document order. */
export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    ...agentRoutes(deps),
    ...skillRoutes(deps),
    ...callRoutes(deps),
    ...(deps.console === undefined ? [] : consoleRoutes(deps, deps.console)),
  ];
}

/** `/v1/agents/{id}` → `/agents/:id` (mounted under the `/v1` prefix). */
function fastifyPath(path: string): string {
  return path.replace(/^\/v1/, '').replace(/\{(\w+)\}/g, ':$1') || '/';
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'params' | 'query' | 'body'): T {
  if (schema === undefined) return (value ?? {}) as T;
  // A JSON body that is `null`, an array or a scalar is refused as such; only no body at all
  // reads as `{}` (`POST …/transfer` alone means the default destination).
  if (where === 'body' && value !== undefined && !isJsonObject(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new ApiError(400, 'body_not_object', `the body must be a JSON object, not ${what}`, {
      field: 'body',
    });
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: formatPath(issue.path) || (where === 'body' ? '' : where),
    message: issue.message,
  }));
  const text = issues.map((i) => (i.field === '' ? i.message : `${i.field}: ${i.message}`)).join('; ');
  throw new ApiError(422, 'validation_failed', text, { field: issues[0]?.field, issues });
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The /v1 route's scope (null: public). */
    apiScope?: string | null;
  }
}

/**
 * The /v1 control API as a fastify plugin: bearer keys (401 unknown, 403 missing scope), a
 * per-key token bucket (429 with `retry-after`), zod-validated input (422 naming the field),
 * JSON errors `{ error: { code, message, field? } }`, and `/v1/openapi.json`.
 */
export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const routes = apiRoutes(deps);
  const auth = new KeyAuthenticator(deps.keys);
  const limiter = new RateLimiter(deps.rateLimit, deps.now);
  const document = openApiDocument(routes, { version: '1' });

  // A failing plugin rejects the app's `ready()`/`listen()`, which start-up awaits (see server.ts).
  void app.register(
    async (api) => {
      api.setErrorHandler((err: FastifyError, _req, reply) => {
        const e = fromFastify(err);
        if (e.status >= 500) deps.log?.error({ err: { code: e.code, message: err.message } }, 'api.failed');
        return reply.code(e.status).headers(e.headers).send(e.body());
      });
      api.setNotFoundHandler((req, reply) => {
        const e = new ApiError(404, 'route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`);
        return reply.code(404).send(e.body());
      });
      api.addHook('onRequest', async (req: FastifyRequest) => {
        const scope = req.routeOptions.config.apiScope;
        if (scope === undefined || scope === null) return;
        const principal = auth.authenticate(req.headers.authorization);
        if (principal === null) {
          throw new ApiError(401, 'unauthorized', 'a valid bearer key is required', {
            headers: { 'www-authenticate': 'Bearer' },
          });
        }
        const decision = limiter.take(principal.keyId);
        if (!decision.ok) {
          const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
          throw new ApiError(429, 'rate_limited', `too many requests; retry in ${seconds} s`, {
            headers: { 'retry-after': String(seconds) },
          });
        }
        if (!principal.scopes.has(scope as never)) {
          throw new ApiError(403, 'forbidden', `the key lacks scope ${scope}`);
        }
      });

      for (const r of routes) {
        api.route({
          method: r.method,
          url: fastifyPath(r.path),
          config: { apiScope: r.scope },
          handler: async (req, reply) => {
            const result = await r.handle({
              params: parse(r.params, req.params, 'params'),
              query: parse(r.query, req.query, 'query'),
              body: parse(r.body, req.body, 'body'),
              headers: req.headers,
            });
            return reply
              .code(result.status)
              .headers(result.headers ?? {})
              .send(result.body);
          },
        });
      }
      api.get('/openapi.json', { config: { apiScope: null } }, async () => document);
      if (deps.console !== undefined) registerConsoleStream(api, deps.console.feed, deps.console.timers);
    },
    { prefix: '/v1' },
  );
}

function fromFastify(err: FastifyError): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BodyRefused)
    return new ApiError(err.statusCode, err.code, err.message, { field: 'body' });
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new ApiError(415, 'unsupported_media_type', 'send application/json');
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new ApiError(413, 'body_too_large', 'the body is too large');
  if (
    typeof err.statusCode === 'number' &&
    err.statusCode >= 400 &&
    err.statusCode < 500 &&
    err.code?.startsWith('FST_ERR_CTP')
  ) {
    return new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  }
  return toApiError(err);
}
