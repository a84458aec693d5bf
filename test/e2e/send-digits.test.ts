import { describe, expect, it } from 'vitest';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
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
