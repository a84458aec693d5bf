import { describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '../ops/prom-text.js';
import { ANSWERS, type E2e, handoff, transferEvents, useE2e, warm } from './fixture.js';
import {
  exotelNumber,
  type Harness,
  type HarnessOptions,
  INBOUND,
  sourcesHeard,
  until,
  waitForRecord,
} from './harness.js';

/**
 * Transfers on Exotel, end to end: the daemon on a private real Redis, the Exotel simulator
 * running the flow of docs/exotel.md (Voicebot → Passthru → Connect → Passthru), a scripted agent
 * speaking Twilio's protocol. The AI disconnects first (seed 003): the daemon closes the Voicebot
 * stream and the flow asks the daemon whom to dial. The cases that mostly wait on ring timeouts
 * run on virtual time and the memory store, the same checks without the wall time.
 */

/** Starts a test's harness on `e2e`, the number's flow set up as asked. */
const starter =
  (e2e: E2e) =>
  async (
    options: HarnessOptions,
    flow: { programmable?: boolean; ringOverrunSec?: number } = {},
  ): Promise<Harness> => {
    const h = await e2e.run(options);
    if (flow.programmable || flow.ringOverrunSec !== undefined) {
      h.sim.exotel.configureNumber(INBOUND, exotelNumber(h.publicUrl, flow));
    }
    return h;
  };

function dialUps(harness: Harness): string[] {
  return harness.sim.log
    .ofType('webhook.sent')
    .filter((e) => e.kind === 'dial-whom')
    .map((e) => e.body ?? '');
}

describe('exotel transfers end to end (Redis)', () => {
  const e2e = useE2e('exotel');
  const run = starter(e2e);
  const { placeCall } = e2e;

  it('cold, answered: the AI disconnects first, the Connect applet dials the number the daemon answers', async () => {
    const hh = await run({
      script: [
        { say: 400 },
        { text: ['Putting you through ', 'now [TRANS', 'FER:+14155550111]'] },
        { say: 200 },
      ],
    });
    const human = hh.sim.network.addHuman('+14155550111', ANSWERS);
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'human');
    await hh.sim.waitFor(
      () => human.heard.from('party:').length > 0 && call.heard.from('party:').length > 0,
      5000,
    );
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(ended.transfers).toMatchObject([{ mode: 'cold', trigger: 'tag', outcome: 'connected' }]);
    expect(transferEvents(ended)).toEqual([
      'transfer.started',
      'handoff.played',
      'leg.ringing',
      'leg.answered',
    ]);
    // Seed 003: plain text, the destination only.
    expect(dialUps(hh)).toEqual(['+14155550111']);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'ringback', 'party:']);
    expect(sourcesHeard(human.heard.segments)).toEqual(['party:']);
    // The AI's last frame played before the bridge, and its socket got `stop`.
    expect(call.heard.last('stream:')!.endMs).toBeLessThanOrEqual(call.heard.first('party:')!.startMs);
    const session = await hh.agent!.session(0);
    await session.finished;
    expect(session.frames('stop')).toHaveLength(1);
    // Every audio message the daemon sent met Exotel's chunk rules.
    expect(hh.sim.exotel.streamsOf(call.sid)[0]?.stats.rejected).toBe(0);
    expect(hh.sim.log.ofType('sim.error')).toHaveLength(0);
  });

  it('busy, then the next number: the flow comes back through its Passthrus and dials it', async () => {
    const hh = await run({ script: [{ say: 200 }, { transfer: { rule: 'Billing' } }, { say: 200 }] });
    const first = hh.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 200 });
    const second = hh.sim.network.addHuman('+14155550112', ANSWERS);
    const call = await placeCall(hh);
    const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(record.transfer?.legs.map((l) => l.outcome)).toEqual(['busy', 'connected']);
    expect(first.legs).toHaveLength(1);
    expect(second.legs).toHaveLength(1);
    expect(dialUps(hh)).toEqual(['+14155550111', '+14155550112']);
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
  });

  it('the caller hangs up while the human rings: the transfer ends caller_hangup, the dial is canceled', async () => {
    const hh = await run({ script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 200 }] });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => human.activeLeg?.state === 'ringing', 8000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    expect(ended.transfers[0]?.outcome).toBe('caller_hangup');
    await hh.sim.waitFor(() => human.legs.every((l) => l.state === 'ended'), 5000);
    expect(human.legs[0]?.end?.status).toBe('canceled');
  });

  it('a [TRANSFER:] to a number not in the configuration is refused; the AI goes on', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['Sure [TRANSFER:+19005550199]'] }, { say: 200 }],
    });
    const premium = hh.sim.network.addHuman('+19005550199', ANSWERS);
    const call = await placeCall(hh);
    const refused = await waitForRecord(hh, call.sid, (r) => r.refusals.length > 0);
    expect(refused.refusals[0]).toMatchObject({ trigger: 'tag', refusal: 'destination_not_allowed' });
    expect(refused.phase).toBe('ai');
    expect(premium.legs).toHaveLength(0);
    expect(dialUps(hh)).toHaveLength(0);
    // The caller is still on the first stream.
    expect(hh.sim.exotel.streamsOf(call.sid)).toHaveLength(1);
    expect(hh.sim.exotel.streamsOf(call.sid)[0]?.isEnded).toBe(false);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });

  it('warm on Exotel runs as cold, loudly: hold music for the caller, the whisper for the human', async () => {
    const hh = await run(
      {
        script: [{ say: 200 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
        agent: warm('Incoming refund request.'),
      },
      { programmable: true },
    );
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 400,
      speak: { type: 'tone', hz: 660 },
    });
    const call = await placeCall(hh);
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers).toMatchObject([{ mode: 'cold', outcome: 'connected' }]);
    expect(connected.timeline.map((t) => t.event)).toContain('transfer.warm_as_cold');
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    const whisper = human.heard.first('say');
    expect(whisper?.text).toBe('Incoming refund request.');
    expect(whisper!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toHaveLength(0);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    call.hangup();
  });

  it('the agent hanging up ends the call through the flow: the Passthru answers 302 → Hangup', async () => {
    const hh = await run({ script: [{ say: 300 }, { close: 'normal' }] });
    const call = await placeCall(hh);
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
    await call.ended;
    const next = hh.sim.log
      .ofType('webhook.sent')
      .find((e) => e.kind === 'passthru' && e.url.includes('/exotel/next'));
    expect(next?.status).toBe(302);
    expect(dialUps(hh)).toHaveLength(0);
  });
});

describe('exotel transfers end to end (virtual time)', () => {
  const e2e = useE2e('exotel', { virtualTime: true });
  const run = starter(e2e);
  const { placeCall } = e2e;
  const WHISPER = 'Incoming refund request for order 1234, placed last week.';

  /**
   * A warm transfer run as cold to one human who answers after 400 ms and hangs up as `leaves`
   * says; resolves once the caller is back with the AI, the transfer over.
   */
  async function humanLeaves(
    leaves: { hangupDuringWhisper: { afterMs: number } } | { hangupAfterMs: number },
  ) {
    const hh = await run(
      {
        script: (start) =>
          start.resumed
            ? []
            : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 1500 }],
        agent: warm(WHISPER),
      },
      { programmable: true },
    );
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 400,
      ...leaves,
      speak: { type: 'tone', hz: 660 },
    });
    const call = await placeCall(hh);
    const back = await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ai' && r.transfers[0]?.outcome !== undefined,
      15_000,
    );
    return { hh, human, call, back };
  }

  it('warm run as cold: a human who hangs up during the carrier’s whisper is human_hangup, and the caller is back with the AI', async () => {
    const { hh, human, call, back } = await humanLeaves({ hangupDuringWhisper: { afterMs: 500 } });
    // Never connected: the human heard the whisper, never the caller (was: connected at the
    // answer, then the flow hung up the caller).
    expect(back.transfers[0]?.outcome).toBe('human_hangup');
    expect(human.heard.from('party:')).toHaveLength(0);
    await hh.sim.waitFor(() => sourcesHeard(call.heard.segments).at(-1) === 'stream:', 10_000);
    expect(call.state).not.toBe('ended');
    const session = await hh.agent!.session(0);
    const statuses = session.received
      .filter((f) => f.frame.event === 'transfer_status')
      .map((f) => String(f.frame['status']));
    expect(statuses).toContain('whispering');
    expect(statuses).not.toContain('connected');
    call.hangup();
  });

  it('warm run as cold: a caller who hangs up inside the whisper’s bounds is caller_hangup, the bridge said unconfirmed, as it is', async () => {
    const start = async () => {
      const hh = await run(
        {
          script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 5000 }],
          agent: warm(WHISPER),
        },
        { programmable: true },
      );
      const human = hh.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 400,
        speak: { type: 'tone', hz: 660 },
      });
      return { hh, human, call: await placeCall(hh) };
    };
    // Half a second after the bridge (Exotel reports nothing there; the daemon's upper bound on
    // the whisper has not passed): the two talked, and the record does not claim they did not.
    const late = await start();
    await late.hh.sim.waitFor(() => late.call.heard.from('party:').length > 0, 15_000);
    const bridgedAtMs = late.hh.time.nowMs();
    await until(late.hh, () => late.hh.time.nowMs() >= bridgedAtMs + 500, 'half a second of talk');
    late.call.hangup();
    const after = await waitForRecord(late.hh, late.call.sid, (r) => r.phase === 'ended', 15_000);
    expect(after.endedReason).toBe('caller_hangup');
    expect(after.transfers).toMatchObject([
      { mode: 'cold', outcome: 'caller_hangup', bridge: 'unconfirmed' },
    ]);
    expect(after.timeline.map((t) => t.detail)).toContain('caller_hangup bridge=unconfirmed');
    expect(late.human.heard.from('party:').length).toBeGreaterThan(0);
    const unconfirmed = async (h: Harness) =>
      sampleValue(
        parsePrometheus(await h.app.metrics.text()),
        'patchthrough_transfers_bridge_unconfirmed_total',
        {
          mode: 'cold',
          carrier: 'exotel',
        },
      );
    expect(await unconfirmed(late.hh)).toBe(1);
    // As the whisper starts (it cannot have ended): caller_hangup, certain.
    const early = await start();
    await early.hh.sim.waitFor(() => early.human.heard.first('say') !== undefined, 15_000);
    early.call.hangup();
    const before = await waitForRecord(early.hh, early.call.sid, (r) => r.phase === 'ended', 15_000);
    expect(before.transfers).toMatchObject([{ mode: 'cold', outcome: 'caller_hangup' }]);
    expect(before.transfers[0]).not.toHaveProperty('bridge');
    expect(early.human.heard.from('party:')).toHaveLength(0);
    expect(await unconfirmed(early.hh)).toBe(0);
  });

  it('warm run as cold: a human who hangs up just after the unreported bridge is human_hangup, the bridge unconfirmed, and the caller back with the AI', async () => {
    // Exotel says the whisper at 60 ms a character (3.5 s), then bridges; the daemon's bounds are
    // 2.3 and 5.6 s. The human hangs up half a second into the conversation.
    const { hh, human, call, back } = await humanLeaves({ hangupAfterMs: 60 * WHISPER.length + 500 });
    expect(back.transfers).toMatchObject([{ mode: 'cold', outcome: 'human_hangup', bridge: 'unconfirmed' }]);
    expect(human.heard.from('party:').length).toBeGreaterThan(0);
    await hh.sim.waitFor(() => sourcesHeard(call.heard.segments).at(-1) === 'stream:', 10_000);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:', 'stream:']);
    const session = await hh.agent!.session(0);
    expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('human_hangup');
    call.hangup();
  });

  it('nobody answers: back to the Voicebot, and the same agent session gets resume with no_answer', async () => {
    const hh = await run(
      {
        script: (start) =>
          start.resumed
            ? []
            : [{ say: 200 }, { text: ['[TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }, { say: 300 }],
        agent: handoff({ ringTimeoutSec: 5 }),
      },
      // Programmable Connect carries the ring timeout (`max_ringing_duration`).
      { programmable: true },
    );
    hh.sim.network.addHuman('+14155550122', { type: 'no-answer' });
    const call = await placeCall(hh);
    const back = await waitForRecord(
      hh,
      call.sid,
      (r) => r.phase === 'ai' && r.transfers[0]?.outcome !== undefined,
      15_000,
    );
    expect(back.transfers[0]?.outcome).toBe('no_answer');
    const session = await hh.agent!.session(0);
    const resume = await session.waitFor((f) => f.event === 'resume');
    expect(resume.frame['outcome']).toBe('no_answer');
    await hh.sim.waitFor(
      () => sourcesHeard(call.heard.segments).join(',') === 'stream:,ringback,stream:',
      5000,
    );
    expect(hh.sim.exotel.streamsOf(call.sid)).toHaveLength(2);
    expect(hh.agent!.sessions).toHaveLength(1);
    const dial = JSON.parse(dialUps(hh)[0] ?? '{}') as Record<string, unknown>;
    expect(dial).toMatchObject({ destination: { numbers: ['+14155550122'] }, max_ringing_duration: 5 });
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });

  it.each([
    ['a plain-number dial-whom (the Connect applet rings for its own 30 s)', false],
    ['Programmable Connect, with Exotel ringing 10 s past max_ringing_duration', true],
  ])(
    'an answer after our ring timeout, on %s: the record and the agent say what the caller heard',
    async (_name, programmable) => {
      const hh = await run(
        {
          script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 200 }],
          agent: handoff({ ringTimeoutSec: 5 }),
        },
        { programmable, ringOverrunSec: programmable ? 10 : 0 },
      );
      // Past our 5 s and the daemon's own backstop, before the carrier gives up.
      const human = hh.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 11_000,
        speak: { type: 'tone', hz: 660 },
      });
      const call = await placeCall(hh);
      const decided = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
      await hh.sim.waitFor(
        () => human.legs[0]?.state === 'ended' || call.heard.from('party:').length > 0,
        10_000,
      );
      const session = await hh.agent!.session(0);
      const statuses = session.frames('transfer_status').map((f) => f.frame['status']);
      // Exotel cannot end a leg its Connect applet dialed: the late answer is bridged, so it is a
      // connected transfer, and nobody tells the AI it failed.
      expect(call.heard.from('party:').length).toBeGreaterThan(0);
      expect(decided.transfers[0]?.outcome).toBe('connected');
      expect(decided.phase).toBe('human');
      expect(statuses).not.toContain('failed');
      expect(session.frames('resume')).toHaveLength(0);
      expect(decided.transfer?.timeline.map((t) => t.detail ?? '').join(' ')).toContain('awaiting_carrier');
      call.hangup();
      const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
      expect(ended.endedReason).toBe('transferred');
    },
  );
});
