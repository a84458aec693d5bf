/**
 * The daemon's environment. This is the ONLY module that reads `process.env` (STYLE.md 9):
 * everything else receives the parsed, frozen {@link DaemonEnv}. Every problem is reported at
 * once, each naming its variable. Empty values count as unset (docker env files often carry
 * `NAME=`). The variables are documented in docs/configuration.md.
 */
import { z } from 'zod';
import { CARRIER_ADAPTERS } from '../../providers/index.js';
import type { CarrierEnvSchema, CarrierEnvSettings } from '../../providers/types.js';
import type { Carrier } from '../domain/carrier.js';
import { isKnownRegion } from '../phone/destination.js';
import { type ApiKey, parseApiKeys } from './api-keys.js';
import { ConfigError, type ConfigIssue, deepFreeze } from './config-error.js';

export { API_SCOPES, type ApiKey, type ApiScope } from './api-keys.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The parsed environment. Deep-frozen. */
export interface DaemonEnv {
  /** `PORT`, default 8080; 0 picks a free port. */
  readonly port: number;
  /** `HOST`, default `0.0.0.0`. */
  readonly host: string;
  /** `PUBLIC_URL`: base URL carriers reach, no trailing slash. Default `http://127.0.0.1:${PORT}`. */
  readonly publicUrl: string;
  /** `REDIS_URL`; undefined → in-memory store (one process, nothing survives a restart). */
  readonly redisUrl?: string;
  /** `PATCHTHROUGH_CONFIG`: path of the agents file; undefined → the caller's embedded defaults. */
  readonly configPath?: string;
  /** `PATCHTHROUGH_API_KEYS`; empty → the control API accepts no key. */
  readonly apiKeys: readonly ApiKey[];
  /**
   * The configured carriers by name, each as its adapter's env schema read it (providers/<carrier>/
   * env.ts: `TWILIO_ACCOUNT_SID`…); a carrier whose variables are unset is absent.
   */
  readonly carriers: Readonly<Record<Carrier, CarrierEnvSettings>>;
  /** `LOG_LEVEL`, pino levels, default `info`. */
  readonly logLevel: LogLevel;
  /** `LOG_PII`: log `pii.*` fields unredacted. Default false. */
  readonly logPii: boolean;
  /** `DEFAULT_REGION`: ISO country for national numbers. Default `US`. */
  readonly defaultRegion: string;
  /** `TRANSFER_FLAG_TTL_SEC`: TTL of `transfer:{callId}`, in seconds. Default 300 (seed 003). */
  readonly transferFlagTtlSec: number;
  /** `CALL_RETENTION_SEC`: how long finished call records are kept, in seconds. Default 604 800 (7 days). */
  readonly callRetentionSec: number;
  /**
   * `CALL_CHECK_INTERVAL_SEC`: how often a call that is not ended and has been quiet this long is
   * checked with the carrier (liveness.ts: the backstop for a lost final status callback), in
   * seconds. Default 60; 0 turns the check off.
   */
  readonly callCheckIntervalSec: number;
  /** `DRAIN_TIMEOUT_MS`: on SIGTERM, how long to wait for live calls, in ms. Default 30 000. */
  readonly drainTimeoutMs: number;
  /** `WORKER_ID`; undefined → the caller uses `${hostname}-${pid}`. */
  readonly workerId?: string;
  /**
   * `MEDIA_TOKEN_SECRET`: signs the per-call media token in each stream's parameters. Every
   * worker behind one balancer needs the same value; undefined → random per process (one worker).
   */
  readonly mediaTokenSecret?: string;
  /**
   * `LOOKUP_SIGNING_SECRET`: signs the destination lookup webhook's requests (flowyte's dynamic
   * destination, `executionConfig.lookup`). Unset: no lookup is sent; each fails (`lookup_failed`,
   * or the default destination).
   */
  readonly lookupSigningSecret?: string;
  /**
   * `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`, both or neither: what the LiveKit agent transport
   * (`agent.transport: livekit`, docs/livekit.md) signs its room tokens and server API calls with.
   * Unset: an agent on LiveKit fails at its first call (`agent.failed`, the default destination).
   */
  readonly livekit?: LivekitCredentials;
}

/** A LiveKit project's API key pair (never in the agents file). */
export interface LivekitCredentials {
  readonly apiKey: string;
  readonly apiSecret: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A registered carrier as the environment parser sees it. */
export interface CarrierEnvEntry {
  readonly carrier: Carrier;
  readonly env: CarrierEnvSchema;
}

/**
 * Parses the environment. Pure; throws {@link ConfigError} listing every problem. Each carrier
 * in `carriers` (default: the registry, providers/index.ts) reads its own variables through its
 * env schema; this module hands them the environment and collects their issues.
 */
export function parseEnv(env: Env, carriers: readonly CarrierEnvEntry[] = CARRIER_ADAPTERS): DaemonEnv {
  const issues: ConfigIssue[] = [];
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const check = <T, F>(name: string, schema: z.ZodType<T>, fallback: F): T | F => {
    const value = get(name);
    if (value === undefined) return fallback;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) issues.push({ path: name, message: issue.message });
    return fallback;
  };

  const port = check('PORT', intSchema(0, 65_535), 8080);
  const apiKeysText = get('PATCHTHROUGH_API_KEYS');
  const apiKeys = apiKeysText === undefined ? { keys: [], problems: [] } : parseApiKeys(apiKeysText);
  for (const message of apiKeys.problems) issues.push({ path: 'PATCHTHROUGH_API_KEYS', message });

  const vars: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const value = get(name);
    if (value !== undefined) vars[name] = value;
  }
  const configured: Record<Carrier, CarrierEnvSettings> = {};
  for (const entry of carriers) {
    const result = entry.env.parse(vars);
    for (const issue of result.issues) issues.push({ path: issue.variable, message: issue.message });
    if (result.settings !== undefined) configured[entry.carrier] = result.settings;
  }

  const parsed: DaemonEnv = {
    port,
    host: get('HOST') ?? '0.0.0.0',
    publicUrl: check('PUBLIC_URL', httpUrlSchema, `http://127.0.0.1:${port}`),
    redisUrl: check('REDIS_URL', redisUrlSchema, undefined),
    configPath: get('PATCHTHROUGH_CONFIG'),
    apiKeys: apiKeys.keys,
    carriers: configured,
    logLevel: check(
      'LOG_LEVEL',
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
      'info',
    ),
    logPii: check('LOG_PII', booleanSchema, false),
    defaultRegion: check('DEFAULT_REGION', regionSchema, 'US'),
    transferFlagTtlSec: check('TRANSFER_FLAG_TTL_SEC', intSchema(1, 86_400), 300),
    callRetentionSec: check('CALL_RETENTION_SEC', intSchema(60, 31_536_000), 7 * 24 * 3600),
    callCheckIntervalSec: check('CALL_CHECK_INTERVAL_SEC', intSchema(0, 86_400), 60),
    drainTimeoutMs: check('DRAIN_TIMEOUT_MS', intSchema(0, 3_600_000), 30_000),
    workerId: check(
      'WORKER_ID',
      z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 of A-Z a-z 0-9 . _ : -'),
      undefined,
    ),
    mediaTokenSecret: check(
      'MEDIA_TOKEN_SECRET',
      z.string().min(32, 'must be at least 32 characters (shared by every worker)'),
      undefined,
    ),
    lookupSigningSecret: check(
      'LOOKUP_SIGNING_SECRET',
      z.string().min(16, 'must be at least 16 characters (the lookup webhook checks it)'),
      undefined,
    ),
  };
  const livekit = livekitCredentials(get, issues);
  if (issues.length > 0) throw new ConfigError(issues, { source: 'the environment' });
  return deepFreeze(withoutUndefined({ ...parsed, livekit }));
}

/** Reads `process.env` (the one place that does) and parses it. Throws {@link ConfigError}. */
export function loadEnvFromProcess(): DaemonEnv {
  return parseEnv(process.env);
}

/** `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`: both, or neither. */
function livekitCredentials(
  get: (name: string) => string | undefined,
  issues: ConfigIssue[],
): LivekitCredentials | undefined {
  const apiKey = get('LIVEKIT_API_KEY');
  const apiSecret = get('LIVEKIT_API_SECRET');
  if (apiKey === undefined && apiSecret === undefined) return undefined;
  if (apiKey === undefined) {
    issues.push({ path: 'LIVEKIT_API_KEY', message: 'is required when LIVEKIT_API_SECRET is set' });
    return undefined;
  }
  if (apiSecret === undefined) {
    issues.push({ path: 'LIVEKIT_API_SECRET', message: 'is required when LIVEKIT_API_KEY is set' });
    return undefined;
  }
  if (!/^[\x21-\x7e]{1,256}$/.test(apiKey)) {
    issues.push({ path: 'LIVEKIT_API_KEY', message: 'must be 1–256 printable characters without spaces' });
  }
  // No length rule for the secret: `livekit-server --dev` runs with `devkey` / `secret`.
  return { apiKey, apiSecret };
}

function intSchema(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);
}

const httpUrlSchema = z
  .string()
  .refine(isUrlWith(['http:', 'https:']), 'must be an http:// or https:// URL')
  .transform((value) => value.replace(/\/+$/, ''));

const redisUrlSchema = z
  .string()
  .refine(isUrlWith(['redis:', 'rediss:']), 'must be a redis:// or rediss:// URL');

const booleanSchema = z.string().transform((value, ctx) => {
  const text = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  ctx.issues.push({ code: 'custom', message: 'must be true or false', input: value });
  return z.NEVER;
});

const regionSchema = z
  .string()
  .transform((value) => value.toUpperCase())
  .refine(isKnownRegion, 'must be an ISO 3166-1 alpha-2 country code such as US');

function isUrlWith(protocols: readonly string[]): (value: string) => boolean {
  return (value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
