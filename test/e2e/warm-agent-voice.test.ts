import { describe, expect, it } from 'vitest';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { MULAW_8K } from '../../src/domain/media.js';
import { tone } from '../../src/media/tone.js';
import { handoff, useE2e } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';

/**
 * A warm transfer whose whisper is spoken by the agent itself (`whisperVoice: agent`): the
 * human's leg streams to a briefing socket, the daemon sends it `say { text }`, and the human
 * joins once the carrier played the agent's words (their mark came back). No carrier speech.
 */

const HUMAN = '+14155550111';
const WHISPER = 'Refund request for order 1234.';

function scripts(briefing: readonly ScriptStep[]) {
  return (start: ScriptStart): readonly ScriptStep[] => {
    if (start.customParameters['role'] === 'briefing') return briefing;
    return start.resumed ? [] : [{ say: 200 }, { text: [`One moment [TRANSFER:${HUMAN}]`] }, { say: 200 }];
  };
}

const TALKS = { type: 'answer', afterMs: 300, speak: { type: 'tone', hz: 660, durationMs: 30_000 } } as const;

describe.each(['twilio', 'plivo'] as const)('%s: warm whisper in the agent’s voice (Redis)', (carrier) => {
  const e2e = useE2e(carrier);

  it('the agent says the whisper; the human joins once it played; the caller never hears it', async () => {
    const h = await e2e.run({
      script: scripts([{ awaitEvent: 'say' }, { say: 400, toneHz: 880, mark: 'whisper' }]),
      agent: handoff({ warm: true, whisper: WHISPER, whisperVoice: 'agent' }),
    });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    const briefing = await h.agent!.session(1);
    expect(briefing.start?.customParameters['role']).toBe('briefing');
    expect((await briefing.waitFor((f) => f.event === 'say')).frame['text']).toBe(WHISPER);
    await h.sim.waitFor(() => human.heard.from('party:').length > 0, 5000);
    expect(human.heard.from('say')).toHaveLength(0);
    expect(sourcesHeard(human.heard.segments)).toEqual(['stream:', 'party:']);
    const spoken = tone(MULAW_8K, { frequencyHz: 880, durationMs: 400 }).subarray(0, 320);
    expect(Buffer.from(human.heard.audio('stream:')).indexOf(spoken)).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(call.heard.audio('stream:')).indexOf(spoken)).toBe(-1);
    call.hangup();
  });

  it('the agent’s socket fails: the carrier speaks the whisper instead, then the join', async () => {
    const h = await e2e.run({
      script: scripts([{ close: 'abrupt' }]),
      agent: handoff({ warm: true, whisper: WHISPER, whisperVoice: 'agent' }),
    });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 30_000);
    expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    expect(connected.transfer?.timeline.find((t) => t.event === 'briefing.failed')?.detail).toContain(
      'fallback=whisper',
    );
    await h.sim.waitFor(() => human.heard.from('party:').length > 0, 5000);
    expect(human.heard.first('say')?.text).toBe(WHISPER);
    call.hangup();
  });
});
