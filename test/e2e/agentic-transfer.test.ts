import { describe, expect, it } from 'vitest';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { MULAW_8K } from '../../src/domain/media.js';
import { tone } from '../../src/media/tone.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { audioLevel, SPEECH_LEVEL } from '../../src/runtime/silence.js';
import { handoff, transferEvents, useE2e } from './fixture.js';
import { type Harness, sourcesHeard, waitForRecord } from './harness.js';

/**
 * Agentic warm transfer end to end (issue 15): when the human answers, their leg streams to the
 * daemon and the agent briefs them over a second socket (`role: briefing`); the human or the agent
 * accepts or declines. What each party heard comes from the simulator's record: the caller never
 * hears the briefing, and the briefing socket never gets the caller's audio.
 */

const HUMAN = '+14155550111';
const SUMMARY = 'Caller Dana asks about a double charge on invoice 1234.';

/** The main conversation hands off at once; a briefing socket runs `briefing`. */
function scripts(briefing: readonly ScriptStep[]) {
  return (start: ScriptStart): readonly ScriptStep[] => {
    if (start.customParameters['role'] === 'briefing') return briefing;
    return start.resumed
      ? []
      : [{ say: 200 }, { text: [`One moment [TRANSFER:${HUMAN}]`] }, { awaitEvent: 'resume' }, { say: 300 }];
  };
}

const AGENTIC = handoff({ mode: 'agentic', whisper: SUMMARY });

/** A human who picks up and talks (a 660 Hz tone) for as long as the test runs. */
const TALKS = { type: 'answer', afterMs: 300, speak: { type: 'tone', hz: 660, durationMs: 30_000 } } as const;

async function briefingSession(h: Harness) {
  const session = await h.agent!.session(1);
  await session.waitFor((f) => f.event === 'start');
  return session;
}

function stopReason(frame: Readonly<Record<string, unknown>>): unknown {
  return (frame['stop'] as { reason?: unknown } | undefined)?.reason;
}

describe.each(['twilio', 'plivo'] as const)('%s: agentic warm transfer (Redis)', (carrier) => {
  const e2e = useE2e(carrier);

  it('the agent briefs the human and accepts: the human joins the caller, the AI leaves', async () => {
    const h = await e2e.run({
      // The agent decides once its words have played (their mark came back).
      script: scripts([
        { say: 400, toneHz: 880, mark: 'briefed' },
        { awaitMark: 'briefed' },
        { briefingResult: { accepted: true } },
      ]),
      agent: AGENTIC,
    });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    expect(transferEvents(connected)).toEqual(
      expect.arrayContaining(['leg.answered', 'briefing.result', 'human.joined', 'caller.held']),
    );
    // A second socket to the same agent URL, a normal `start` saying it is a briefing.
    const briefing = await briefingSession(h);
    const transferId = connected.transfers[0]!.transferId;
    expect(briefing.start?.customParameters).toMatchObject({
      role: 'briefing',
      callId: call.sid,
      transferId,
      reason: expect.any(String),
      destinationLabel: '',
      summary: SUMMARY,
    });
    // It heard the human, and was told why it ended.
    expect(briefing.frames('media').length).toBeGreaterThan(0);
    const stop = await briefing.waitFor((f) => f.event === 'stop');
    expect(stopReason(stop.frame)).toBe('briefing accepted');
    await h.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    // The human heard the agent's own voice (the briefing stream), then the caller; no carrier TTS.
    expect(sourcesHeard(human.heard.segments)).toEqual(['stream:', 'party:']);
    expect(human.heard.from('say')).toHaveLength(0);
    // The caller heard the AI, then hold, then the human: never the briefing.
    const callerSources = sourcesHeard(call.heard.segments);
    expect(callerSources[0]).toBe('stream:');
    expect(callerSources.slice(1)).not.toContain('stream:');
    expect(callerSources.at(-1)).toBe('party:');
    expect(call.heard.last('stream:')!.endMs).toBeLessThanOrEqual(human.heard.first('stream:')!.startMs);
    // Byte for byte (μ-law passes through untouched): the briefing's 880 Hz reached the human only.
    const briefed = tone(MULAW_8K, { frequencyHz: 880, durationMs: 400 }).subarray(0, 320);
    expect(Buffer.from(human.heard.audio('stream:')).indexOf(briefed)).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(call.heard.audio('stream:')).indexOf(briefed)).toBe(-1);
    // The held caller never reached the AI during the briefing: the main socket got no caller
    // audio from the briefing's start on.
    const main = await h.agent!.session(0);
    const briefedAt = briefing.frames('start')[0]!.atMs;
    expect(main.frames('media').filter((f) => f.atMs >= briefedAt)).toHaveLength(0);
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
  });

  it('waitForHumanSpeechMs: the briefing opens on the human’s "hello", which the agent hears first', async () => {
    const h = await e2e.run({
      script: scripts([
        { say: 300, toneHz: 880, mark: 'b' },
        { awaitMark: 'b' },
        { briefingResult: { accepted: true } },
      ]),
      agent: handoff({ mode: 'agentic', whisper: SUMMARY, waitForHumanSpeechMs: 8000 }),
    });
    // Picks up, stays silent a moment (the carrier streams silence meanwhile), then says hello.
    h.sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 300,
      speakAfterMs: 1500,
      speak: { type: 'tone', hz: 660, durationMs: 30_000 },
    });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    const briefing = await briefingSession(h);
    // Nothing of the silence before the hello reached the agent: its first audio is speech.
    const first = briefing.frames('media')[0]!.frame['media'] as { payload: string };
    expect(audioLevel(Buffer.from(first.payload, 'base64'), MULAW_8K)).toBeGreaterThanOrEqual(SPEECH_LEVEL);
    call.hangup();
  });

  it('waitForHumanSpeechMs: a human who stays silent is briefed after the wait', async () => {
    const h = await e2e.run({
      script: scripts([
        { say: 300, toneHz: 880, mark: 'b' },
        { awaitMark: 'b' },
        { briefingResult: { accepted: true } },
      ]),
      agent: handoff({ mode: 'agentic', whisper: SUMMARY, waitForHumanSpeechMs: 1000 }),
    });
    const human = h.sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 300 });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    const briefing = await briefingSession(h);
    const first = briefing.frames('media')[0]!.frame['media'] as { payload: string };
    expect(audioLevel(Buffer.from(first.payload, 'base64'), MULAW_8K)).toBeLessThan(SPEECH_LEVEL);
    expect(human.heard.from('stream:').length).toBeGreaterThan(0);
    call.hangup();
  });

  it('the agent declines: the human’s leg ends, the caller goes back to the AI with declined', async () => {
    const h = await e2e.run({
      script: scripts([
        { say: 300, toneHz: 880, mark: 'briefed' },
        { awaitMark: 'briefed' },
        { briefingResult: { accepted: false, reason: 'busy' } },
      ]),
      agent: AGENTIC,
    });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    await expectDeclined(h, back, call.sid);
    const briefing = await briefingSession(h);
    expect(stopReason((await briefing.waitFor((f) => f.event === 'stop')).frame)).toBe('briefing declined');
    expect(human.heard.from('party:')).toHaveLength(0);
    expect(human.heard.from('stream:').length).toBeGreaterThan(0);
    await h.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
    expect(call.heard.from('party:')).toHaveLength(0);
    call.hangup();
  });

  it('the agent declines, then stops reading: the caller is back with the AI without waiting for its close frame', async () => {
    const h = await e2e.run({
      script: scripts([
        { say: 300, toneHz: 880, mark: 'briefed' },
        { awaitMark: 'briefed' },
        { briefingResult: { accepted: false, reason: 'busy' } },
        { stall: true },
      ]),
      agent: AGENTIC,
    });
    h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    await expectDeclined(h, back, call.sid);
    // The caller's move back to the AI went out as the decision came, not once the briefing
    // socket's close gave up on the stuck agent (the wire's close timeout, 2 s).
    const decidedAt = back.transfer?.timeline.find((t) => t.event === 'briefing.result')?.atMs ?? 0;
    const after = h.sim.log
      .ofType('rest.request')
      .filter((r) => r.path.includes(call.sid) && r.receivedAtMs >= decidedAt);
    expect(decidedAt).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]!.receivedAtMs - decidedAt).toBeLessThan(1000);
    call.hangup();
  });

  it('the human presses the decline key: declined, next the AI', async () => {
    const h = await e2e.run({ script: scripts([{ say: 300, toneHz: 880 }]), agent: AGENTIC });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const briefing = await briefingSession(h);
    await human.pressDigits('2');
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    await expectDeclined(h, back, call.sid);
    expect(back.transfer?.timeline.find((t) => t.event === 'briefing.result')?.detail).toContain('by=digit');
    expect(stopReason((await briefing.waitFor((f) => f.event === 'stop')).frame)).toBe('briefing declined');
    expect(human.heard.from('party:')).toHaveLength(0);
    call.hangup();
  });

  it('the human presses the accept key: connected, the briefing socket told', async () => {
    const h = await e2e.run({ script: scripts([{ say: 300, toneHz: 880 }]), agent: AGENTIC });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const briefing = await briefingSession(h);
    await human.pressDigits('1');
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    expect(stopReason((await briefing.waitFor((f) => f.event === 'stop')).frame)).toBe('briefing accepted');
    await h.sim.waitFor(() => human.heard.from('party:').length > 0, 5000);
    call.hangup();
  });

  it('nobody decides within briefingTimeoutSec: declined, the caller back with the AI', async () => {
    const h = await e2e.run({
      script: scripts([{ say: 300, toneHz: 880 }]),
      agent: handoff({ mode: 'agentic', whisper: SUMMARY, briefingTimeoutSec: 5 }),
    });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const briefing = await briefingSession(h);
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    await expectDeclined(h, back, call.sid);
    expect(
      back.transfer?.timeline.some((t) => t.event === 'timer.fired' && t.detail?.includes('briefing')),
    ).toBe(true);
    expect(stopReason((await briefing.waitFor((f) => f.event === 'stop')).frame)).toBe('briefing timeout');
    // The human heard the agent only; the caller heard the AI, hold, then the AI again, never the human.
    await h.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
    expect(sourcesHeard(human.heard.segments)).toEqual(['stream:']);
    expect(call.heard.from('party:')).toHaveLength(0);
    expect(human.activeLeg).toBeUndefined();
    call.hangup();
  });

  it('the caller hangs up during the briefing: every leg ends, the briefing socket gets stop', async () => {
    const h = await e2e.run({ script: scripts([{ say: 300, toneHz: 880 }]), agent: AGENTIC });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const briefing = await briefingSession(h);
    await briefing.waitFor((f) => f.event === 'media');
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended', 20_000);
    expect(ended.endedReason).toBe('caller_hangup');
    expect(ended.transfers[0]?.outcome).toBe('caller_hangup');
    expect(stopReason((await briefing.waitFor((f) => f.event === 'stop')).frame)).toBe(
      'briefing caller_hangup',
    );
    await briefing.finished;
    await h.sim.waitFor(() => human.activeLeg === undefined, 5000);
    expect(human.heard.from('party:')).toHaveLength(0);
    const main = await h.agent!.session(0);
    await main.finished;
  });

  it('the human hangs up during the briefing: human_hangup, the socket told, the caller back', async () => {
    const h = await e2e.run({ script: scripts([{ say: 300, toneHz: 880 }]), agent: AGENTIC });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const briefing = await briefingSession(h);
    await briefing.waitFor((f) => f.event === 'media');
    human.hangup();
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    expect(back.transfers[0]?.outcome).toBe('human_hangup');
    expect(stopReason((await briefing.waitFor((f) => f.event === 'stop')).frame)).toBe(
      'briefing human_hangup',
    );
    const main = await h.agent!.session(0);
    expect((await main.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('human_hangup');
    // The caller never heard the human nor the briefing: back with the AI after hold.
    await h.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
    expect(call.heard.from('party:')).toHaveLength(0);
    expect(human.heard.from('party:')).toHaveLength(0);
    call.hangup();
  });

  it('the briefing socket fails: the human hears the static whisper and joins; the timeline says so', async () => {
    const h = await e2e.run({
      script: scripts([{ say: 200, toneHz: 880 }, { close: 'abrupt' }]),
      agent: AGENTIC,
    });
    const human = h.sim.network.addHuman(HUMAN, TALKS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 30_000);
    expect(connected.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    const failed = connected.transfer?.timeline.find((t) => t.event === 'briefing.failed');
    expect(failed?.detail).toContain('fallback=whisper');
    await h.sim.waitFor(() => human.heard.from('party:').length > 0, 5000);
    expect(human.heard.first('say')?.text).toBe(SUMMARY);
    expect(human.heard.first('say')!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toHaveLength(0);
    call.hangup();
  });
});

/** Declined (one destination): the caller is back with the AI, which is told `declined`. */
async function expectDeclined(h: Harness, back: CallRecord, callId: string): Promise<void> {
  expect(back.transfers[0]).toMatchObject({ mode: 'agentic', outcome: 'declined' });
  expect(back.phase).toBe('ai');
  expect(back.transfer?.timeline.map((t) => t.state)).not.toContain('connected');
  const main = await h.agent!.session(0);
  expect((await main.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('declined');
  await waitForRecord(h, callId, (r) => r.phase === 'ai');
}
