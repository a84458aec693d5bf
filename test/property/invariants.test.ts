import { describe, expect, it } from 'vitest';
import {
  DEAD_AIR_BOUND_MS,
  LEG_STOP_BOUND_MS,
  OUTAGE_HELD_MS,
  OUTAGE_RECOVERY_MS,
  STREAM_DEAD_AIR_BOUND_MS,
} from './bounds.js';
import { checkInvariants, VIOLATION_KINDS, type ViolationKind } from './invariants.js';
import type { AgentFrameSeen, Observation } from './observation.js';

/**
 * Every invariant kind, each with a record that breaks it and one that keeps it: a check that
 * cannot fail proves nothing. The base record is a cold transfer that connected, as the
 * simulator and the agent would report it, and breaks no invariant at all.
 */

type Mut<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? Mut<U>[] : Mut<T[K]> };

const HUMAN = '+14155550111';
const OTHER = '+14155550112';

function media(from: number, to: number, atMs: number): AgentFrameSeen[] {
  const out: AgentFrameSeen[] = [];
  for (let f = from; f <= to; f++) out.push({ event: 'media', atMs: atMs + (f - from) * 20, frame: f });
  return out;
}

/** Cold, answered: the AI talks, the caller hears ringback, then the human, then hangs up. */
function base(): Mut<Observation> {
  const said = [];
  for (let i = 0; i < 400; i++) said.push({ atMs: 1000 + 20 * i, frame: i });
  return {
    label: 'unit',
    caller: {
      sid: 'CA1',
      answeredAtMs: 1000,
      end: { status: 'completed', by: 'endpoint', atMs: 9000 },
      heard: [
        { source: 'stream:MZ1', leg: 'CA1', startMs: 1100, endMs: 4000 },
        { source: 'ringback', leg: 'CA1', startMs: 4100, endMs: 5000 },
        { source: 'party:CH1', leg: 'CA1', startMs: 5000, endMs: 9000 },
      ],
      said,
      firstStreamFrame: 5,
    },
    humans: [
      {
        address: HUMAN,
        legs: [
          {
            sid: 'CH1',
            createdAtMs: 4100,
            answeredAtMs: 5000,
            end: { status: 'completed', by: 'network', atMs: 9010 },
          },
        ],
        heard: [{ source: 'party:CA1', leg: 'CH1', startMs: 5000, endMs: 9000 }],
      },
    ],
    rest: [
      {
        atMs: 4050,
        answeredAtMs: 4050,
        method: 'POST',
        path: '/2010-04-01/Accounts/AC1/Calls/CA1.json',
        status: 200,
      },
    ],
    callbacks: [
      { atMs: 9020, kind: 'status', callSid: 'CA1', status: 204 },
      { atMs: 9030, kind: 'status', callSid: 'CH1', status: 204 },
    ],
    agent: [
      {
        frames: [
          { event: 'start', atMs: 1050 },
          ...media(5, 150, 1100),
          { event: 'transfer_status', atMs: 4010, transferId: 't1', status: 'started' },
          {
            event: 'transfer_status',
            atMs: 4100,
            transferId: 't1',
            status: 'dialing',
            destination: '+*******0111',
          },
          {
            event: 'transfer_status',
            atMs: 4200,
            transferId: 't1',
            status: 'ringing',
            destination: '+*******0111',
          },
          { event: 'transfer_status', atMs: 5010, transferId: 't1', status: 'connected' },
          { event: 'stop', atMs: 5020 },
        ],
      },
    ],
    record: {
      phase: 'ended',
      endedReason: 'transferred',
      transfers: [{ transferId: 't1', startedAtMs: 4000, endedAtMs: 5005, outcome: 'connected' }],
    },
  };
}

/** The same call with the human busy: the caller back with the AI, then hanging up. */
function busy(): Mut<Observation> {
  const o = base();
  o.caller.heard = [
    { source: 'stream:MZ1', leg: 'CA1', startMs: 1100, endMs: 4000 },
    { source: 'ringback', leg: 'CA1', startMs: 4100, endMs: 4400 },
    { source: 'stream:MZ2', leg: 'CA1', startMs: 4900, endMs: 9000 },
  ];
  const human = o.humans[0]!;
  human.legs = [{ sid: 'CH1', createdAtMs: 4100, end: { status: 'busy', by: 'endpoint', atMs: 4400 } }];
  human.heard = [];
  const frames = o.agent[0]!.frames;
  frames.splice(frames.length - 2, 2, {
    event: 'transfer_status',
    atMs: 4450,
    transferId: 't1',
    status: 'failed',
  });
  frames.push({ event: 'resume', atMs: 4900, transferId: 't1', outcome: 'busy' });
  o.record = {
    phase: 'ended',
    endedReason: 'caller_hangup',
    transfers: [{ transferId: 't1', startedAtMs: 4000, endedAtMs: 4420, outcome: 'busy' }],
  };
  return o;
}

/**
 * A warm transfer whose caller hung up on hold at 9000 (told at 9020) while the human's phone
 * rang; the leg ended at `legEndMs`, by the carrier's ring timeout.
 */
function rangOn(legEndMs: number): Mut<Observation> {
  const o = busy();
  o.humans[0]!.legs = [
    { sid: 'CH1', createdAtMs: 4100, end: { status: 'no-answer', by: 'network', atMs: legEndMs } },
  ];
  o.record!.transfers = [{ transferId: 't1', startedAtMs: 4000, endedAtMs: 9025, outcome: 'caller_hangup' }];
  return o;
}

const kinds = (o: Observation): ViolationKind[] => checkInvariants(o).map((v) => v.kind);

describe('checkInvariants', () => {
  it('a cold transfer that connected, and one whose human was busy, break nothing', () => {
    expect(checkInvariants(base())).toEqual([]);
    expect(checkInvariants(busy())).toEqual([]);
  });

  it('every violation is one line', () => {
    const o = base();
    o.record = undefined;
    o.caller.end = undefined;
    for (const v of checkInvariants(o)) expect(v.message).not.toContain('\n');
  });

  const cases: Record<ViolationKind, { breaks: () => Observation; keeps: () => Observation }> = {
    outcome_count: {
      breaks: () => {
        const o = base();
        o.record!.transfers[0]!.outcome = undefined;
        return o;
      },
      keeps: () => busy(),
    },
    outcome_mismatch: {
      // The human never answered (busy), yet the record says connected.
      breaks: () => {
        const o = busy();
        o.record!.transfers[0]!.outcome = 'connected';
        o.record!.endedReason = 'transferred';
        return o;
      },
      keeps: () => base(),
    },
    ended_reason: {
      breaks: () => {
        const o = busy();
        // The carrier dropped the caller; the record blames the caller.
        o.caller.end = { status: 'completed', by: 'network', atMs: 9000 };
        return o;
      },
      keeps: () => busy(),
    },
    talk_after_failure: {
      breaks: () => {
        const o = base();
        const frames = o.agent[0]!.frames;
        frames.splice(frames.length - 2, 0, {
          event: 'transfer_status',
          atMs: 4600,
          transferId: 't1',
          status: 'failed',
        });
        return o;
      },
      keeps: () => base(),
    },
    connected_alone: {
      breaks: () => {
        const o = base();
        // The human was heard only long after "connected" (e.g. the bridge came late).
        o.caller.heard[2] = { source: 'party:CH1', leg: 'CA1', startMs: 7000, endMs: 9000 };
        o.caller.heard.splice(2, 0, { source: 'hold', leg: 'CA1', startMs: 5000, endMs: 7000 });
        return o;
      },
      keeps: () => base(),
    },
    rest_after_end: {
      breaks: () => {
        const o = base();
        o.rest.push({
          atMs: 9700,
          answeredAtMs: 9700,
          method: 'POST',
          path: '/2010-04-01/Accounts/AC1/Calls/CH1.json',
          status: 404,
        });
        return o;
      },
      keeps: () => {
        const o = base();
        // Sent before the daemon could know (the end's callback came later): a race, not a defect.
        o.rest.push({
          atMs: 9015,
          answeredAtMs: 9015,
          method: 'POST',
          path: '/2010-04-01/Accounts/AC1/Calls/CH1.json',
          status: 404,
        });
        // Sent as the end's callback arrived, answered much later (a slow carrier answer): what
        // counts is when the daemon sent it (seed 0x126).
        o.rest.push({
          atMs: 9010,
          answeredAtMs: 10_600,
          method: 'POST',
          path: '/2010-04-01/Accounts/AC1/Calls/CH1.json',
          status: 200,
        });
        return o;
      },
    },
    rung_twice: {
      breaks: () => {
        const o = busy();
        o.humans[0]!.legs.push({
          sid: 'CH2',
          createdAtMs: 4410,
          end: { status: 'busy', by: 'endpoint', atMs: 4415 },
        });
        return o;
      },
      keeps: () => {
        const o = busy();
        // A second attempt may ring the same number again.
        o.record!.transfers.push({ transferId: 't2', startedAtMs: 6000, endedAtMs: 6500, outcome: 'busy' });
        o.humans[0]!.legs.push({
          sid: 'CH2',
          createdAtMs: 6100,
          end: { status: 'busy', by: 'endpoint', atMs: 6400 },
        });
        o.agent[0]!.frames.push(
          { event: 'transfer_status', atMs: 6010, transferId: 't2', status: 'started' },
          { event: 'transfer_status', atMs: 6450, transferId: 't2', status: 'failed' },
          { event: 'resume', atMs: 6460, transferId: 't2', outcome: 'busy' },
        );
        return o;
      },
    },
    leg_not_ended: {
      breaks: () => {
        const o = busy();
        o.humans[0]!.legs[0]!.end = undefined;
        return o;
      },
      keeps: () => busy(),
    },
    leg_rang_on: {
      // The caller hung up while the human's phone rang; the transfer ended `caller_hangup` then,
      // and the phone rang on to the carrier's ring timeout.
      breaks: () => rangOn(30_000),
      keeps: () => rangOn(9020 + LEG_STOP_BOUND_MS),
    },
    status_backwards: {
      breaks: () => {
        const o = base();
        const frames = o.agent[0]!.frames;
        frames.splice(frames.length - 2, 0, {
          event: 'transfer_status',
          atMs: 4300,
          transferId: 't1',
          status: 'dialing',
          destination: '+*******0111',
        });
        return o;
      },
      keeps: () => {
        const o = base();
        // A chain: the first number busy, then the second's leg from dialing again.
        const frames: AgentFrameSeen[] = o.agent[0]!.frames.filter((f) => f.event !== 'transfer_status');
        const status = (atMs: number, value: string, destination?: string): AgentFrameSeen =>
          destination === undefined
            ? { event: 'transfer_status', atMs, transferId: 't1', status: value }
            : { event: 'transfer_status', atMs, transferId: 't1', status: value, destination };
        frames.splice(
          frames.length - 1,
          0,
          status(4010, 'started'),
          status(4020, 'dialing', '+*******0112'),
          status(4030, 'ringing', '+*******0112'),
          status(4100, 'dialing', '+*******0111'),
          status(4200, 'ringing', '+*******0111'),
          status(5010, 'connected'),
        );
        o.humans.push({
          address: OTHER,
          legs: [{ sid: 'CH0', createdAtMs: 4020, end: { status: 'busy', by: 'endpoint', atMs: 4080 } }],
          heard: [],
        });
        const chain: Observation = { ...o, agent: [{ frames }] };
        expect(checkInvariants(chain)).toEqual([]);
        return chain;
      },
    },
    audio_lost: {
      breaks: () => {
        const o = base();
        const frames = o.agent[0]!.frames;
        frames.splice(
          frames.findIndex((f) => f.event === 'media' && f.frame === 60),
          1,
        );
        return o;
      },
      keeps: () => {
        const o = base();
        // Frames said in the last TRANSIT_MS before the transfer may still be on their way.
        const frames = o.agent[0]!.frames;
        frames.splice(
          frames.findIndex((f) => f.event === 'media' && f.frame === 140),
          11,
        );
        return o;
      },
    },
    dead_air: {
      breaks: () => {
        const o = busy();
        // Back from the failed transfer, the AI is heard only 7 s later.
        o.caller.heard[2] = {
          source: 'stream:MZ2',
          leg: 'CA1',
          startMs: 4400 + DEAD_AIR_BOUND_MS + 100,
          endMs: 9000,
        };
        o.caller.end = { status: 'completed', by: 'endpoint', atMs: 9000 + DEAD_AIR_BOUND_MS };
        o.caller.heard[2].endMs = 9000 + DEAD_AIR_BOUND_MS;
        return o;
      },
      keeps: () => busy(),
    },
    briefing_leak: {
      // A briefing socket that got frame 200 of the caller's audio; one that got only the human's.
      breaks: () => {
        const o = base();
        o.agent.push({
          role: 'briefing',
          frames: [{ event: 'start', atMs: 5000 }, ...media(200, 201, 5100)],
        });
        return o;
      },
      keeps: () => {
        const o = base();
        o.agent.push({
          role: 'briefing',
          frames: [
            { event: 'start', atMs: 5000 },
            { event: 'media', atMs: 5100, frame: -1 },
          ],
        });
        return o;
      },
    },
  };

  it.each(VIOLATION_KINDS)('%s: a record that breaks it is caught, one that keeps it is not', (kind) => {
    const c = cases[kind];
    expect(kinds(c.breaks())).toContain(kind);
    expect(kinds(c.keeps())).not.toContain(kind);
  });

  it("leg_rang_on: counted from the transfer's end when the caller stayed, from the first news of the caller's end otherwise", () => {
    // The transfer ended (the agent cancelled it) at 6000 with the caller still on; the phone rang on.
    const o = rangOn(6000 + LEG_STOP_BOUND_MS + 1);
    o.record!.transfers = [{ transferId: 't1', startedAtMs: 4000, endedAtMs: 6000, outcome: 'cancelled' }];
    expect(kinds(o)).toContain('leg_rang_on');
    // The caller's end reached the daemon late (its callback at 12 000): counted from then.
    const late = rangOn(12_000 + LEG_STOP_BOUND_MS);
    late.record!.transfers = [{ transferId: 't1', startedAtMs: 4000, outcome: 'caller_hangup' }];
    late.callbacks = [{ atMs: 12_000, kind: 'status', callSid: 'CA1', status: 204 }];
    expect(kinds(late)).not.toContain('leg_rang_on');
    // A leg the human answered is not a ringing phone (talk_after_failure judges what follows).
    const answered = rangOn(30_000);
    answered.humans[0]!.legs = [{ ...answered.humans[0]!.legs[0]!, answeredAtMs: 9500 }];
    expect(kinds(answered)).not.toContain('leg_rang_on');
  });

  it('audio: frames said while the carrier had no stream open are not owed; the same hole with the stream open is', () => {
    const o = base();
    const frames = o.agent[0]!.frames;
    // Frames #60..#69 (said 2200..2380 ms) never reached the agent.
    frames.splice(
      frames.findIndex((f) => f.event === 'media' && f.frame === 60),
      10,
    );
    expect(kinds(o)).toContain('audio_lost');
    // The carrier's socket dropped at 2200 ms and its next stream started at 2400 ms.
    const dropped: Observation = {
      ...o,
      caller: {
        ...o.caller,
        streams: [
          { fromMs: 900, toMs: 2200 },
          { fromMs: 2400, toMs: 9000 },
        ],
      },
    };
    expect(kinds(dropped)).not.toContain('audio_lost');
    // A stream open all along: the same hole is the daemon's.
    const open: Observation = { ...o, caller: { ...o.caller, streams: [{ fromMs: 900, toMs: 9000 }] } };
    expect(kinds(open)).toContain('audio_lost');
  });

  it('audio: frames on their way to an agent socket that dropped without a close frame are not owed; older ones and later ones are (real-time sweep seed 0x2f59)', () => {
    const o = base();
    const rest = o.agent[0]!.frames.filter((f) => f.event !== 'media' && f.event !== 'start');
    // The agent's first socket got #5..#59 (said up to 2180 ms) and was dropped at 2250 ms; its
    // second, opened at 2600 ms, got the frames held meanwhile from `from` on.
    const dropped = (from: number, closeCode = 1006): Observation => ({
      ...o,
      agent: [
        { frames: [{ event: 'start', atMs: 1050 }, ...media(5, 59, 1100)], closeCode, closedAtMs: 2250 },
        { frames: [{ event: 'start', atMs: 2600 }, ...media(from, 149, 2600), ...rest] },
      ],
    });
    // #60..#62 (said 2200..2240 ms) were written to the dying socket: not owed.
    expect(kinds(dropped(63))).not.toContain('audio_lost');
    // #63 was said after the drop: the daemon held it for the next socket.
    expect(kinds(dropped(64))).toContain('audio_lost');
    // A socket closed with a close frame lost nothing it was sent.
    expect(kinds(dropped(63, 1000))).toContain('audio_lost');
    // Frames said more than TRANSIT_MS before the drop were owed to the first socket.
    const early: Observation = {
      ...o,
      agent: [
        {
          frames: [{ event: 'start', atMs: 1050 }, ...media(5, 49, 1100)],
          closeCode: 1006,
          closedAtMs: 2300,
        },
        { frames: [{ event: 'start', atMs: 2600 }, ...media(53, 149, 2600), ...rest] },
      ],
    };
    expect(kinds(early)).toContain('audio_lost');
  });

  it('outcome mismatch: busy, no answer and the like need a human the carrier called (property seed 0x3a3e)', () => {
    const o = busy();
    expect(kinds(o)).not.toContain('outcome_mismatch');
    // The dial never went: the record said no_answer with nobody called.
    const nobody: Observation = { ...o, humans: [{ ...o.humans[0]!, legs: [], heard: [] }] };
    expect(kinds(nobody)).toContain('outcome_mismatch');
    // A dial the carrier refused before calling anybody may fail: that says nothing of a human.
    const refused: Observation = {
      ...nobody,
      record: {
        ...nobody.record!,
        transfers: nobody.record!.transfers.map((t) => ({ ...t, outcome: 'failed' })),
      },
    };
    expect(kinds(refused)).not.toContain('outcome_mismatch');
  });

  it('outcome count: told once per socket — again on a socket opened after its worker died, never twice on one, never differently', () => {
    const o = busy();
    const first = o.agent[0]!;
    // The first socket died before hearing the end; the next one heard it with the resume.
    const untold: Observation = {
      ...o,
      agent: [
        { frames: first.frames.filter((f) => f.event !== 'transfer_status' && f.event !== 'resume') },
        {
          frames: [
            { event: 'start', atMs: 4800 },
            { event: 'transfer_status', atMs: 4900, transferId: 't1', status: 'failed' },
            { event: 'resume', atMs: 4900, transferId: 't1', outcome: 'busy' },
          ],
        },
      ],
    };
    expect(kinds(untold)).not.toContain('outcome_count');
    // Told on both sockets: allowed (each socket is told once).
    const both: Observation = {
      ...untold,
      agent: [
        first,
        { frames: [{ event: 'transfer_status', atMs: 4900, transferId: 't1', status: 'failed' }] },
      ],
    };
    expect(kinds(both)).not.toContain('outcome_count');
    // The same end again on the later socket keeps the statuses moving forward.
    expect(kinds(both)).not.toContain('status_backwards');
    // Twice on one socket, or differently on two: not.
    const twice: Observation = {
      ...o,
      agent: [
        {
          frames: [
            ...first.frames,
            { event: 'transfer_status', atMs: 5000, transferId: 't1', status: 'failed' },
          ],
        },
      ],
    };
    expect(kinds(twice)).toContain('outcome_count');
    expect(kinds(twice)).toContain('status_backwards');
    const differently: Observation = {
      ...untold,
      agent: [
        first,
        { frames: [{ event: 'transfer_status', atMs: 4900, transferId: 't1', status: 'connected' }] },
      ],
    };
    expect(kinds(differently)).toContain('outcome_count');
    // Never told at all: not.
    expect(kinds({ ...untold, agent: [untold.agent[0]!] })).toContain('outcome_count');
    // Unless nobody could be told: the only socket dropped before the transfer ended (4420).
    expect(kinds({ ...untold, agent: [{ ...untold.agent[0]!, closedAtMs: 4300 }] })).not.toContain(
      'outcome_count',
    );
    expect(kinds({ ...untold, agent: [{ ...untold.agent[0]!, closedAtMs: 4500 }] })).toContain(
      'outcome_count',
    );
    // (soak) A socket whose worker was killed before the end is gone at the kill, though the agent
    // saw it close after the end (seed 40040); an outage after the end changes nothing.
    const closedLate = { ...untold, agent: [{ ...untold.agent[0]!, closedAtMs: 4500 }] };
    expect(kinds({ ...closedLate, outages: [{ fromMs: 4400, toMs: 6000 }] })).not.toContain('outcome_count');
    expect(kinds({ ...closedLate, outages: [{ fromMs: 4450, toMs: 6000 }] })).toContain('outcome_count');
  });

  it("outcome count: a refused request told on its call's `.refused` id is one of the record's refusals (soak seed 31541)", () => {
    const o = busy();
    const refusedTold = {
      event: 'transfer_status',
      atMs: 4200,
      transferId: 'CA1.refused',
      status: 'failed',
    } as const;
    o.agent[0]!.frames.push(refusedTold);
    // Not listed anywhere: an outcome the record does not know.
    expect(kinds(o)).toContain('outcome_count');
    o.record!.refusals = 1;
    expect(kinds(o)).not.toContain('outcome_count');
  });

  it('outages (soak): frames held in a worker that died are not owed; a hole far from the outage is', () => {
    const o = base();
    const frames = o.agent[0]!.frames;
    // Frames #60..#69 (said 2200..2380 ms) never reached the agent; the stream stayed open.
    frames.splice(
      frames.findIndex((f) => f.event === 'media' && f.frame === 60),
      10,
    );
    const killedAt = (atMs: number): Observation => ({ ...o, outages: [{ fromMs: atMs, toMs: atMs + 800 }] });
    // The worker holding the call was killed at 2500 ms: those frames were inside it.
    expect(kinds(killedAt(2500))).not.toContain('audio_lost');
    // Killed long after they were said (more than OUTAGE_HELD_MS): the hole is the daemon's.
    expect(kinds(killedAt(2380 + OUTAGE_HELD_MS + 100))).toContain('audio_lost');
  });

  it('outages (soak): a silence with an outage in it may last the recovery too, and no longer', () => {
    const silentFor = (ms: number, outage: boolean): Observation => {
      const o = busy();
      o.caller.heard[2] = { source: 'stream:MZ2', leg: 'CA1', startMs: 4400 + ms, endMs: 4400 + ms + 1000 };
      o.caller.end = { status: 'completed', by: 'endpoint', atMs: 4400 + ms + 1000 };
      return outage ? { ...o, outages: [{ fromMs: 4500, toMs: 6000 }] } : o;
    };
    const longer = DEAD_AIR_BOUND_MS + 2000;
    expect(kinds(silentFor(longer, false))).toContain('dead_air');
    expect(kinds(silentFor(longer, true))).not.toContain('dead_air');
    expect(kinds(silentFor(DEAD_AIR_BOUND_MS + OUTAGE_RECOVERY_MS + 100, true))).toContain('dead_air');
    // An AI quiet by the scenario's design (the silence trigger) adds its quiet, and no more.
    expect(kinds({ ...silentFor(longer, false), quietByDesignMs: 2000 })).not.toContain('dead_air');
    expect(kinds({ ...silentFor(longer + 100, false), quietByDesignMs: 2000 })).toContain('dead_air');
  });

  it("dead air on the daemon's stream: a silence with the caller's stream open is the daemon's, bounded by the wait audio", () => {
    // Back from the busy human: a second stream opens at 4 700 and the caller hears it from `at`.
    const backAt = (at: number, streamFrom = 4700): Observation => {
      const o = busy();
      o.caller.heard[2] = { source: 'stream:MZ2', leg: 'CA1', startMs: at, endMs: 9000 };
      return {
        ...o,
        caller: {
          ...o.caller,
          streams: [
            { fromMs: 1000, toMs: 4050 },
            { fromMs: streamFrom, toMs: 9000 },
          ],
        },
      };
    };
    expect(kinds(backAt(4700 + STREAM_DEAD_AIR_BOUND_MS))).not.toContain('dead_air');
    expect(kinds(backAt(4700 + STREAM_DEAD_AIR_BOUND_MS + 100))).toContain('dead_air');
    // The same silence with the stream opening later is the carrier's (bounded by DEAD_AIR_BOUND_MS only).
    expect(kinds(backAt(4700 + STREAM_DEAD_AIR_BOUND_MS + 100, 4700 + 200))).not.toContain('dead_air');
    // An AI quiet by design adds its quiet here too.
    expect(kinds({ ...backAt(4700 + STREAM_DEAD_AIR_BOUND_MS + 100), quietByDesignMs: 2000 })).not.toContain(
      'dead_air',
    );
  });

  it("dead air: a stream's digital silence (`level: 'silence'`) is nothing heard; its comfort noise is sound", () => {
    const withGap = (level?: 'silence' | 'quiet'): Observation => {
      const o = busy();
      const gapFrom = 4400;
      o.caller.heard[2] = {
        source: 'stream:MZ2',
        leg: 'CA1',
        startMs: gapFrom + DEAD_AIR_BOUND_MS + 500,
        endMs: gapFrom + DEAD_AIR_BOUND_MS + 1500,
      };
      const filler = {
        source: 'stream:MZ2',
        leg: 'CA1',
        startMs: gapFrom + 100,
        endMs: gapFrom + DEAD_AIR_BOUND_MS + 500,
      };
      o.caller.heard.push(level === undefined ? filler : { ...filler, level });
      o.caller.end = { status: 'completed', by: 'endpoint', atMs: gapFrom + DEAD_AIR_BOUND_MS + 1500 };
      return o;
    };
    expect(kinds(withGap())).not.toContain('dead_air');
    expect(kinds(withGap('quiet'))).not.toContain('dead_air');
    expect(kinds(withGap('silence'))).toContain('dead_air');
  });

  it('audio: a tail never delivered is caught, not only a hole', () => {
    const o = base();
    const frames = o.agent[0]!.frames;
    const at = frames.findIndex((f) => f.event === 'media' && f.frame === 100);
    frames.splice(at, 51);
    expect(checkInvariants(o)).toEqual([expect.objectContaining({ kind: 'audio_lost' })]);
  });

  it('talking after failure: the human still bridged when the record says no_answer', () => {
    const o = base();
    o.record!.transfers[0] = { transferId: 't1', startedAtMs: 4000, endedAtMs: 5005, outcome: 'no_answer' };
    expect(kinds(o)).toEqual(expect.arrayContaining(['talk_after_failure', 'outcome_mismatch']));
  });

  it('ended reason: a caller dropped by the carrier before talking with the human was not transferred', () => {
    const o = base();
    // The human hung up during a whisper the caller never heard; the carrier then ended the call.
    o.caller.heard = [
      { source: 'stream:MZ1', leg: 'CA1', startMs: 1100, endMs: 4000 },
      { source: 'hold', leg: 'CA1', startMs: 4000, endMs: 6000 },
    ];
    o.caller.end = { status: 'completed', by: 'network', atMs: 6000 };
    o.humans[0]!.heard = [{ source: 'say', leg: 'CH1', startMs: 5000, endMs: 6000 }];
    expect(kinds(o)).toContain('ended_reason');
    // The same call, the caller having talked with the human before the carrier ended it.
    expect(kinds(base())).not.toContain('ended_reason');
    const talkedFirst = base();
    talkedFirst.caller.end = { status: 'completed', by: 'network', atMs: 9000 };
    expect(kinds(talkedFirst)).not.toContain('ended_reason');
  });

  it('outcome: a caller who hung up while the human still rang ended the transfer, whatever came after', () => {
    const o = busy();
    // The caller hangs up at 4300, the human's leg is canceled after it; the record says carrier_error.
    o.caller.end = { status: 'completed', by: 'endpoint', atMs: 4300 };
    o.caller.heard = o.caller.heard.slice(0, 2).map((x) => ({ ...x, endMs: Math.min(x.endMs, 4300) }));
    o.humans[0]!.legs[0]!.end = { status: 'canceled', by: 'network', atMs: 4350 };
    o.record!.transfers[0] = {
      transferId: 't1',
      startedAtMs: 4000,
      endedAtMs: 4320,
      outcome: 'carrier_error',
    };
    o.agent[0]!.frames = o.agent[0]!.frames.filter((f) => f.event !== 'resume');
    expect(checkInvariants(o)).toEqual([expect.objectContaining({ kind: 'outcome_mismatch' })]);
    o.record!.transfers[0] = {
      transferId: 't1',
      startedAtMs: 4000,
      endedAtMs: 4320,
      outcome: 'caller_hangup',
    };
    expect(checkInvariants(o)).toEqual([]);
    // The human was busy before the caller hung up: busy is the truth, even if recorded later.
    const late = busy();
    late.caller.end = { status: 'completed', by: 'endpoint', atMs: 4410 };
    late.caller.heard = late.caller.heard.slice(0, 2);
    late.agent[0]!.frames = late.agent[0]!.frames.filter((f) => f.event !== 'resume');
    expect(kinds(late)).not.toContain('outcome_mismatch');
  });

  it('outcome: a bridge the record calls unconfirmed excuses caller_hangup, and only where it could be so', () => {
    // Exotel: the caller talked with the human for 4 s and hung up before the whisper's upper
    // bound; the carrier reported nothing at the bridge.
    const hungUp = (bridge?: 'unconfirmed', outcome = 'caller_hangup') => {
      const o = base();
      o.record!.endedReason = 'caller_hangup';
      o.record!.transfers[0] = {
        transferId: 't1',
        startedAtMs: 4000,
        endedAtMs: 9000,
        outcome,
        ...(bridge === undefined ? {} : { bridge }),
      };
      o.agent[0]!.frames = o.agent[0]!.frames.map((f) =>
        f.event === 'transfer_status' && f.status === 'connected' ? { ...f, status: 'failed' } : f,
      );
      return o;
    };
    expect(kinds(hungUp())).toContain('outcome_mismatch');
    expect(kinds(hungUp('unconfirmed'))).not.toContain('outcome_mismatch');
    // The human hung up, not the caller: unknown as well, when that human had answered and hung up.
    const humanLeft = hungUp('unconfirmed', 'human_hangup');
    humanLeft.humans[0]!.legs[0] = {
      ...humanLeft.humans[0]!.legs[0]!,
      end: { status: 'completed', by: 'endpoint', atMs: 8000 },
    };
    expect(kinds(humanLeft)).not.toContain('outcome_mismatch');
    // Never another outcome, nor a human the carrier hung up, nor a caller the carrier dropped, nor
    // before any human answered.
    expect(kinds(hungUp('unconfirmed', 'busy'))).toContain('outcome_mismatch');
    expect(kinds(hungUp('unconfirmed', 'human_hangup'))).toContain('outcome_mismatch');
    const dropped = hungUp('unconfirmed');
    dropped.caller.end = { status: 'completed', by: 'network', atMs: 9000 };
    expect(kinds(dropped)).toContain('outcome_mismatch');
    const unanswered = hungUp('unconfirmed');
    unanswered.caller.end = { status: 'completed', by: 'endpoint', atMs: 4500 };
    unanswered.caller.heard = unanswered.caller.heard
      .slice(0, 2)
      .map((x) => ({ ...x, endMs: Math.min(x.endMs, 4500) }));
    unanswered.humans[0]!.legs[0] = {
      sid: 'CH1',
      createdAtMs: 4100,
      end: { status: 'canceled', by: 'network', atMs: 4510 },
    };
    unanswered.humans[0]!.heard = [];
    expect(checkInvariants(unanswered)).toEqual([
      expect.objectContaining({
        kind: 'outcome_mismatch',
        message: expect.stringContaining('no human it dialed had answered'),
      }),
    ]);
  });

  it('connected while the caller had already hung up', () => {
    const o = base();
    o.caller.end = { status: 'completed', by: 'endpoint', atMs: 4200 };
    o.caller.heard = o.caller.heard.slice(0, 2);
    expect(kinds(o)).toContain('connected_alone');
  });

  /**
   * The caller talked 5 000–6 000 and hung up; the agent's first socket closed at `firstClosedAtMs`
   * and a second one was told `connected` at 7 000 (the record: connected at 5 005).
   */
  function toldLateOn(firstClosedAtMs: number) {
    const o = base();
    o.caller.end = { status: 'completed', by: 'endpoint', atMs: 6000 };
    o.caller.heard[2] = { source: 'party:CH1', leg: 'CA1', startMs: 5000, endMs: 6000 };
    const first = o.agent[0];
    if (first === undefined) throw new Error('base() has an agent session');
    first.frames = first.frames.filter((f) => f.event !== 'transfer_status' || f.status !== 'connected');
    first.closedAtMs = firstClosedAtMs;
    first.closeCode = 1006;
    o.agent.push({
      frames: [
        { event: 'start', atMs: 7000 },
        { event: 'transfer_status', atMs: 7000, transferId: 't1', status: 'connected' },
      ],
      closeCode: 1000,
      closedAtMs: 7100,
    });
    return o;
  }

  it('a connected held while the agent had no socket counts from when the record says it connected', () => {
    // The agent's socket dropped at 4 500 and came back at 7 000, after the caller had gone.
    expect(kinds(toldLateOn(4500))).not.toContain('connected_alone');
  });

  it('a connected told late on a socket that was open when it was decided is still a claim made then', () => {
    // The agent's first socket stayed open through the decision (5 005): nothing held it back.
    expect(kinds(toldLateOn(6500))).toContain('connected_alone');
  });
});
