import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { WebSocketServer } from 'ws';
import type { AssetRoute, CarrierAdapter, WebhookRequest } from '../../providers/types.js';
import type { Carrier } from '../domain/carrier.js';
import { readTextFramesInPlace } from '../lib/ws-text-receive.js';
import type { Log } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import { registerMetricsRoute } from '../ops/metrics-route.js';
import type { MediaSessions } from '../runtime/media-sessions.js';
import type { WebhookHandler } from '../runtime/webhooks.js';
import type { ApiDeps } from './api/deps.js';
import { registerApi } from './api/plugin.js';
import { bodyTooDeep, jsonTooDeep, MAX_BODY_BYTES, MAX_JSON_DEPTH } from './body-bounds.js';
import { registerConsole } from './console/serve.js';
import { parseQuery } from './form.js';
import { bodyParams, signedFormParams } from './webhook-body.js';

/** Largest carrier media frame, bytes. */
const MEDIA_MAX_PAYLOAD = 1024 * 1024;

export interface HttpDeps {
  readonly publicUrl: string;
  readonly adapters: ReadonlyMap<Carrier, CarrierAdapter>;
  readonly webhooks: WebhookHandler;
  readonly media: MediaSessions;
  readonly log: Log;
  /** Liveness detail and readiness (false while draining or when the store is down). */
  readonly health: () => Promise<{ ready: boolean; detail: Record<string, unknown> }>;
  /** The /v1 control API (src/http/api). */
  readonly api: ApiDeps;
  /** Served at `/metrics` when given. */
  readonly metrics?: Metrics;
  readonly onMediaRefused?: (carrier: Carrier) => void;
}

/**
 * How long an idle client connection is kept, ms; announced in every reply as `Keep-Alive:
 * timeout=72`. A client or balancer reusing a connection the worker is closing gets "socket hang
 * up" (a carrier ends the call on it), so this outlasts what a balancer keeps an idle connection
 * to a worker (HAProxy purges idle server connections within seconds), and a balancer that passes
 * the header on keeps idle client connections longer than it says (deploy/haproxy.cfg `timeout
 * http-keep-alive 75s`; docs/operations.md). Node's own default is 5 s.
 */
export const KEEP_ALIVE_MS = 72_000;

/** The HTTP server's options (the control bench's floor serves with the same: bench/control/floor-child.ts). */
export const SERVER_OPTIONS = {
  logger: false,
  bodyLimit: MAX_BODY_BYTES,
  forceCloseConnections: true,
  keepAliveTimeout: KEEP_ALIVE_MS,
} as const;

/**
 * The thin HTTP shell: carrier webhooks (verified and parsed by the adapters, handled by the
 * runtime), media WebSockets, the calls API and health. No logic lives here.
 */
export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify(SERVER_OPTIONS);
  boundJsonDepth(app);
  // fastify's register() is a thenable of the instance: a plugin's failure rejects `ready()`/
  // `listen()`, which start-up awaits, so nothing here floats.
  void app.register(async (hooks) => registerWebhooks(hooks, deps));

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const h = await deps.health();
    return reply.code(h.ready ? 200 : 503).send({ ready: h.ready, ...h.detail });
  });

  registerApi(app, deps.api);
  if (deps.api.console !== undefined) registerConsole(app);
  if (deps.metrics !== undefined) registerMetricsRoute(app, deps.metrics);

  // Carrier media sockets: frames are bounded, audio is not deflated, and every text frame is
  // parsed and checked by the carrier's codec (a frame that is not ASCII JSON fails there), so
  // ws's own UTF-8 pass over each frame is skipped.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MEDIA_MAX_PAYLOAD,
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  const byPath = new Map([...deps.adapters.values()].map((a) => [a.routes.mediaPath, a]));
  app.server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const adapter = byPath.get(path);
    const url = deps.publicUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + (req.url ?? '');
    if (adapter === undefined || !adapter.verifyMediaUpgrade({ url, headers: req.headers })) {
      if (adapter !== undefined) deps.onMediaRefused?.(adapter.carrier);
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // The carrier's plain text frames read where they arrive, ahead of ws's reader (src/lib/ws-text-receive.ts).
      readTextFramesInPlace(ws, socket, 'server', MEDIA_MAX_PAYLOAD);
      deps.media.accept(adapter, ws, socket);
    });
  });
  app.addHook('preClose', async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return app;
}

export { publicCallView } from './api/call-view.js';

/**
 * The carrier webhooks, in a context of their own where no body is parsed by fastify: each is
 * kept as raw bytes, its signature checked on them (with the form fields a form-signing carrier
 * signs), and only a verified body is parsed (src/http/webhook-body.ts). Refusals are JSON
 * `{ error: { code, field? } }`: 403 unsigned, 413 too large, 400 too deep or unreadable.
 */
function registerWebhooks(hooks: FastifyInstance, deps: HttpDeps): void {
  hooks.removeAllContentTypeParsers();
  hooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });
  hooks.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 500) {
      deps.log.error({ err: { code: err.code, message: err.message } }, 'webhook.failed');
      return reply.code(500).send({ error: { code: 'internal_error' } });
    }
    const code = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body_too_large' : 'body_invalid';
    return reply.code(status).send({ error: { code, field: 'body' } });
  });
  for (const adapter of deps.adapters.values()) {
    for (const asset of adapter.assets ?? []) registerAsset(hooks, deps, adapter, asset);
    for (const route of adapter.routes.webhooks) {
      hooks.route({
        method: route.method,
        url: route.path,
        handler: async (req, reply) => {
          const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          const contentType = req.headers['content-type'];
          const isGet = route.method === 'GET';
          const request = asReceived(deps.publicUrl, req, raw, isGet);
          const answer = await deps.webhooks.handle(
            adapter.carrier,
            route.kind,
            request,
            parseQuery(req.url),
            {
              readBody: async () => (isGet ? {} : bodyParams(contentType, raw)),
            },
          );
          if (answer.status !== 200) {
            return reply.code(answer.status).send({ error: { code: answer.code, field: answer.field } });
          }
          if (answer.markup !== undefined) {
            const markup = adapter.fitAnswer?.(route, request, answer.markup) ?? answer.markup;
            return reply
              .code(markup.status ?? 200)
              .header('content-type', markup.contentType)
              .send(markup.body);
          }
          return reply.code(200).send('');
        },
      });
    }
  }
}

/** A carrier's request as it arrived: its full public URL and the bytes of its body. */
function asReceived(publicUrl: string, req: FastifyRequest, raw: Buffer, isGet: boolean): WebhookRequest {
  return {
    method: req.method,
    url: publicUrl.replace(/\/+$/, '') + req.url,
    headers: req.headers,
    rawBody: raw.toString('utf8'),
    rawBytes: raw,
    params: isGet ? {} : signedFormParams(req.headers['content-type'], raw),
  };
}

/**
 * A fixed answer the carrier fetches (Plivo's default `waitSound` and its music): the signature
 * is checked like a webhook's, on the bytes as received, where the carrier signs the request.
 */
function registerAsset(
  hooks: FastifyInstance,
  deps: HttpDeps,
  adapter: CarrierAdapter,
  asset: AssetRoute,
): void {
  hooks.route({
    method: asset.method,
    url: asset.path,
    handler: async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const request = asReceived(deps.publicUrl, req, raw, asset.method === 'GET');
      if (asset.signed && !deps.webhooks.verified(adapter, asset.path, request))
        return reply.code(403).send({ error: { code: 'signature_invalid' } });
      return reply.code(200).header('content-type', asset.contentType).send(asset.body);
    },
  });
}

/**
 * JSON bodies of every other route (the /v1 API) are refused with 400 `body_too_deep` past
 * {@link MAX_JSON_DEPTH}, before `JSON.parse`; the rest is fastify's own parser (prototype
 * poisoning refused).
 */
function boundJsonDepth(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonTooDeep(text)) {
      done(bodyTooDeep(), undefined);
      return;
    }
    // fastify's default parser answers through `done`; its type also allows a promise.
    Promise.resolve(parseJson(req, text, done)).catch((err: unknown) =>
      done(err instanceof Error ? err : new Error(String(err)), undefined),
    );
  });
}
