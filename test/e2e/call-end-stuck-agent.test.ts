import { describe, expect, it } from 'vitest';
import { useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * The caller hangs up while the agent has stopped reading its socket (a stuck process, a full
 * buffer): the agent is told `stop` and closed, but the carrier's callback that told of the end
 * is answered at once, not once the close handshake gives up on the agent (the wire's close
 * timeout, 2 s). A carrier that waits long for an answer retries or marks the endpoint failing.
 */
describe.each(['twilio', 'plivo'] as const)(
  '%s: the call ends while the agent is stuck (Redis)',
  (carrier) => {
    const e2e = useE2e(carrier);

    it("answers the caller's final callback without waiting for the agent's close", async () => {
      const h = await e2e.run({ script: () => [{ say: 300 }, { stall: true }] });
      const call = await e2e.placeCall(h);
      const session = await h.agent!.session(0);
      await session.waitFor((f) => f.event === 'start');
      await h.sim.waitFor(() => call.heard.from('stream:').length > 0, 5000);
      call.hangup();
      const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended', 10_000);
      expect(ended.phase).toBe('ended');
      const endedAt = h.sim.log.forCall(call.sid).entries.find((e) => e.type === 'leg.ended')?.atMs;
      expect(endedAt).toBeDefined();
      // The callbacks the carrier sent about the caller's call after it ended, as answered.
      const answered = () =>
        h.sim.log
          .ofType('webhook.sent')
          .filter((w) => w.callSid === call.sid && w.atMs >= (endedAt ?? 0) && w.copy === 0);
      await h.sim.waitFor(() => answered().length > 0, 5000);
      for (const w of answered()) {
        expect(w.status).toBe(200);
        expect(w.atMs - (endedAt ?? 0)).toBeLessThan(1000);
      }
    });
  },
);
