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
 * - `imports`: the daemon's modules loaded (lib/bench-app.ts's imports: the whole app's), nothing
 *   built or run.
 * - `daemon`: the whole daemon app (lib/bench-app.ts) built and listening in the relay's process,
 *   on a Redis of its own, with no call: its modules loaded, its heap, its timers (the
 *   timer poller, the health of the store). What one process carrying the daemon's code costs
 *   the same relay path, apart from the daemon's work per frame.
 *
 * - `thread`: not a part beside the relay but where the relay runs: in a worker thread of the
 *   process (media-thread.ts), the other parts on its main thread. What a media thread apart from
 *   the daemon's would cost the relay's path: its own isolate, heap and event loop, one process.
 *
 * Nothing here touches a frame: a difference in the relay's CPU per frame with these parts is
 * what sharing one process (one V8 heap, one set of Node's stream and socket internals) with
 * them costs.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createClient, DEFAULT_STORE_RETRY } from '../../src/store/redis-client.js';
import { freePort, startRedisServer } from '../../support/redis-server.js';

export const RELAY_PARTS = ['redis', 'http', 'imports', 'daemon', 'thread'] as const;
export type RelayPart = (typeof RELAY_PARTS)[number];

export interface RelayPartsConfig {
  readonly parts: readonly RelayPart[];
  /** For `redis`: a Redis of the bench's own. */
  readonly redisUrl?: string;
  /** For `daemon`: its agent's URL. */
  readonly agentUrl?: string;
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
  // Imported only for these parts: the bare relay loads none of the daemon's modules.
  if (config.parts.includes('imports') && !config.parts.includes('daemon'))
    await import('../lib/bench-app.js');
  if (config.parts.includes('daemon')) {
    if (config.agentUrl === undefined) throw new Error('relay part daemon: no agentUrl');
    const { buildBenchApp } = await import('../lib/bench-app.js');
    const { benchDaemonConfig } = await import('../lib/daemon-setup.js');
    // A Redis of its own: on the measured daemon's, it would be a second worker of its cluster,
    // claiming that daemon's timers.
    const redis = await startRedisServer();
    const { app } = buildBenchApp(
      benchDaemonConfig(
        { redisUrl: redis.url, agentUrl: config.agentUrl, instrument: false },
        await freePort(),
      ),
    );
    await app.listen();
    stops.push(async () => {
      await app.close();
      await redis.stop();
    });
  }
  return {
    ...(httpUrl === undefined ? {} : { httpUrl }),
    stop: async () => {
      for (const stop of stops) await stop();
    },
  };
}
