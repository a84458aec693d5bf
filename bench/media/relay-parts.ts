/**
 * Parts of the daemon's process a bare relay does not have, started beside the relay to measure
 * what they cost the media path (`npm run bench -- paired --relay-with redis,http`): the relay's
 * frames still take exactly the relay's path, and these parts stay as busy as the daemon's are
 * when it only carries media.
 *
 * - `redis`: the store's two connections (src/store/redis-client.ts's client and a subscriber
 *   listening on a channel), a command every 250 ms (the timer poller's rhythm) and a message
 *   published every second.
 * - `http`: a fastify server with the daemon's options; the bench sends it one request per call
 *   from its own process, as the daemon gets each call's first webhook ({@link RelayParts.httpUrl}).
 *
 * Nothing here touches a frame: a difference in the relay's CPU per frame with these parts is
 * what sharing one process (one V8 heap, one set of Node's stream and socket internals) with
 * them costs.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createClient, DEFAULT_STORE_RETRY } from '../../src/store/redis-client.js';

export const RELAY_PARTS = ['redis', 'http'] as const;
export type RelayPart = (typeof RELAY_PARTS)[number];

export interface RelayPartsConfig {
  readonly parts: readonly RelayPart[];
  /** For `redis`: a Redis of the bench's own. */
  readonly redisUrl?: string;
}

export interface RelayParts {
  /** The `http` part's webhook URL, if it runs. */
  readonly httpUrl?: string;
  readonly stop: () => Promise<void>;
}

export async function startRelayParts(config: RelayPartsConfig): Promise<RelayParts> {
  const stops: (() => Promise<void>)[] = [];
  let httpUrl: string | undefined;
  if (config.parts.includes('redis')) {
    if (config.redisUrl === undefined) throw new Error('relay part redis: no redisUrl');
    const client = createClient({ redisUrl: config.redisUrl }, DEFAULT_STORE_RETRY);
    const subscriber = createClient({ redisUrl: config.redisUrl }, DEFAULT_STORE_RETRY);
    await subscriber.subscribe('relay-parts');
    subscriber.on('message', () => undefined);
    const poll = setInterval(
      () => void client.zrangebyscore('relay-parts:due', 0, Date.now()).catch(() => 0),
      250,
    );
    const publish = setInterval(() => void client.publish('relay-parts', 'tick').catch(() => 0), 1_000);
    stops.push(async () => {
      clearInterval(poll);
      clearInterval(publish);
      subscriber.disconnect();
      await client.quit();
    });
  }
  if (config.parts.includes('http')) {
    const app = Fastify({ logger: false, forceCloseConnections: true });
    app.post('/webhook', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    httpUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/webhook`;
    stops.push(() => app.close());
  }
  return {
    ...(httpUrl === undefined ? {} : { httpUrl }),
    stop: async () => {
      for (const stop of stops) await stop();
    },
  };
}
