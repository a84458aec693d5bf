import { describe, expect, it } from 'vitest';
import { eventually, settles, WaitTimeout } from './eventually.js';

describe('eventually', () => {
  it('resolves with the first answer that is not undefined, null or false', async () => {
    const answers: unknown[] = [undefined, null, false, 0];
    await expect(eventually(() => answers.shift(), 'a defined answer', { everyMs: 0 })).resolves.toBe(0);
    expect(answers).toEqual([]);
    let n = 0;
    await expect(eventually(async () => (++n === 3 ? 'third' : undefined), 'the third call')).resolves.toBe(
      'third',
    );
  });

  it('times out with a message naming what was awaited, described when the wait ran out', async () => {
    let state = 'ringing';
    const wait = eventually(
      () => {
        state = 'still ringing';
        return false;
      },
      () => `the call to be answered (it is ${state})`,
      { timeoutMs: 20 },
    );
    const err = await wait.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeout);
    expect((err as WaitTimeout).code).toBe('test.wait_timeout');
    expect((err as Error).message).toBe(
      'timed out after 20 ms waiting for the call to be answered (it is still ringing)',
    );
  });

  it('times out even when the check itself never settles', async () => {
    const err = await eventually(() => new Promise<boolean>(() => {}), 'a hung check', {
      timeoutMs: 20,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('timed out after 20 ms waiting for a hung check');
  });

  it('an error thrown by the check fails the wait at once, as it was thrown', async () => {
    const boom = new Error('boom');
    let calls = 0;
    const err = await eventually(() => {
      calls += 1;
      throw boom;
    }, 'nothing').catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(calls).toBe(1);
  });
});

describe('settles', () => {
  it('resolves and rejects as the promise does', async () => {
    await expect(settles(Promise.resolve(7), 'seven')).resolves.toBe(7);
    const boom = new Error('boom');
    await expect(settles(Promise.reject(boom), 'a failure')).rejects.toBe(boom);
  });

  it('rejects with a WaitTimeout naming what was awaited when the promise does not settle', async () => {
    const err = await settles(new Promise(() => {}), 'the daemon to exit', { timeoutMs: 20 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WaitTimeout);
    expect((err as Error).message).toBe('timed out after 20 ms waiting for the daemon to exit');
  });
});
