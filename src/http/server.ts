import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { CarrierAdapter } from '../../providers/types.js';
import type { Carrier } from '../domain/carrier.js';
import type { Log } from '../log.js';
import type { CallRecord } from '../runtime/call-record.js';
import type { MediaSessions } from '../runtime/media-sessions.js';
import type { WebhookHandler } from '../runtime/webhooks.js';
import { parseForm, parseQuery } from './form.js';

export interface HttpDeps {
  readonly publicUrl: string;
  readonly adapters: ReadonlyMap<Carrier, CarrierAdapter>;
  readonly webhooks: WebhookHandler;
  readonly media: MediaSessions;
  readonly log: Log;
  /** Liveness detail and readiness (false while draining or when the store is down). */
  readonly health: () => Promise<{ ready: boolean; detail: Record<string, unknown> }>;
  readonly calls: { get(callId: string): Promise<CallRecord | undefined> };
  /** Checks a bearer key for a scope: 401 without a valid key, 403 without the scope. */
  readonly authorize: (header: string | undefined, scope: string) => 401 | 403 | null;
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

  for (const adapter of deps.adapters.values()) {
    for (const route of adapter.routes.webhooks) {
      app.route({
        method: route.method,
        url: route.path,
        handler: async (req, reply) => {
          const rawBody = typeof req.body === 'string' ? req.body : '';
          const params = route.method === 'GET' ? {} : parseForm(rawBody);
          const fullUrl = deps.publicUrl.replace(/\/+$/, '') + req.url;
          const answer = await deps.webhooks.handle(
            adapter.carrier,
            route.kind,
            { method: req.method, url: fullUrl, headers: req.headers, rawBody, params },
            parseQuery(req.url),
          );
          if (answer.status !== 200) {
            return reply.code(answer.status).send({ error: { code: answer.code, field: answer.field } });
          }
          if (answer.markup !== undefined) {
            return reply.code(200).header('content-type', answer.markup.contentType).send(answer.markup.body);
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

  app.get<{ Params: { callId: string } }>('/v1/calls/:callId', async (req, reply) => {
    const denied = deps.authorize(req.headers.authorization, 'calls:read');
    if (denied !== null) {
      return reply.code(denied).send({
        error: { code: denied === 401 ? 'unauthorized' : 'forbidden', message: denied === 401 ? 'a valid bearer key is required' : 'the key lacks scope calls:read' },
      });
    }
    const record = await deps.calls.get(req.params.callId);
    if (record === undefined) {
      return reply.code(404).send({ error: { code: 'call_not_found', field: 'callId', message: 'no such call' } });
    }
    return reply.send(publicCallView(record));
  });

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

/** The call as the API shows it: numbers stay in `pii`, which callers with calls:read may see. */
export function publicCallView(record: CallRecord): Record<string, unknown> {
  return {
    callId: record.callId,
    carrier: record.carrier,
    agentId: record.agentId,
    agentVersion: record.agentVersion,
    direction: record.direction,
    phase: record.phase,
    from: record.pii.from,
    to: record.pii.to,
    createdAtMs: record.createdAtMs,
    endedAtMs: record.endedAtMs ?? null,
    endedReason: record.endedReason ?? null,
    transfers: record.transfers,
    refusals: record.refusals,
    timeline: record.timeline,
    transfer:
      record.transfer === null
        ? null
        : {
            transferId: record.transfer.transferId,
            mode: record.transfer.mode,
            phase: record.transfer.phase,
            outcome: record.transfer.outcome,
            legs: record.transfer.legs.map((l) => ({ legId: l.legId, index: l.index, status: l.status, outcome: l.outcome })),
            timeline: record.transfer.timeline,
          },
  };
}
