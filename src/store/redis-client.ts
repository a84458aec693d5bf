import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { DaemonError } from '../domain/errors.js';
import type { RetryPolicy } from '../lib/retry.js';
import type { LuaScript } from './lua.js';

/** Either client; the store only uses `call`, so both work the same. */
export type RedisClient = Redis | Cluster;

type Arg = string | number;

/** The one client method the store needs: send a command, get the raw reply. */
export interface CommandSender {
  call(command: string, ...args: Arg[]): Promise<unknown>;
}

/** Store operations: one attempt ≤ 1 s, three retries 100 ms apart (≈ 4.3 s worst case). */
export const DEFAULT_STORE_RETRY: RetryPolicy = Object.freeze({
  maxRetries: 3,
  retryIntervalMs: 100,
  timeoutMs: 1_000,
});

/** The longest wait between two reconnect attempts, ms. */
export const RECONNECT_CAP_MS = 500;

/**
 * ioredis settings, and why:
 * - `retryStrategy`: reconnect forever with capped backoff (100 ms doubling to {@link
 *   RECONNECT_CAP_MS}): the daemon must come back by itself when Redis does, and soon. Each
 *   connection finds out on its own (the commands' and the subscriber's): with a cap of 2 s a
 *   worker's subscription came back up to 2 s after Redis and after the other workers' commands,
 *   and what they relayed to it in between reached nobody (soak seed 36304). A refused connect
 *   every half second costs Redis nothing while it is away.
 * - `maxRetriesPerRequest: 1`: a command queued while disconnected fails after the second failed
 *   reconnect instead of waiting for Redis; the bounded `withRetry` policy decides the rest.
 * - `enableOfflineQueue: true`: commands issued during a short reconnect wait for it rather than
 *   failing at once. Replays of queued writes are harmless: every write is idempotent by
 *   version, dedupe key or commit token. Publishing (not idempotent) checks `status` first.
 */
export function clientOptions(policy: RetryPolicy): RedisOptions {
  return {
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), RECONNECT_CAP_MS),
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: Math.max(policy.timeoutMs, 1_000),
    // Keep-alive finds a dead peer on a silent connection.
    keepAlive: 10_000,
  };
}

export function createClient(
  opts: { redisUrl?: string; clusterNodes?: readonly string[] },
  policy: RetryPolicy,
): RedisClient {
  const options = clientOptions(policy);
  if (opts.clusterNodes !== undefined && opts.clusterNodes.length > 0) {
    const nodes = opts.clusterNodes.map((node) => {
      const url = new URL(node.includes('://') ? node : `redis://${node}`);
      return { host: url.hostname, port: Number(url.port || 6379) };
    });
    return new Cluster(nodes, {
      redisOptions: options,
      clusterRetryStrategy: options.retryStrategy ?? undefined,
      enableOfflineQueue: true,
      maxRedirections: 16,
    });
  }
  if (opts.redisUrl === undefined)
    throw new DaemonError('config_invalid', 'redisUrl or clusterNodes is required');
  return new Redis(opts.redisUrl, options);
}

/**
 * The error code Redis put at the start of an error reply (`NOSCRIPT`, `LOADING`, `READONLY`…).
 * This is the protocol's own code (RESP error prefix), not free text; undefined for errors that
 * are not replies (connection lost, timeouts).
 */
export function redisErrorCode(err: unknown): string | undefined {
  if (!(err instanceof Error) || err.name !== 'ReplyError') return undefined;
  const space = err.message.indexOf(' ');
  return space < 0 ? err.message : err.message.slice(0, space);
}

/** Replies that mean "this server cannot serve right now" (loading, failover, cluster change). */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'READONLY']);

/**
 * Every failure leaves the store as a `DaemonError`: `store_unavailable` (retryable) when Redis
 * could not be reached or answered "not now", `store_error` (permanent) for any other error
 * reply, which means a bug or a foreign key in our namespace.
 */
export function toStoreError(err: unknown): DaemonError {
  if (err instanceof DaemonError) {
    // A timed-out attempt is Redis being away as far as callers are concerned.
    if (err.code === 'timeout') {
      return new DaemonError('store_unavailable', 'redis did not answer in time', {
        retryable: true,
        cause: err,
      });
    }
    return err;
  }
  const code = redisErrorCode(err);
  if (code === undefined || TRANSIENT_REPLIES.has(code)) {
    return new DaemonError('store_unavailable', 'redis is unavailable', { retryable: true, cause: err });
  }
  return new DaemonError('store_error', `redis rejected a command (${code})`, { cause: err });
}

/** EVALSHA, falling back to EVAL once the server lost its script cache (a restart, a failover). */
export async function runScript(
  sender: CommandSender,
  script: LuaScript,
  keys: readonly string[],
  args: readonly Arg[],
): Promise<unknown> {
  try {
    return await sender.call('EVALSHA', script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (redisErrorCode(err) !== 'NOSCRIPT') throw err;
    return await sender.call('EVAL', script.lua, keys.length, ...keys, ...args);
  }
}

/** Reply helpers: Redis replies are untyped; these fail loudly on a shape we did not write. */
export function replyArray(reply: unknown): readonly unknown[] {
  if (!Array.isArray(reply)) throw new DaemonError('store_corrupt', 'expected an array reply');
  return reply;
}

export function replyString(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number') return String(reply);
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new DaemonError('store_corrupt', 'expected a string reply');
}

export function replyNumber(reply: unknown): number {
  const n = typeof reply === 'number' ? reply : Number(replyString(reply));
  if (!Number.isFinite(n)) throw new DaemonError('store_corrupt', 'expected a number reply');
  return n;
}
