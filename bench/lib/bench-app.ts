/**
 * The daemon's app as the benchmarks build it: `buildApp` exactly as src/main.ts wires it (Redis
 * store, the Twilio adapter pointed at `apiBase`, the agents file), from the one JSON config of
 * lib/daemon-setup.ts. The daemon child (bench/daemon-child.ts) serves it under measurement; the
 * relay's `daemon` part (media/relay-parts.ts) runs it idle beside the bare relay.
 */
import { pino } from 'pino';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { parseEnv } from '../../src/config/env.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { createClient, DEFAULT_STORE_RETRY } from '../../src/store/redis-client.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { Store } from '../../src/store/types.js';
import { ACCOUNT_SID, AUTH_TOKEN, type DaemonChildConfig, MEDIA_SECRET } from './daemon-setup.js';

export interface BenchApp {
  readonly app: App;
  readonly store: Store<CallRecord>;
  readonly publicUrl: string;
}

/** Builds the app (not listening yet); `wrapStore` sees the store before the app does. */
export function buildBenchApp(
  config: DaemonChildConfig,
  wrapStore: (store: Store<CallRecord>) => Store<CallRecord> = (store) => store,
): BenchApp {
  const publicUrl = `http://127.0.0.1:${config.port}`;
  const env = parseEnv({
    PORT: String(config.port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    REDIS_URL: config.redisUrl,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: config.apiBase,
    LOG_LEVEL: 'silent',
    ...(config.livekit === undefined
      ? {}
      : { LIVEKIT_API_KEY: config.livekit.apiKey, LIVEKIT_API_SECRET: config.livekit.apiSecret }),
  });
  const agents = parseAgentsConfig(config.agents, { defaultRegion: 'US', source: 'bench' });
  const client = createClient({ redisUrl: config.redisUrl }, DEFAULT_STORE_RETRY);
  const store = wrapStore(
    new RedisStore<CallRecord>({
      client,
      flagTtlMs: env.transferFlagTtlSec * 1000,
      retentionMs: env.callRetentionSec * 1000,
    }),
  );
  const log =
    config.logFile === undefined
      ? silentLogger()
      : createLogger({ level: 'debug', destination: pino.destination({ dest: config.logFile, sync: true }) });
  const app = buildApp({ env, agents, log, store, mediaSecret: MEDIA_SECRET });
  return { app, store, publicUrl };
}
