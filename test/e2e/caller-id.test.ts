import { describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '../ops/prom-text.js';
import { ANSWERS, handoff, useE2e, warm } from './fixture.js';
import { CALLER, exotelNumber, type Harness, INBOUND, waitForRecord } from './harness.js';

/**
 * The caller ID each carrier accepts on the first try. Twilio (and its simulator) refuses a
 * `From` that is not one of the account's numbers on a REST-created call (21210), but lets
 * `<Dial callerId>` show the caller's own number; Exotel dials only from an ExoPhone. On
 * virtual time: the whispers and rings cost no wall time.
 */

const HUMAN = '+14155550111';

function restCreates(h: Harness) {
  return h.sim.log
    .ofType('rest.request')
    .filter((e) => e.method === 'POST' && e.path.endsWith('/Calls.json'));
}

async function fallbacks(h: Harness): Promise<number> {
  return sampleValue(parsePrometheus(await h.app.metrics.text()), 'patchthrough_caller_id_fallbacks_total', {
    carrier: 'twilio',
  });
}

describe('caller ID on twilio', () => {
  const e2e = useE2e('twilio', { virtualTime: true });

  it("warm with callerId 'caller': the human's REST leg comes from the number the call reached, first try", async () => {
    const h = await e2e.run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('A caller for you.'),
    });
    h.sim.network.addHuman(HUMAN, ANSWERS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    const creates = restCreates(h);
    expect(creates.map((c) => [c.status, c.params['From']])).toEqual([[201, INBOUND]]);
    expect(connected.timeline.map((t) => t.event)).toContain('transfer.caller_id');
    expect(connected.timeline.map((t) => t.event)).not.toContain('caller_id.fallback');
    expect(await fallbacks(h)).toBe(0);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });

  it("cold with callerId 'caller': <Dial callerId> shows the caller's own number", async () => {
    const h = await e2e.run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
    });
    h.sim.network.addHuman(HUMAN, ANSWERS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    const dial = h.sim.log.ofType('markup.verb').find((v) => v.verb === 'Dial');
    expect(dial?.attributes['callerId']).toBe(CALLER);
    expect(connected.timeline.map((t) => t.event)).not.toContain('transfer.caller_id');
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });

  it('a configured caller ID the account does not own: refused (21210), placed again, on the timeline and counted', async () => {
    const h = await e2e.run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: warm('A caller for you.', { callerId: '+14155550177' }),
    });
    h.sim.network.addHuman(HUMAN, ANSWERS);
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    expect(restCreates(h).map((c) => [c.status, c.params['From']])).toEqual([
      [400, '+14155550177'],
      [201, INBOUND],
    ]);
    const note = connected.timeline.find((t) => t.event === 'caller_id.fallback');
    expect(note?.detail).toContain('21210');
    expect(await fallbacks(h)).toBe(1);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });
});

describe('caller ID on exotel', () => {
  const e2e = useE2e('exotel', { virtualTime: true });

  it("Programmable Connect gets the ExoPhone as outgoing_phone_number, never the caller's number", async () => {
    const h = await e2e.run({
      script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: handoff({ warm: true, whisper: 'A caller for you.' }),
    });
    h.sim.exotel.configureNumber(INBOUND, exotelNumber(h.publicUrl, { programmable: true }));
    const human = h.sim.network.addHuman(HUMAN, ANSWERS);
    const call = await e2e.placeCall(h);
    await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    const answer = h.sim.log
      .ofType('webhook.sent')
      .find((e) => e.kind === 'dial-whom' && (e.body ?? '').startsWith('{'));
    expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({ outgoing_phone_number: INBOUND });
    expect(human.legs[0]?.from).toBe(INBOUND);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });
});
