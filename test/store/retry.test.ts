import { describe, expect, it } from 'vitest';
import { CarrierError, DaemonError } from '../../src/domain/errors.js';
import { isRetryableError, type RetryPolicy, withRetry, worstCaseMs } from '../../src/lib/retry.js';

const policy: RetryPolicy = { maxRetries: 3, retryIntervalMs: 250, timeoutMs: 1_000 };
const flaky = () => new DaemonError('store_unavailable', 'down', { retryable: true });

/** A first attempt that never settles, then one that answers `second`: the value and each attempt's signal. */
async function hangThenAnswer(
  deps?: Parameters<typeof withRetry>[3],
): Promise<{ value: string; signals: AbortSignal[] }> {
  const signals: AbortSignal[] = [];
  const value = await withRetry(
    (attempt, signal) => {
      signals.push(signal);
      return attempt === 0 ? new Promise<string>(() => undefined) : Promise.resolve('second');
    },
    { maxRetries: 1, retryIntervalMs: 0, timeoutMs: 20 },
    isRetryableError,
    deps,
  );
  return { value, signals };
}

/** An operation that always fails retryably under {@link policy}: its run and how many attempts it made. */
function alwaysDown(deps: Parameters<typeof withRetry>[3]) {
  let attempts = 0;
  const run = withRetry(
    async () => {
      attempts += 1;
      throw flaky();
    },
    policy,
    isRetryableError,
    deps,
  );
  return { run, attempts: () => attempts };
}

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('withRetry', () => {
  it('makes no attempt after `until` aborts (during the wait, or before it): the last error is thrown', async () => {
    const ended = new AbortController();
    const duringWait = alwaysDown({ sleep: async () => ended.abort(), until: ended.signal });
    await expect(duringWait.run).rejects.toThrow('down');
    expect(duringWait.attempts()).toBe(1);

    const already = alwaysDown({ sleep: async () => undefined, until: ended.signal });
    await expect(already.run).rejects.toThrow('down');
    expect(already.attempts()).toBe(1);

    // Not aborted: the policy's retries as before.
    let retried = 0;
    const live = new AbortController();
    const value = await withRetry(
      async () => {
        retried += 1;
        if (retried < 3) throw flaky();
        return 'ok';
      },
      policy,
      isRetryableError,
      { sleep: async () => undefined, until: live.signal },
    );
    expect(value).toBe('ok');
    expect(retried).toBe(3);
  });

  it('returns the first success without waiting', async () => {
    const { waits, sleep } = recordingSleep();
    let attempts = 0;
    const value = await withRetry(async () => ++attempts, policy, isRetryableError, { sleep });
    expect(value).toBe(1);
    expect(waits).toEqual([]);
  });

  it('retries retryable failures, waiting retryIntervalMs between attempts', async () => {
    const { waits, sleep } = recordingSleep();
    const seen: number[] = [];
    const value = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 2) throw flaky();
        return 'ok';
      },
      policy,
      isRetryableError,
      { sleep },
    );
    expect(value).toBe('ok');
    expect(seen).toEqual([0, 1, 2]);
    expect(waits).toEqual([250, 250]);
  });

  it('gives up after maxRetries and rethrows the last error unchanged', async () => {
    const { sleep } = recordingSleep();
    const errors = [flaky(), flaky(), flaky(), flaky()];
    let attempts = 0;
    const retried: number[] = [];
    const err = await withRetry(
      async () => {
        throw errors[attempts++];
      },
      policy,
      isRetryableError,
      { sleep, onRetry: (_e, attempt) => retried.push(attempt) },
    ).catch((e: unknown) => e);
    expect(attempts).toBe(4);
    expect(err).toBe(errors[3]);
    expect(retried).toEqual([0, 1, 2]);
  });

  it('does not retry a permanent failure', async () => {
    let attempts = 0;
    const permanent = new DaemonError('destination_not_allowed', 'no');
    const err = await withRetry(
      async () => {
        attempts++;
        throw permanent;
      },
      policy,
      isRetryableError,
    ).catch((e: unknown) => e);
    expect(err).toBe(permanent);
    expect(attempts).toBe(1);
  });

  it('abandons an attempt that outlives timeoutMs (aborting its signal) and tries again', async () => {
    const { value, signals } = await hangThenAnswer();
    expect(value).toBe('second');
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toMatchObject({ code: 'timeout', retryable: true });
    expect(signals[1]?.aborted).toBe(false);
  });

  it('an attempt that cannot be stopped (abortable: false) still has its deadline; its signal never aborts', async () => {
    const { value, signals } = await hangThenAnswer({ abortable: false });
    expect(value).toBe('second');
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
    const err = await withRetry(
      () => new Promise(() => undefined),
      { maxRetries: 0, retryIntervalMs: 0, timeoutMs: 20 },
      isRetryableError,
      {
        abortable: false,
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
  });

  it('works for carrier errors: 5xx and 429 are retried, other 4xx are not', () => {
    expect(isRetryableError(new CarrierError('twilio', 503, undefined, 'x'))).toBe(true);
    expect(isRetryableError(new CarrierError('plivo', 429, undefined, 'x'))).toBe(true);
    expect(isRetryableError(new CarrierError('exotel', 400, undefined, 'x'))).toBe(false);
    expect(isRetryableError(new Error('plain'))).toBe(false);
  });

  it('bounds the worst case', () => {
    expect(worstCaseMs(policy)).toBe(4 * 1_000 + 3 * 250);
  });
});
