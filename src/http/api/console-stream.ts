import type { FastifyInstance } from 'fastify';
import { every, type Timers } from '../../lib/time.js';
import type { FeedEvent, LiveFeed } from './console-feed.js';

/** A comment line this often keeps proxies from closing an idle stream, ms. */
export const STREAM_KEEPALIVE_MS = 15_000;

function frame(event: FeedEvent): string {
  const data = event.type === 'snapshot' ? { calls: event.calls } : event.call;
  return `event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /v1/console/stream`: server-sent events (text/event-stream) of the live calls, for the
 * console. Registered inside the /v1 plugin, so the bearer key, its `calls:read` scope and the
 * rate limit are checked before the stream opens. The browser reads it with `fetch` (an
 * `EventSource` cannot send the key in a header, and a key in the URL would end up in logs).
 * Each open stream is one listener of the shared {@link LiveFeed}; closing it removes it.
 */
export function registerConsoleStream(api: FastifyInstance, feed: LiveFeed, timers: Timers): void {
  api.get('/console/stream', { config: { apiScope: 'calls:read' } }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const unsubscribe = feed.subscribe((event) => {
      res.write(frame(event));
    });
    const stopPing = every(timers, STREAM_KEEPALIVE_MS, () => {
      res.write(': keepalive\n\n');
    });
    const end = (): void => {
      unsubscribe();
      stopPing();
    };
    req.raw.once('close', end);
    res.once('close', end);
  });
}
