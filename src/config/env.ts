/**
 * The daemon's environment. This is the ONLY module that reads `process.env` (STYLE.md 9):
 * everything else receives the parsed, frozen {@link DaemonEnv}. Every problem is reported at
 * once, each naming its variable. Empty values count as unset (docker env files often carry
 * `NAME=`). The variables are documented in docs/configuration.md.
 */
import { z } from 'zod';
import { isKnownRegion } from '../phone/destination.js';
import { type ApiKey, parseApiKeys } from './api-keys.js';
import { ConfigError, type ConfigIssue, deepFreeze } from './config-error.js';

export { API_SCOPES, type ApiKey, type ApiScope } from './api-keys.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Credentials and REST base URL of one carrier. */
export interface CarrierCredentials {
  /** Twilio Account SID, Plivo Auth ID, Exotel account SID. */
  readonly accountId: string;
  /** Twilio/Plivo auth token; Exotel API token. */
  readonly authToken: string;
  /** REST base URL without a trailing slash (a simulator's URL in tests and the demo). */
  readonly apiBase: string;
  /**
   * `{CARRIER}_NUMBER_REGION`: region the carrier's national-format numbers are read in;
   * undefined → the carrier's home region (Twilio, Plivo: US; Exotel: IN).
   */
  readonly numberRegion?: string;
}

export interface ExotelCredentials extends CarrierCredentials {
  /** Exotel API key (Basic-auth user; the token is the password). */
  readonly apiKey: string;
  /** Shared secret Exotel webhooks carry, when configured. */
  readonly webhookSecret?: string;
  /** `EXOTEL_OUTBOUND_APP_ID`: the flow outbound calls run (docs/exotel.md); needed to place calls. */
  readonly outboundAppId?: string;
}

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
  /** `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN` (+ `TWILIO_API_BASE`); undefined when not configured. */
  readonly twilio?: CarrierCredentials;
  /** `PLIVO_AUTH_ID` + `PLIVO_AUTH_TOKEN` (+ `PLIVO_API_BASE`). */
  readonly plivo?: CarrierCredentials;
  /** `EXOTEL_ACCOUNT_SID` + `EXOTEL_API_KEY` + `EXOTEL_API_TOKEN` + `EXOTEL_WEBHOOK_SECRET` (+ `EXOTEL_API_BASE`). */
  readonly exotel?: ExotelCredentials;
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
  /** `DRAIN_TIMEOUT_MS`: on SIGTERM, how long to wait for live calls, in ms. Default 30 000. */
  readonly drainTimeoutMs: number;
  /** `WORKER_ID`; undefined → the caller uses `${hostname}-${pid}`. */
  readonly workerId?: string;
  /**
   * `MEDIA_TOKEN_SECRET`: signs the per-call media token in each stream's parameters. Every
   * worker behind one balancer needs the same value; undefined → random per process (one worker).
   */
  readonly mediaTokenSecret?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses the environment. Pure; throws {@link ConfigError} listing every problem. */
export function parseEnv(env: Env): DaemonEnv {
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

  const twilioSid = check('TWILIO_ACCOUNT_SID', z.string().startsWith('AC', 'must start with AC'), undefined);
  const twilio = carrier(issues, get, {
    required: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'],
    base: 'TWILIO_API_BASE',
    apiBase: check('TWILIO_API_BASE', httpUrlSchema, 'https://api.twilio.com'),
  });
  const plivo = carrier(issues, get, {
    required: ['PLIVO_AUTH_ID', 'PLIVO_AUTH_TOKEN'],
    base: 'PLIVO_API_BASE',
    apiBase: check('PLIVO_API_BASE', httpUrlSchema, 'https://api.plivo.com'),
  });
  check(
    'EXOTEL_WEBHOOK_SECRET',
    z
      .string()
      .regex(/^[A-Za-z0-9._~-]{16,}$/, 'must be at least 16 URL-safe characters (A-Z a-z 0-9 . _ ~ -)'),
    undefined,
  );
  const exotel = carrier(issues, get, {
    // Exotel signs nothing: the shared secret is all that authenticates its webhooks and streams.
    required: ['EXOTEL_ACCOUNT_SID', 'EXOTEL_API_KEY', 'EXOTEL_WEBHOOK_SECRET', 'EXOTEL_API_TOKEN'],
    base: 'EXOTEL_API_BASE',
    apiBase: check('EXOTEL_API_BASE', httpUrlSchema, 'https://api.exotel.com'),
  });

  const exotelAppId = check(
    'EXOTEL_OUTBOUND_APP_ID',
    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the app id of an Exotel flow (letters, digits, _ -)'),
    undefined,
  );
  const regions = {
    TWILIO: check('TWILIO_NUMBER_REGION', regionSchema, undefined),
    PLIVO: check('PLIVO_NUMBER_REGION', regionSchema, undefined),
    EXOTEL: check('EXOTEL_NUMBER_REGION', regionSchema, undefined),
  };
  const region = (name: keyof typeof regions): { numberRegion?: string } => {
    const value = regions[name];
    return value === undefined ? {} : { numberRegion: value };
  };

  const parsed: DaemonEnv = {
    port,
    host: get('HOST') ?? '0.0.0.0',
    publicUrl: check('PUBLIC_URL', httpUrlSchema, `http://127.0.0.1:${port}`),
    redisUrl: check('REDIS_URL', redisUrlSchema, undefined),
    configPath: get('PATCHTHROUGH_CONFIG'),
    apiKeys: apiKeys.keys,
    twilio: twilio && twilioSid ? { ...twilio, accountId: twilioSid, ...region('TWILIO') } : undefined,
    plivo: plivo && { ...plivo, ...region('PLIVO') },
    exotel: exotel && {
      ...exotel,
      apiKey: get('EXOTEL_API_KEY')!,
      webhookSecret: get('EXOTEL_WEBHOOK_SECRET')!,
      ...region('EXOTEL'),
      ...(exotelAppId === undefined ? {} : { outboundAppId: exotelAppId }),
    },
    logLevel: check(
      'LOG_LEVEL',
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
      'info',
    ),
    logPii: check('LOG_PII', booleanSchema, false),
    defaultRegion: check('DEFAULT_REGION', regionSchema, 'US'),
    transferFlagTtlSec: check('TRANSFER_FLAG_TTL_SEC', intSchema(1, 86_400), 300),
    callRetentionSec: check('CALL_RETENTION_SEC', intSchema(60, 31_536_000), 7 * 24 * 3600),
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
  };
  if (issues.length > 0) throw new ConfigError(issues, { source: 'the environment' });
  return deepFreeze(withoutUndefined(parsed));
}

/** Reads `process.env` (the one place that does) and parses it. Throws {@link ConfigError}. */
export function loadEnvFromProcess(): DaemonEnv {
  return parseEnv(process.env);
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

/** A carrier is configured when all its credentials are set; some but not all is an error. */
function carrier(
  issues: ConfigIssue[],
  get: (name: string) => string | undefined,
  spec: { required: readonly string[]; base: string; extra?: readonly string[]; apiBase: string },
): CarrierCredentials | undefined {
  const present = spec.required.filter((name) => get(name) !== undefined);
  if (present.length === spec.required.length) {
    return {
      // The first name is the account, the last the token (see the specs above).
      accountId: get(spec.required[0]!)!,
      authToken: get(spec.required.at(-1)!)!,
      apiBase: spec.apiBase,
    };
  }
  const missing = spec.required.filter((name) => get(name) === undefined);
  const others = [
    ...present,
    ...[spec.base, ...(spec.extra ?? [])].filter((name) => get(name) !== undefined),
  ];
  if (others.length > 0) {
    for (const name of missing)
      issues.push({ path: name, message: `is required when ${others.join(', ')} is set` });
  }
  return undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
