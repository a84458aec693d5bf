import { describe, expect, it } from 'vitest';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { handoff, transferEvents, useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';

/**
 * Answering-machine detection on the human's leg (Twilio `MachineDetection=Enable`): the
 * simulator judges the audio the answering endpoint sends, with Twilio's documented thresholds
 * (sim/amd.ts), and fetches the answer URL with `AnsweredBy` only once it decided. A voicemail
 * greeting is never briefed nor whispered to, never connected: outcome `voicemail`, next destination.
 */

const VOICEMAIL = '+14155550111';
const PERSON = '+14155550112';

function scripts(chain: readonly string[]) {
  return (start: ScriptStart): readonly ScriptStep[] => {
    if (start.customParameters['role'] === 'briefing')
      return [
        { say: 300, toneHz: 880, mark: 'b' },
        { awaitMark: 'b' },
        { briefingResult: { accepted: true } },
      ];
    const tags = chain.map((n) => `[TRANSFER:${n}]`).join(' ');
    return start.resumed
      ? []
      : [{ say: 200 }, { text: [`One moment ${tags}`] }, { awaitEvent: 'resume' }, { say: 300 }];
  };
}

/** A person who says "hello" (0.6 s) and waits: detection hears speech end, a human. */
const SAYS_HELLO = {
  type: 'answer',
  afterMs: 300,
  speak: { type: 'tone', hz: 660, durationMs: 600 },
} as const;

describe('twilio: answering-machine detection on the human’s leg (Redis)', () => {
  const e2e = useE2e('twilio');

  it('agentic: a voicemail greeting is not briefed; the next destination, a person, is', async () => {
    const h = await e2e.run({
      script: scripts([VOICEMAIL, PERSON]),
      agent: handoff({ mode: 'agentic', whisper: 'Refund request.', machineDetection: true }),
    });
    const box = h.sim.network.addHuman(VOICEMAIL, { type: 'voicemail', afterMs: 300, greetingMs: 6000 });
    const person = h.sim.network.addHuman(PERSON, SAYS_HELLO);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 30_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    expect(connected.transfer?.legs.map((l) => l.outcome)).toEqual(['voicemail', 'connected']);
    const machine = connected.transfer?.timeline.find((t) => t.event === 'leg.answered');
    expect(machine?.detail).toContain('answeredBy=machine');
    // The box's answer URL came with Twilio's own field and value, once detection decided.
    const boxSid = connected.legCarrierIds[`${connected.transfers[0]!.transferId}:0`];
    const answer = h.sim.log.entries.find(
      (e) => e.type === 'webhook.sent' && e.kind === 'voice' && e.params['CallSid'] === boxSid,
    );
    expect(answer?.type === 'webhook.sent' ? answer.params['AnsweredBy'] : undefined).toBe('machine_start');
    // One briefing socket only: the person's. The box heard nothing from the daemon or the caller.
    expect(h.agent!.sessions.filter((s) => s.start?.customParameters['role'] === 'briefing')).toHaveLength(1);
    expect(box.heard.from('stream:')).toHaveLength(0);
    expect(box.heard.from('party:')).toHaveLength(0);
    expect(box.heard.from('say')).toHaveLength(0);
    await h.sim.waitFor(() => person.heard.from('party:').length > 0, 5000);
    expect(person.heard.from('stream:').length).toBeGreaterThan(0);
    call.hangup();
  });

  it('not kinder than the carrier: a person who talks on past the speech threshold is taken for a machine', async () => {
    const h = await e2e.run({
      script: scripts([VOICEMAIL]),
      agent: handoff({ mode: 'warm', whisper: 'Refund request.', machineDetection: true }),
    });
    // Answers and talks without a pause, as a greeting does.
    h.sim.network.addHuman(VOICEMAIL, {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660, durationMs: 30_000 },
    });
    const call = await e2e.placeCall(h);
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 15_000);
    expect(back.transfers[0]).toMatchObject({ mode: 'warm', outcome: 'voicemail' });
    call.hangup();
  });

  it('a person who says nothing: AnsweredBy unknown after the silence timeout, not a machine: whispered to and joined', async () => {
    const h = await e2e.run({
      script: scripts([VOICEMAIL]),
      agent: handoff({ mode: 'warm', whisper: 'Refund request.', machineDetection: true }),
    });
    const person = h.sim.network.addHuman(VOICEMAIL, { type: 'answer', afterMs: 300 });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    const sid = connected.legCarrierIds[`${connected.transfers[0]!.transferId}:0`];
    const answer = h.sim.log.entries.find(
      (e) => e.type === 'webhook.sent' && e.kind === 'voice' && e.params['CallSid'] === sid,
    );
    expect(answer?.type === 'webhook.sent' ? answer.params['AnsweredBy'] : undefined).toBe('unknown');
    expect(person.heard.first('say')?.text).toBe('Refund request.');
    call.hangup();
  });

  it('warm: the only destination is a voicemail box: back to the AI with voicemail, never whispered to', async () => {
    const h = await e2e.run({
      script: scripts([VOICEMAIL]),
      agent: handoff({ mode: 'warm', whisper: 'Refund request.', machineDetection: true }),
    });
    const box = h.sim.network.addHuman(VOICEMAIL, { type: 'voicemail', afterMs: 300 });
    const call = await e2e.placeCall(h);
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 15_000);
    expect(back.transfers[0]).toMatchObject({ mode: 'warm', outcome: 'voicemail' });
    expect(transferEvents(back)).not.toContain('human.joined');
    expect(back.transfer?.timeline.map((t) => t.state)).not.toContain('connected');
    const main = await h.agent!.session(0);
    expect((await main.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('voicemail');
    expect(box.heard.from('say')).toHaveLength(0);
    expect(box.heard.from('party:')).toHaveLength(0);
    call.hangup();
  });
});
