import { afterEach, describe, expect, it } from 'vitest';
import { startVirtual, type VirtualRun } from './virtual.js';

/**
 * `onNoResponseAction` counts a caller's silence toward an agent that is there: while the agent
 * is still accepting the daemon's socket (up to its connect timeout), nobody has asked the caller
 * anything. Found by the property run's adversary (a slow agent, seed 0xdc): the silence transfer
 * fired 1 s into the call, before the agent had opened, and the caller's first 750 ms never
 * reached it.
 */

const runs: VirtualRun[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

describe('silence while the agent is still connecting', () => {
  it('is not the caller failing to respond: the watch starts when the agent socket opens', async () => {
    const run = await startVirtual({
      script: [{ waitMs: 60_000 }],
      acceptDelayMs: 3000,
      agent: (a) => ({ ...a, callControl: { onNoResponseAction: 'transfer', noResponseTimeoutSec: 1 } }),
    });
    runs.push(run);
    run.h.sim.network.addHuman('+14155550133', { type: 'answer', afterMs: 200 });
    const call = await run.placeCall({ audio: { type: 'silence' } });
    const started = run.time.nowMs();
    const moved = await run.record(call.sid, (r) => r.transfers.length > 0, 'the silence transfer');
    // The agent was there when the transfer was asked for.
    expect(run.h.agent!.sessions).toHaveLength(1);
    const session = run.h.agent!.sessions[0]!;
    const opened = session.received[0]!.atMs;
    // The agent accepted 3 s in; the caller's silence counts from then, not from the call's start.
    expect(opened - started).toBeGreaterThanOrEqual(3000);
    expect(moved.transfers[0]?.startedAtMs).toBeGreaterThanOrEqual(moved.createdAtMs + 3000 + 1000);
    expect(moved.transfers[0]?.trigger).toBe('silence');
    // And the agent had the caller's audio from the stream's start before the transfer.
    expect(session.received.filter((f) => f.frame.event === 'media').length).toBeGreaterThan(100);
    call.hangup();
  });
});
