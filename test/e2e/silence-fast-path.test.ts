import { afterEach, describe, expect, it } from 'vitest';
import { startVirtual, type VirtualRun } from './virtual.js';

/**
 * `onNoResponseAction` on a Twilio stream: the caller's frames take the media fast path (read in
 * place, passed on as base64) and the silence watch measures each payload where it lies. A
 * caller who talks is not silent however long they talk; once they stop, the watch fires after
 * `noResponseTimeoutSec`.
 */

const runs: VirtualRun[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

describe('silence watch on the media fast path', () => {
  it('a caller who talks for 4 s is not silent; 1 s after they stop, the silence transfer starts', async () => {
    const run = await startVirtual({
      // The agent says nothing: only the caller's own audio keeps the watch from firing.
      script: [{ waitMs: 60_000 }],
      agent: (a) => ({ ...a, callControl: { onNoResponseAction: 'transfer', noResponseTimeoutSec: 1 } }),
    });
    runs.push(run);
    run.h.sim.network.addHuman('+14155550133', { type: 'answer', afterMs: 200 });
    const call = await run.placeCall({ audio: { type: 'tone', hz: 440, durationMs: 4_000 } });
    const moved = await run.record(call.sid, (r) => r.transfers.length > 0, 'the silence transfer');
    const transfer = moved.transfers[0];
    expect(transfer?.trigger).toBe('silence');
    // 4 s of speech, then 1 s of silence (checked every 250 ms): never while the caller talked.
    const after = (transfer?.startedAtMs ?? 0) - moved.createdAtMs;
    expect(after).toBeGreaterThanOrEqual(5_000);
    expect(after).toBeLessThan(6_500);
    // The agent heard the caller's audio the whole time.
    const session = run.h.agent!.sessions[0]!;
    expect(session.received.filter((f) => f.frame.event === 'media').length).toBeGreaterThan(150);
    call.hangup();
  });
});
