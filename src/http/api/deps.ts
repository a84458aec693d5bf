import type { AgentRepository } from '../../agent-repository/types.js';
import type { ApiKey } from '../../config/api-keys.js';
import type { Log } from '../../log.js';
import type { CallsPort } from './calls-port.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { ConsoleDeps } from './routes-console.js';

/** What the /v1 API is built from (src/app.ts passes these). */
export interface ApiDeps {
  readonly agents: AgentRepository;
  readonly calls: CallsPort;
  /** `PATCHTHROUGH_API_KEYS`; kept only as SHA-256 digests. */
  readonly keys: readonly ApiKey[];
  /** Region national numbers in requests are read in (`DEFAULT_REGION`). */
  readonly defaultRegion: string;
  /** Per-key token bucket; default 60 requests burst, 20 per second. */
  readonly rateLimit?: RateLimitOptions;
  /** Wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  readonly log?: Log;
  /** The operator console's reads and live stream (/v1/console/…); absent: not served. */
  readonly console?: ConsoleDeps;
}
