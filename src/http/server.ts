import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { CarrierAdapter, WebhookParams } from '../../providers/types.js';
import type { Carrier } from '../domain/carrier.js';
import type { Log } from '../log.js';
import type { Metrics } from '../ops/metrics.js';
import { registerMetricsRoute } from '../ops/metrics-route.js';
import type { MediaSessions } from '../runtime/media-sessions.js';
import type { WebhookHandler } from '../runtime/webhooks.js';
import type { ApiDeps } from './api/deps.js';
import { registerApi } from './api/plugin.js';
import { parseForm, parseQuery } from './form.js';

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
 * The thin HTTP shell: carrier webhooks (verified and parsed by the adapters, handled by the
 * runtime), media WebSockets, the calls API and health. No logic lives here.
 */
export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });
  // Exotel's status callbacks are multipart (or JSON) by default (protocols.md §4.5).
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, body);
  });

  for (const adapter of deps.adapters.values()) {
    for (const route of adapter.routes.webhooks) {
      app.route({
        method: route.method,
        url: route.path,
        handler: async (req, reply) => {
          const rawBody = rawBodyOf(req.body);
          const params =
            route.method === 'GET' ? {} : await bodyParams(req.headers['content-type'], req.body);
          const fullUrl = deps.publicUrl.replace(/\/+$/, '') + req.url;
          const request = { method: req.method, url: fullUrl, headers: req.headers, rawBody, params };
          const answer = await deps.webhooks.handle(
            adapter.carrier,
            route.kind,
            request,
            parseQuery(req.url),
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

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const h = await deps.health();
    return reply.code(h.ready ? 200 : 503).send({ ready: h.ready, ...h.detail });
  });

  registerApi(app, deps.api);
  if (deps.metrics !== undefined) registerMetricsRoute(app, deps.metrics);

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
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
    wss.handleUpgrade(req, socket, head, (ws) => deps.media.accept(adapter, ws));
  });
  app.addHook('preClose', async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  return app;
}

export { publicCallView } from './api/call-view.js';

/** A webhook body as received: form text, multipart bytes, or JSON (parsed by fastify). */
function rawBodyOf(body: unknown): string {
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return body === undefined || body === null ? '' : JSON.stringify(body);
}

/**
 * Webhook parameters from any body a carrier sends: a form (repeated keys as arrays), multipart
 * form data (text fields), or JSON (top-level fields; nested values as their JSON text, nulls
 * dropped). A body that does not parse gives no parameters, which the adapter refuses.
 */
async function bodyParams(contentType: string | undefined, body: unknown): Promise<WebhookParams> {
  if (typeof body === 'string') return parseForm(body);
  if (Buffer.isBuffer(body)) {
    try {
      const form = await new Response(body, { headers: { 'content-type': contentType ?? '' } }).formData();
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of form) {
        if (typeof value !== 'string') continue;
        const prior = out[key];
        out[key] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
      }
      return out;
    } catch {
      return {};
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}
