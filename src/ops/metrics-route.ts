import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/**
 * `GET /metrics`, Prometheus text format. Unauthenticated, like most exporters: it carries no
 * phone number or id, but keep it off the public internet (docs/operations.md).
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (_req, reply) => {
    const text = await metrics.text();
    return reply.code(200).header('content-type', metrics.contentType).send(text);
  });
}
