import { describe, expect, it } from 'vitest';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { DaemonError } from '../../src/domain/errors.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { handoff, transferEvents, useE2e } from './fixture.js';
import { type Harness, waitForRecord } from './harness.js';

/**
 * Answering-machine detection on the human's leg, as each carrier runs it: Twilio
 * `MachineDetection=Enable` fetches the answer URL with `AnsweredBy` only once it decided; Plivo
 * `machine_detection=true` runs the answer XML at once and posts `Machine=true|false` to
 * `machine_detection_url` within `machine_detection_time` (the daemon holds the human's answer
 * until then). The simulator judges the audio the answering endpoint sends (sim/amd.ts). A
 * voicemail greeting is never briefed nor whispered to, never connected: outcome `voicemail`,
 * next destination.
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

type Carrier = 'twilio' | 'plivo';

/** The carrier's verdict on the first leg, in its own field and value, from the simulator's log. */
function verdictSent(h: Harness, carrier: Carrier, record: CallRecord, index = 0): string | undefined {
  const sid = record.legCarrierIds[`${record.transfers[0]!.transferId}:${index}`];
  for (const e of h.sim.log.entries) {
    if (e.type !== 'webhook.sent') continue;
    if (carrier === 'twilio' && e.kind === 'voice' && e.params['CallSid'] === sid)
      return `AnsweredBy=${e.params['AnsweredBy']}`;
    if (carrier === 'plivo' && e.params['Event'] === 'MachineDetection' && e.params['CallUUID'] === sid)
      return `Machine=${e.params['Machine']}`;
  }
  return undefined;
}

const MACHINE: Readonly<Record<Carrier, string>> = {
  twilio: 'AnsweredBy=machine_start',
  plivo: 'Machine=true',
};
const NOT_MACHINE: Readonly<Record<Carrier, string>> = {
  twilio: 'AnsweredBy=unknown',
  plivo: 'Machine=false',
};

describe.each(['twilio', 'plivo'] as const)(
  '%s: answering-machine detection on the human’s leg (Redis)',
  (carrier) => {
    const e2e = useE2e(carrier);

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
      const machine = connected.transfer?.timeline.find((t) => t.detail?.includes('answeredBy=machine'));
      expect(machine).toBeDefined();
      // The carrier said so in its own field and value, once detection decided.
      expect(verdictSent(h, carrier, connected)).toBe(MACHINE[carrier]);
      expect(verdictSent(h, carrier, connected, 1)).toBe(
        carrier === 'twilio' ? 'AnsweredBy=human' : 'Machine=false',
      );
      // One briefing socket only: the person's. The box heard nothing from the daemon or the caller.
      expect(h.agent!.sessions.filter((s) => s.start?.customParameters['role'] === 'briefing')).toHaveLength(
        1,
      );
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
      expect(verdictSent(h, carrier, connected)).toBe(NOT_MACHINE[carrier]);
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
  },
);

describe('exotel: machineDetection', () => {
  const e2e = useE2e('exotel');

  it('is refused at start, naming the field: Exotel cannot tell a person from a machine', async () => {
    const error = await e2e.run({ agent: handoff({ mode: 'warm', machineDetection: true }) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).message).toMatch(
      /^agents\[0\]\.handoffConfig\.machineDetection: .*exotel cannot tell a person from an answering machine/,
    );
  });
});
