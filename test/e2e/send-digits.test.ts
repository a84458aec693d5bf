import { describe, expect, it } from 'vitest';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { DaemonError } from '../../src/domain/errors.js';
import { handoff, useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * A destination's `sendDigits` (an extension behind a switchboard): the carrier keys them once the
 * leg answered (Twilio `SendDigits`, Plivo `send_digits`), before the briefing or the whisper.
 */

const HUMAN = '+14155550111';

function scripts(start: ScriptStart): readonly ScriptStep[] {
  if (start.customParameters['role'] === 'briefing')
    return [{ say: 300, toneHz: 880, mark: 'b' }, { awaitMark: 'b' }, { briefingResult: { accepted: true } }];
  return start.resumed ? [] : [{ say: 200 }, { text: [`One moment [TRANSFER:${HUMAN}]`] }, { say: 200 }];
}

describe.each(['twilio', 'plivo'] as const)('%s: sendDigits (Redis)', (carrier) => {
  const e2e = useE2e(carrier);

  it('agentic: the extension is keyed once answered, then the agent briefs the person', async () => {
    const h = await e2e.run({
      script: scripts,
      agent: handoff({
        mode: 'agentic',
        whisper: 'Refund request.',
        sendDigits: { '(415) 555-0111': 'ww123#' },
      }),
    });
    const human = h.sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660, durationMs: 30_000 },
    });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    const keyed = human.heard.from('digits');
    expect(keyed.map((s) => s.text).join('')).toBe('123#');
    // The keys came first (after the two half-second pauses), the agent's briefing after them.
    expect(keyed.at(-1)!.startMs).toBeLessThan(human.heard.first('stream:')!.startMs);
    // The caller never hears them.
    expect(call.heard.from('digits')).toHaveLength(0);
    call.hangup();
  });
});

describe.each(['twilio', 'plivo'] as const)(
  '%s: sendDigits on the caller’s own dial (cold, Redis)',
  (carrier) => {
    const e2e = useE2e(carrier);

    it('cold: `<Number sendDigits>` keys the extension once answered, before the caller is bridged', async () => {
      const h = await e2e.run({
        script: scripts,
        agent: handoff({ mode: 'cold', sendDigits: { '(415) 555-0111': 'w42#' } }),
      });
      const human = h.sim.network.addHuman(HUMAN, {
        type: 'answer',
        afterMs: 300,
        speak: { type: 'tone', hz: 660, durationMs: 30_000 },
      });
      const call = await e2e.placeCall(h);
      await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome === 'connected', 20_000);
      await h.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
      const keyed = human.heard.from('digits');
      expect(keyed.map((s) => s.text).join('')).toBe('42#');
      // The keys went to the human only, and before the caller joined them.
      expect(call.heard.from('digits')).toHaveLength(0);
      expect(keyed.at(-1)!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
      call.hangup();
    });
  },
);

describe('exotel: sendDigits', () => {
  const e2e = useE2e('exotel');

  it('is refused at start, naming the field: Exotel cannot key digits to a destination', async () => {
    const error = await e2e.run({ agent: handoff({ sendDigits: { '(415) 555-0111': '123' } }) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).message).toMatch(
      /^agents\[0\]\.handoffConfig\.sendDigits: .*exotel cannot key digits/,
    );
  });
});
