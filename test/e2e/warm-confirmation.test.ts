import { describe, expect, it } from 'vitest';
import type { HookMatch } from '../../sim/faults.js';
import type { SimLogEntry } from '../../sim/log.js';
import { transferEvents, useE2e, warm } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';

/**
 * A warm transfer is `connected` only when the carrier itself reported both the caller and the
 * human in the conference (Twilio `participant-join`, Plivo `<Conference callbackUrl>` enter).
 * A human who hangs up during the whisper, whose hang-up callback comes late, never joins: the
 * record must not say connected, and the caller goes back to the AI. On virtual time: the
 * whisper, the rings and the late callbacks cost no wall time.
 */

interface Room {
  /** The simulator's own log entry of a participant entering the room. */
  readonly joinedEntry: (e: SimLogEntry) => boolean;
  /** The conference callback reporting `callSid` entering the room. */
  readonly joinCallback: (callSid: string) => HookMatch;
}

const ROOMS: Readonly<Record<'twilio' | 'plivo', Room>> = {
  twilio: {
    joinedEntry: (e) => e.type === 'conference.event' && e.event === 'participant-join',
    joinCallback: (callSid) => ({ kind: 'conference', event: 'participant-join', callSid }),
  },
  plivo: {
    joinedEntry: (e) => e.type === 'conference.event' && e.event === 'member.enter',
    joinCallback: (callSid) => ({ kind: 'conference', event: 'enter', callSid }),
  },
};

describe.each(['twilio', 'plivo'] as const)(
  '%s: warm transfer confirmed by the conference (virtual time)',
  (carrier) => {
    const e2e = useE2e(carrier, { virtualTime: true });
    const room = ROOMS[carrier];

    it('the human hangs up during the whisper, the hang-up callback late: never connected, the caller back to the AI', async () => {
      const h = await e2e.run({
        script: (start) =>
          start.resumed
            ? []
            : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 300 }],
        // 18 characters: the whisper is given 4.8 s before the machine takes it as played.
        agent: warm('Caller needs help.'),
      });
      const human = h.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 200,
        hangupDuringWhisper: true,
      });
      // The human's hang-up reaches the daemon 6 s late: after the whisper's bound, before the join's.
      const late = h.sim.faults.add({
        type: 'callback.delay',
        match: { kind: 'status', event: 'completed', url: 'legId=' },
        delayMs: 6_000,
      });
      const call = await e2e.placeCall(h);
      const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
      expect(late.hits).toBe(1);
      expect(back.transfers[0]?.outcome).toBe('human_hangup');
      expect(back.phase).toBe('ai');
      expect(back.transfer?.timeline.map((t) => t.state)).not.toContain('connected');
      expect(transferEvents(back)).not.toContain('human.joined');
      // The human never entered the room; the caller did, alone.
      expect(h.sim.log.entries.filter(room.joinedEntry).map((e) => e.callSid)).toEqual([call.sid]);
      const session = await h.agent!.session(0);
      expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('human_hangup');
      expect(session.frames('transfer_status').map((f) => f.frame['status'])).not.toContain('connected');
      // The caller is back with the AI (a second stream), and never heard a human.
      await h.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
      expect(call.heard.from('party:')).toHaveLength(0);
      expect(human.heard.from('say').length).toBeGreaterThan(0);
      call.hangup();
      const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
      expect(ended.endedReason).toBe('caller_hangup');
    });

    it('the human leaves the room before the caller was reported there: never connected, the caller back to the AI', async () => {
      const h = await e2e.run({
        script: (start) =>
          start.resumed
            ? []
            : [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { awaitEvent: 'resume' }, { say: 300 }],
        agent: warm('Hi.'),
      });
      // The human picks up, hears the whisper, enters the room, and hangs up 3 s after answering.
      const human = h.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 200,
        hangupAfterMs: 3_000,
      });
      const call = await e2e.placeCall(h);
      // The room reports the caller's arrival only after the human is gone.
      const late = h.sim.faults.add({
        type: 'callback.delay',
        match: room.joinCallback(call.sid),
        delayMs: 8_000,
      });
      const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
      expect(late.hits).toBe(1);
      // The human really was in the room (the simulator's record) before leaving.
      const joined = h.sim.log.entries.filter(room.joinedEntry).map((e) => e.callSid);
      expect(joined).toContain(call.sid);
      expect(joined.filter((sid) => sid !== call.sid)).toHaveLength(1);
      expect(back.transfers[0]?.outcome).toBe('human_hangup');
      expect(back.phase).toBe('ai');
      expect(back.transfer?.timeline.map((t) => t.state)).not.toContain('connected');
      const session = await h.agent!.session(0);
      expect((await session.waitFor((f) => f.event === 'resume')).frame['outcome']).toBe('human_hangup');
      expect(session.frames('transfer_status').map((f) => f.frame['status'])).not.toContain('connected');
      await h.sim.waitFor(() => call.heard.from('stream:').length >= 2, 5000);
      expect(human.legs.every((l) => l.state === 'ended')).toBe(true);
      call.hangup();
      expect((await waitForRecord(h, call.sid, (r) => r.phase === 'ended')).endedReason).toBe(
        'caller_hangup',
      );
    });

    it("the room reports the caller before the carrier answers the daemon's redirect: connected all the same", async () => {
      const h = await e2e.run({
        script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
        agent: warm('Incoming refund request, please assist.'),
      });
      h.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 300,
        speak: { type: 'tone', hz: 660, durationMs: 20_000 },
      });
      const call = await e2e.placeCall(h);
      // The carrier acts on the redirect into the room at once and answers it 3 s later.
      const path = carrier === 'twilio' ? `/Calls/${call.sid}.json` : `/Call/${call.sid}/`;
      const slow = h.sim.faults.add({ type: 'rest.slow', method: 'POST', path, delayMs: 3_000 });
      const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
      expect(slow.hits).toBe(1);
      expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
      const callerJoined = h.sim.log.entries.find((e) => room.joinedEntry(e) && e.callSid === call.sid);
      const answered = () =>
        h.sim.log.ofType('rest.request').find((e) => e.method === 'POST' && e.path.endsWith(path));
      await h.sim.waitFor(() => answered() !== undefined, 5000);
      const redirect = answered();
      expect(callerJoined).toBeDefined();
      expect(callerJoined!.seq).toBeLessThan(redirect!.seq);
      call.hangup();
      expect((await waitForRecord(h, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('transferred');
    });

    it('the happy path is connected only after both are in the room, even when the caller is reported late', async () => {
      const h = await e2e.run({
        script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
        agent: warm('Incoming refund request, please assist.'),
      });
      const human = h.sim.network.addHuman('+14155550111', {
        type: 'answer',
        afterMs: 300,
        speak: { type: 'tone', hz: 660, durationMs: 20_000 },
      });
      const call = await e2e.placeCall(h);
      // The conference reports the caller's arrival 5 s late (Twilio and Plivo order nothing).
      const late = h.sim.faults.add({
        type: 'callback.delay',
        match: room.joinCallback(call.sid),
        delayMs: 5_000,
      });
      const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
      expect(late.hits).toBe(1);
      expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
      const connectedAt = connected.transfer?.endedAtMs ?? 0;
      // Per the simulator's own record both were in the room before the daemon said connected…
      const joins = h.sim.log.entries.filter(room.joinedEntry);
      expect(new Set(joins.map((e) => e.callSid)).size).toBe(2);
      for (const j of joins) expect(j.atMs).toBeLessThanOrEqual(connectedAt);
      // …and the daemon waited for the carrier's report of the caller, which left 5 s after it was held back.
      const heldBack = h.sim.log.ofType('fault.applied').find((e) => e.fault === 'callback.delay');
      expect(heldBack).toBeDefined();
      expect(connectedAt).toBeGreaterThanOrEqual((heldBack?.atMs ?? 0) + 5_000);
      expect(transferEvents(connected)).toEqual(
        expect.arrayContaining(['handoff.played', 'leg.answered', 'human.joined', 'caller.held']),
      );
      await h.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
      // The caller held with music: Twilio's default, or on Plivo (which has none) the daemon's own.
      expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
      expect(call.heard.from('say')).toHaveLength(0);
      expect(human.heard.first('say')?.text).toBe('Incoming refund request, please assist.');
      call.hangup();
      const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
      expect(ended.endedReason).toBe('transferred');
    });
  },
);
