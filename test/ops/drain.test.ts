import { describe, expect, it } from 'vitest';
import { type DrainTarget, drainAndClose } from '../../src/ops/drain.js';

/** A worker with live calls, on a fake clock that only moves when the drain sleeps. */
class FakeWorker implements DrainTarget {
  nowMs = 0;
  readonly events: string[] = [];
  /** callId → whether its carrier stream is open. */
  readonly calls = new Map<string, boolean>();
  /** callId → time at which the call ends by itself. */
  readonly endsAt = new Map<string, number>();
  /** Streams that ignore the hand-back (a carrier that never closes). */
  readonly stubborn = new Set<string>();

  beginDrain(): void {
    this.events.push(`drain@${this.nowMs}`);
  }
  liveCalls(): readonly string[] {
    return [...this.calls.keys()];
  }
  streaming(callId: string): boolean {
    return this.calls.get(callId) === true;
  }
  handBack(callId: string): void {
    this.events.push(`handBack:${callId}@${this.nowMs}`);
    if (!this.stubborn.has(callId)) this.calls.set(callId, false);
  }
  async close(): Promise<void> {
    this.events.push(`close@${this.nowMs}`);
  }
  readonly sleep = async (ms: number): Promise<void> => {
    this.nowMs += ms;
    for (const [id, at] of this.endsAt) if (at <= this.nowMs) this.calls.delete(id);
  };
  readonly now = (): number => this.nowMs;
}

const run = (w: FakeWorker, timeoutMs: number, handBackMs?: number) =>
  drainAndClose(w, {
    timeoutMs,
    pollMs: 100,
    now: w.now,
    sleep: w.sleep,
    ...(handBackMs === undefined ? {} : { handBackMs }),
  });

describe('drainAndClose', () => {
  it('lets calls that finish in time finish, then closes', async () => {
    const w = new FakeWorker();
    w.calls.set('a', true).set('b', true);
    w.endsAt.set('a', 1_000).set('b', 2_500);
    const report = await run(w, 30_000);
    expect(w.events).toEqual(['drain@0', 'close@2500']);
    expect(report).toEqual({ liveAtStart: 2, handedBack: 0, stillStreaming: 0, durationMs: 2_500 });
  });

  it('hands the streams still open back to the carrier before the deadline', async () => {
    const w = new FakeWorker();
    w.calls.set('a', true).set('b', true).set('done', true);
    w.endsAt.set('done', 300);
    const report = await run(w, 10_000, 4_000);
    // One poll later the sockets have closed.
    expect(w.events).toEqual(['drain@0', 'handBack:a@6000', 'handBack:b@6000', 'close@6100']);
    expect(report).toMatchObject({ liveAtStart: 3, handedBack: 2, stillStreaming: 0 });
  });

  it('defaults the hand-back to 5 s before the deadline (half the timeout when shorter)', async () => {
    const long = new FakeWorker();
    long.calls.set('a', true);
    await run(long, 30_000);
    expect(long.events).toContain('handBack:a@25000');
    const short = new FakeWorker();
    short.calls.set('a', true);
    await run(short, 4_000);
    expect(short.events).toContain('handBack:a@2000');
  });

  it('closes at the deadline even when a stream does not close', async () => {
    const w = new FakeWorker();
    w.calls.set('stuck', true);
    w.stubborn.add('stuck');
    const report = await run(w, 2_000, 1_000);
    expect(w.events).toEqual(['drain@0', 'handBack:stuck@1000', 'close@2000']);
    expect(report).toMatchObject({ handedBack: 1, stillStreaming: 1, durationMs: 2_000 });
  });

  it('with no live calls closes at once; with a zero timeout hands back at once', async () => {
    const idle = new FakeWorker();
    expect(await run(idle, 30_000)).toEqual({
      liveAtStart: 0,
      handedBack: 0,
      stillStreaming: 0,
      durationMs: 0,
    });
    const zero = new FakeWorker();
    zero.calls.set('a', true);
    await run(zero, 0);
    expect(zero.events).toEqual(['drain@0', 'handBack:a@0', 'close@0']);
  });

  it('a session whose stream already closed (e.g. mid cold transfer) is not handed back', async () => {
    // Its transfer lives in the store (timers, webhooks): any worker carries on with it.
    const w = new FakeWorker();
    w.calls.set('dialing', false);
    const report = await run(w, 1_000);
    expect(w.events).toEqual(['drain@0', 'close@500']);
    expect(report.handedBack).toBe(0);
  });
});
