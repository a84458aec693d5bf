import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApiKeys } from '../../src/config/api-keys.js';
import { ConfigError } from '../../src/config/config-error.js';
import { loadEnvFromProcess, parseEnv } from '../../src/config/env.js';
import { DaemonError } from '../../src/domain/errors.js';

const KEY_A = 'key-aaaaaaaaaaaaaaaa';
const KEY_B = 'key-bbbbbbbbbbbbbbbb';

function issuesOf(env: Record<string, string | undefined>): { path: string; message: string }[] {
  try {
    parseEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected parseEnv to throw');
}

describe('parseEnv defaults', () => {
  it('gives every default on an empty environment', () => {
    expect(parseEnv({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'http://127.0.0.1:8080',
      apiKeys: [],
      carriers: {},
      logLevel: 'info',
      logPii: false,
      defaultRegion: 'US',
      transferFlagTtlSec: 300,
      callRetentionSec: 7 * 24 * 3600,
      callCheckIntervalSec: 60,
      drainTimeoutMs: 30_000,
    });
  });

  it('treats empty values as unset', () => {
    expect(parseEnv({ PORT: '', REDIS_URL: '  ', LOG_LEVEL: '' })).toMatchObject({
      port: 8080,
      logLevel: 'info',
    });
    expect(parseEnv({ REDIS_URL: '' }).redisUrl).toBeUndefined();
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash from a given one', () => {
    expect(parseEnv({ PORT: '9000' }).publicUrl).toBe('http://127.0.0.1:9000');
    expect(parseEnv({ PUBLIC_URL: 'https://xfer.example.com/' }).publicUrl).toBe('https://xfer.example.com');
  });

  it('is deeply frozen', () => {
    const env = parseEnv({
      PATCHTHROUGH_API_KEYS: `${KEY_A}:calls:read`,
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 't',
    });
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.apiKeys[0])).toBe(true);
    expect(Object.isFrozen(env.apiKeys[0]?.scopes)).toBe(true);
    expect(Object.isFrozen(env.carriers['twilio'])).toBe(true);
  });
});

describe('parseEnv values', () => {
  it.each([
    ['PORT', '0', { port: 0 }],
    ['PORT', '65535', { port: 65_535 }],
    ['HOST', '127.0.0.1', { host: '127.0.0.1' }],
    ['REDIS_URL', 'redis://127.0.0.1:6379/0', { redisUrl: 'redis://127.0.0.1:6379/0' }],
    ['REDIS_URL', 'rediss://cache.example.com:6380', { redisUrl: 'rediss://cache.example.com:6380' }],
    ['PATCHTHROUGH_CONFIG', './agents.yaml', { configPath: './agents.yaml' }],
    ['LOG_LEVEL', 'debug', { logLevel: 'debug' }],
    ['LOG_PII', 'true', { logPii: true }],
    ['LOG_PII', 'YES', { logPii: true }],
    ['LOG_PII', '0', { logPii: false }],
    ['DEFAULT_REGION', 'gb', { defaultRegion: 'GB' }],
    ['TRANSFER_FLAG_TTL_SEC', '600', { transferFlagTtlSec: 600 }],
    ['CALL_RETENTION_SEC', '3600', { callRetentionSec: 3600 }],
    ['DRAIN_TIMEOUT_MS', '0', { drainTimeoutMs: 0 }],
    ['CALL_CHECK_INTERVAL_SEC', '0', { callCheckIntervalSec: 0 }],
    ['CALL_CHECK_INTERVAL_SEC', '300', { callCheckIntervalSec: 300 }],
    ['WORKER_ID', 'worker-1.eu', { workerId: 'worker-1.eu' }],
  ])('%s=%s', (name, value, expected) => {
    expect(parseEnv({ [name]: value })).toMatchObject(expected);
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PUBLIC_URL', 'xfer.example.com'],
    ['PUBLIC_URL', 'ftp://xfer.example.com'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_PII', 'maybe'],
    ['DEFAULT_REGION', 'XX'],
    ['DEFAULT_REGION', 'USA'],
    ['TRANSFER_FLAG_TTL_SEC', '0'],
    ['CALL_RETENTION_SEC', 'week'],
    ['DRAIN_TIMEOUT_MS', '1e3'],
    ['CALL_CHECK_INTERVAL_SEC', '-5'],
    ['CALL_CHECK_INTERVAL_SEC', 'hourly'],
    ['WORKER_ID', 'has space'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    const issues = issuesOf({ [name]: value });
    expect(issues.map((issue) => issue.path)).toEqual([name]);
    expect(issues[0]?.message.length).toBeGreaterThan(0);
  });

  it('reports every problem at once, as a DaemonError with code config_invalid', () => {
    const env = {
      PORT: 'eighty',
      PUBLIC_URL: 'nope',
      REDIS_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      DEFAULT_REGION: 'ZZ',
      TWILIO_ACCOUNT_SID: 'XX123',
      TWILIO_AUTH_TOKEN: 'token',
      PLIVO_AUTH_ID: 'MA123',
      PATCHTHROUGH_API_KEYS: 'short:calls:read',
    };
    let caught: unknown;
    try {
      parseEnv(env);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toBeInstanceOf(DaemonError);
    const error = caught as ConfigError;
    expect(error.code).toBe('config_invalid');
    expect(error.retryable).toBe(false);
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(
      [
        'DEFAULT_REGION',
        'LOG_LEVEL',
        'PATCHTHROUGH_API_KEYS',
        'PLIVO_AUTH_TOKEN',
        'PORT',
        'PUBLIC_URL',
        'REDIS_URL',
        'TWILIO_ACCOUNT_SID',
      ].sort(),
    );
    for (const issue of error.issues) expect(error.message).toContain(`${issue.path}: ${issue.message}`);
  });
});

describe('carrier credentials', () => {
  it('configures each carrier only when all its credentials are set, with default API bases', () => {
    const env = parseEnv({
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      TWILIO_AUTH_TOKEN: 'tw-token',
      PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
      PLIVO_AUTH_TOKEN: 'pl-token',
      PLIVO_API_BASE: 'http://127.0.0.1:4010/',
      EXOTEL_ACCOUNT_SID: 'acme1',
      EXOTEL_API_KEY: 'ex-key',
      EXOTEL_API_TOKEN: 'ex-token',
      EXOTEL_WEBHOOK_SECRET: 'ex-secret-0123456789',
    });
    expect(env.carriers['twilio']).toEqual({
      credentials: { accountId: 'AC0123456789abcdef0123456789abcdef', authToken: 'tw-token' },
      apiBase: 'https://api.twilio.com',
    });
    expect(env.carriers['plivo']).toEqual({
      credentials: { accountId: 'MAXXXXXXXXXXXXXXXXXX', authToken: 'pl-token' },
      apiBase: 'http://127.0.0.1:4010',
    });
    expect(env.carriers['exotel']).toEqual({
      credentials: {
        accountId: 'acme1',
        apiKey: 'ex-key',
        authToken: 'ex-token',
        webhookSecret: 'ex-secret-0123456789',
      },
      apiBase: 'https://api.exotel.com',
    });
  });

  it('leaves unconfigured carriers undefined', () => {
    const env = parseEnv({});
    expect(env.carriers['twilio']).toBeUndefined();
    expect(env.carriers['plivo']).toBeUndefined();
    expect(env.carriers['exotel']).toBeUndefined();
  });

  it.each([
    [{ TWILIO_AUTH_TOKEN: 't' }, ['TWILIO_ACCOUNT_SID']],
    [{ TWILIO_API_BASE: 'http://127.0.0.1:1' }, ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN']],
    [{ EXOTEL_API_KEY: 'k' }, ['EXOTEL_ACCOUNT_SID', 'EXOTEL_WEBHOOK_SECRET', 'EXOTEL_API_TOKEN']],
    [
      { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_API_BASE: 'not a url' },
      ['TWILIO_API_BASE'],
    ],
    // Exotel's shared secret is required (Exotel signs nothing) and must be long enough.
    [
      { EXOTEL_WEBHOOK_SECRET: 's' },
      ['EXOTEL_WEBHOOK_SECRET', 'EXOTEL_ACCOUNT_SID', 'EXOTEL_API_KEY', 'EXOTEL_API_TOKEN'],
    ],
  ])('names each missing or bad credential: %o', (env, missing) => {
    expect(issuesOf(env).map((issue) => issue.path)).toEqual(missing);
  });
});

describe('PATCHTHROUGH_API_KEYS', () => {
  it('reads comma-separated key:scope1+scope2 entries', () => {
    const env = parseEnv({
      PATCHTHROUGH_API_KEYS: ` ${KEY_A}:calls:read+calls:write , ${KEY_B}:agents:read `,
    });
    expect(env.apiKeys).toEqual([
      { key: KEY_A, scopes: ['calls:read', 'calls:write'] },
      { key: KEY_B, scopes: ['agents:read'] },
    ]);
  });

  it('reads a JSON array', () => {
    const text = JSON.stringify([
      { key: KEY_A, scopes: ['skills:read', 'skills:write'] },
      { key: KEY_B, scopes: 'calls:read' },
    ]);
    expect(parseEnv({ PATCHTHROUGH_API_KEYS: text }).apiKeys).toEqual([
      { key: KEY_A, scopes: ['skills:read', 'skills:write'] },
      { key: KEY_B, scopes: ['calls:read'] },
    ]);
  });

  it.each([
    [`${KEY_A}`, 'expected key:scope1+scope2'],
    [`${KEY_A}:`, 'at least one scope'],
    [`${KEY_A}:calls:delete`, 'unknown scope "calls:delete"'],
    ['abc:calls:read', 'shorter than 16'],
    [`${KEY_A}:calls:read,${KEY_A}:agents:read`, 'listed twice'],
    ['[{"key": 1}]', 'expected {"key": string'],
    ['[not json', 'not valid JSON'],
  ])('refuses %s', (text, fragment) => {
    const { problems } = parseApiKeys(text);
    expect(problems.join('\n')).toContain(fragment);
  });

  it('never quotes a key in a problem', () => {
    const secret = 'sekret-sekret-sekret';
    const issues = issuesOf({ PATCHTHROUGH_API_KEYS: `${secret}:nope,${secret}:calls:read,x${secret}` });
    expect(issues.length).toBeGreaterThanOrEqual(2);
    for (const issue of issues) expect(issue.message).not.toContain(secret);
  });
});

describe('process.env', () => {
  it('loadEnvFromProcess parses the real environment like parseEnv', () => {
    expect(loadEnvFromProcess()).toEqual(parseEnv(process.env));
  });

  it('is read by no other module under src/', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && path !== join('src', 'config', 'env.ts')) {
          if (/process\.env\b/.test(readFileSync(path, 'utf8'))) offenders.push(path);
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });
});

describe('MEDIA_TOKEN_SECRET', () => {
  it('is read when long enough and refused when short, naming the variable', () => {
    const secret = 'x'.repeat(32);
    expect(parseEnv({ MEDIA_TOKEN_SECRET: secret }).mediaTokenSecret).toBe(secret);
    expect(parseEnv({}).mediaTokenSecret).toBeUndefined();
    expect(() => parseEnv({ MEDIA_TOKEN_SECRET: 'short' })).toThrow(/MEDIA_TOKEN_SECRET/);
  });
});

describe('parseEnv: LiveKit credentials', () => {
  it('reads LIVEKIT_API_KEY and LIVEKIT_API_SECRET together', () => {
    expect(parseEnv({ LIVEKIT_API_KEY: 'devkey', LIVEKIT_API_SECRET: 'secret' }).livekit).toEqual({
      apiKey: 'devkey',
      apiSecret: 'secret',
    });
    expect(parseEnv({}).livekit).toBeUndefined();
  });

  it('names the missing half of the pair', () => {
    expect(issuesOf({ LIVEKIT_API_KEY: 'devkey' })).toEqual([
      { path: 'LIVEKIT_API_SECRET', message: 'is required when LIVEKIT_API_KEY is set' },
    ]);
    expect(issuesOf({ LIVEKIT_API_SECRET: 'secret' })).toEqual([
      { path: 'LIVEKIT_API_KEY', message: 'is required when LIVEKIT_API_SECRET is set' },
    ]);
    expect(issuesOf({ LIVEKIT_API_KEY: 'dev key', LIVEKIT_API_SECRET: 'secret' })[0]?.path).toBe(
      'LIVEKIT_API_KEY',
    );
  });
});
