import { describe, expect, it } from 'vitest';
import { ANSWERS, transferEvents, useE2e, warm } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';

/**
 * The transfer behaviours of the Twilio contract, end to end: the daemon on a private real
 * Redis, the Twilio simulator speaking the real wire formats, a scripted agent. Each case
 * asserts the outcome, `endedReason`, the timeline and what each party heard. The scenarios every
 * carrier shares (nobody answers, the caller hangs up while a cold dial rings, a refused
 * destination…) are rows of matrix.test.ts; this file keeps what only Twilio shows or only it runs.
 * The cases that mostly wait on the whisper and the ring timeouts run on virtual time and the
 * memory store, the same checks without the wall time.
 */

describe('twilio transfers end to end (Redis)', () => {
  const { run, placeCall } = useE2e('twilio');

  it('cold, answered: the caller reaches the human, the AI steps out, endedReason transferred', async () => {
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
    // Ringback while the human's phone rings, never hold audio (cold).
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'ringback', 'party:']);
    expect(sourcesHeard(human.heard.segments)).toEqual(['party:']);
    // The agent was told, then left with a `stop`.
    const session = await hh.agent!.session(0);
    await session.finished;
    expect(session.frames('transfer_status').map((f) => f.frame['status'])).toEqual(
      expect.arrayContaining(['started', 'dialing', 'connected']),
    );
    expect(session.frames('stop')).toHaveLength(1);
    // The handoff sentence played out before the dial: the human's leg starts after the AI's last frame.
    const lastAi = call.heard.last('stream:');
    const firstHuman = call.heard.first('party:');
    expect(lastAi!.endMs).toBeLessThanOrEqual(firstHuman!.startMs);
  });

  it('warm with a static whisper: hold for the caller, whisper for the human only, then joined', async () => {
    const hh = await run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Incoming refund request, please assist.'),
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 500,
      speak: { type: 'tone', hz: 660, durationMs: 20_000 },
    });
    const call = await placeCall(hh);
    const connected = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    await hh.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
    expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    expect(transferEvents(ended)).toEqual(
      expect.arrayContaining(['handoff.played', 'caller.held', 'leg.answered', 'human.joined']),
    );
    const whisper = human.heard.first('say');
    expect(whisper?.text).toBe('Incoming refund request, please assist.');
    // The human heard the whisper before the caller; the caller never heard it.
    expect(whisper!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toHaveLength(0);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
  });

  it('the caller hangs up while the human rings: the human leg is canceled (warm)', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('Caller waiting.'),
    });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => human.activeLeg?.state === 'ringing', 8000);
    call.hangup();
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
    expect(ended.transfers[0]?.outcome).toBe('caller_hangup');
    await hh.sim.waitFor(() => human.legs.every((l) => l.state === 'ended'), 5000);
    expect(human.heard.from('say')).toHaveLength(0);
  });

  it('a carrier error on every dial returns the caller to the AI with carrier_error', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 300 }],
      agent: warm('Caller waiting.'),
    });
    hh.sim.network.addHuman('+14155550111', ANSWERS);
    // Twilio answers every Calls create with a 500: the retries run out and the leg fails.
    hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: /\/Calls\.json$/,
      status: 500,
      times: Number.POSITIVE_INFINITY,
    });
    const call = await placeCall(hh);
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 15_000);
    expect(back.transfers[0]?.outcome).toBe('carrier_error');
    expect(back.phase).toBe('ai');
    const session = await hh.agent!.session(0);
    expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('carrier_error');
    await hh.sim.waitFor(() => call.heard.from('stream:').length >= 1 && call.state !== 'ended', 5000);
    call.hangup();
    expect((await waitForRecord(hh, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
  });

  it('the human hangs up during the whisper: back to the AI with human_hangup', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 200 }],
      agent: warm('A caller needs help with a refund for order 1234 placed last week.'),
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 200,
      hangupDuringWhisper: true,
    });
    const call = await placeCall(hh);
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 15_000);
    expect(back.transfers[0]?.outcome).toBe('human_hangup');
    expect(back.phase).toBe('ai');
    expect(human.heard.from('say').length).toBeGreaterThan(0);
    const session = await hh.agent!.session(0);
    expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('human_hangup');
    await hh.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
    expect(call.heard.from('party:')).toHaveLength(0);
    call.hangup();
  });

  it('connect_to_live_agent tool call transfers to the default destination and answers the tool call', async () => {
    const hh = await run({
      script: [{ say: 200 }, { toolCall: { name: 'connect_to_live_agent', id: 'tc1' } }, { say: 200 }],
    });
    const human = hh.sim.network.addHuman('+14155550133', ANSWERS);
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(human.legs).toHaveLength(1);
    const session = await hh.agent!.session(0);
    const result = await session.waitFor((f) => f.event === 'tool_result');
    expect(result.frame).toMatchObject({ id: 'tc1', ok: true });
    call.hangup();
  });

  it('the agent closing normally ends the call as agent_hangup', async () => {
    const hh = await run({ script: [{ say: 300 }, { close: 'normal' }] });
    const call = await placeCall(hh);
    const ended = await waitForRecord(hh, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
    await hh.sim.waitFor(() => call.state === 'ended', 5000);
  });

  it('GET /v1/calls/{id} returns the record with its timeline to a key with calls:read', async () => {
    const hh = await run({ script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }] });
    hh.sim.network.addHuman('+14155550111', ANSWERS);
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    const ok = await fetch(`${hh.publicUrl}/v1/calls/${call.sid}`, {
      headers: { authorization: 'Bearer e2e-reader-key-0123456789' },
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ callId: call.sid, phase: 'human', transfers: [{ outcome: 'connected' }] });
    expect((await fetch(`${hh.publicUrl}/v1/calls/${call.sid}`)).status).toBe(401);
    call.hangup();
  });
});

describe('twilio transfers end to end (virtual time)', () => {
  const { run, placeCall } = useE2e('twilio', { virtualTime: true });

  it('warm with the agent summary as the whisper', async () => {
    const hh = await run({
      script: [{ say: 200 }, { text: ['Connecting you [TRANSFER:+14155550111]'] }, { say: 200 }],
      summary: 'Caller Dana asks about a double charge on invoice 1234.',
      agent: warm(null),
    });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'answer', afterMs: 300 });
    const call = await placeCall(hh);
    const rec = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(rec.transfer?.flags.summaryText).toBe('Caller Dana asks about a double charge on invoice 1234.');
    expect(human.heard.first('say')?.text).toBe('Caller Dana asks about a double charge on invoice 1234.');
    const session = await hh.agent!.session(0);
    expect(session.frames('summary_request')).toHaveLength(1);
    call.hangup();
  });

  it('warm with a silent agent: the template whisper is used after the bounded wait', async () => {
    const hh = await run({
      script: [
        { say: 200 },
        { transfer: { rule: 'Billing', reason: 'caller asks about a refund' } },
        { say: 200 },
      ],
      summary: null,
      agent: warm(null, { summaryTimeoutMs: 500 }),
    });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'answer', afterMs: 200 });
    const call = await placeCall(hh);
    await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    const text = human.heard.first('say')?.text ?? '';
    expect(text).toContain('refund');
    call.hangup();
  });

  it("the agent's transfer event may choose warm and bring its own summary as the whisper", async () => {
    const hh = await run({
      script: [
        { say: 200 },
        {
          transfer: {
            rule: 'Spanish line',
            mode: 'warm',
            summary: 'Caller prefers Spanish; asking about delivery.',
          },
        },
        { say: 200 },
      ],
      summary: null,
    });
    const human = hh.sim.network.addHuman('+14155550122', { type: 'answer', afterMs: 300 });
    const call = await placeCall(hh);
    const record = await waitForRecord(hh, call.sid, (r) => r.phase === 'human', 15_000);
    expect(record.transfers[0]).toMatchObject({ mode: 'warm', trigger: 'rule', outcome: 'connected' });
    expect(human.heard.first('say')?.text).toBe('Caller prefers Spanish; asking about delivery.');
    const session = await hh.agent!.session(0);
    expect(session.frames('summary_request')).toHaveLength(0);
    call.hangup();
  });

  it("warm with 15 s configured: the human's phone stops ringing by 15 s, though Twilio adds up to 5 s to a REST call's Timeout", async () => {
    const hh = await run({
      script: (start) =>
        start.resumed ? [] : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }],
      agent: warm('Caller waiting.', { ringTimeoutSec: 15 }),
    });
    const human = hh.sim.network.addHuman('+14155550111', { type: 'no-answer' });
    const call = await placeCall(hh);
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 30_000);
    expect(back.transfers[0]?.outcome).toBe('no_answer');
    const leg = human.legs[0];
    await leg?.ended;
    // The simulator's record of the human's phone (its clock): it rang no longer than configured,
    // beyond timer scheduling; Twilio's own timeout ended it (SIP 487 from the network), with the
    // daemon's backstop still to come.
    expect(leg?.end?.by).toBe('network');
    expect((leg?.end?.atMs ?? 0) - (leg?.createdAtMs ?? 0)).toBeLessThanOrEqual(15_000 + 500);
    call.hangup();
  });

  it('warm, a human who answers after our ring timeout while Twilio still rings them is refused before any audio', async () => {
    const hh = await run({
      script: (start) =>
        start.resumed ? [] : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }],
      agent: warm('Caller waiting.', { ringTimeoutSec: 5 }),
      // A carrier whose timer runs far past the Timeout it was given.
      simulator: { twilio: { ringTimeoutBufferMs: 30_000 } },
    });
    const human = hh.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 12_000,
      speak: { type: 'tone', hz: 660 },
    });
    const call = await placeCall(hh);
    await hh.sim.waitFor(() => human.activeLeg?.state === 'ringing', 8000);
    // Our hang-up of the ringing leg is lost, so the phone still rings when the human picks up.
    hh.sim.faults.add({
      type: 'rest.error',
      method: 'POST',
      path: `/Calls/${human.activeLeg?.label}.json`,
      status: 500,
      times: 50,
    });
    const back = await waitForRecord(hh, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    await human.legs[0]?.ended;
    const session = await hh.agent!.session(0);
    // What the parties heard and what the record and the agent were told tell one story.
    expect(back.transfers[0]?.outcome).toBe('no_answer');
    expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('no_answer');
    expect(human.legs[0]?.answeredAtMs).toBeDefined();
    expect(human.heard.from('say')).toHaveLength(0);
    expect(human.heard.from('party:')).toHaveLength(0);
    expect(call.heard.from('party:')).toHaveLength(0);
    call.hangup();
  });
});
