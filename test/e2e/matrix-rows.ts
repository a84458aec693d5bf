import { expect } from 'vitest';
import type { SimCall } from '../../sim/endpoints/caller.js';
import { ANSWERS, handoff } from './fixture.js';
import { type Harness, type HarnessOptions, sourcesHeard, waitForRecord } from './harness.js';

/**
 * The scenario matrix of the transfer contract: one table run on every carrier through its
 * simulator with the same scripted agent speaking Twilio's protocol, on a private real Redis
 * (matrix.test.ts) and on virtual time (matrix-virtual.test.ts). Each row asserts the outcome,
 * `endedReason` and what the caller heard. What a carrier does differently (Exotel's flow,
 * Plivo's REST, Twilio's conference) is tested in its own files.
 */

export interface Row {
  readonly name: string;
  readonly options: HarnessOptions;
  readonly humans: Readonly<Record<string, Parameters<Harness['sim']['network']['addHuman']>[1]>>;
  /** Hang up once this is true of the call (default: the transfer settled). */
  readonly play: (h: Harness, callSid: string) => Promise<void>;
  readonly outcome: string | undefined;
  readonly refusal?: string;
  /** Each dialed leg's outcome, in chain order. */
  readonly legs: readonly (string | null)[];
  readonly endedReason: string;
  /** The kinds of audio the caller heard, in order (`stream:` is the AI). */
  readonly heard: readonly string[];
  /** The kinds of audio each human heard, by number (`[]`: nothing at all). */
  readonly humansHeard?: Readonly<Record<string, readonly string[]>>;
  /** How each human's leg ended at the carrier, in the order dialed. */
  readonly legEnds?: readonly string[];
  /** What the agent was told: `transfer_status` values among those sent, and each `resume`'s outcome. */
  readonly agent: { readonly statuses: readonly string[]; readonly resumes: readonly string[] };
}

const settled = async (h: Harness, callSid: string): Promise<void> => {
  await waitForRecord(
    h,
    callSid,
    (r) => r.transfers[0]?.outcome !== undefined || r.refusals.length > 0,
    15_000,
  );
};

export const ROWS: readonly Row[] = [
  {
    name: 'cold, answered',
    options: {
      script: [{ say: 300 }, { text: ['Putting you through [TRANSFER:+14155550111]'] }, { say: 100 }],
    },
    humans: { '+14155550111': ANSWERS },
    play: async (h, sid) => {
      await settled(h, sid);
      await h.sim.waitFor(
        () => h.sim.network.calls.find((c) => c.sid === sid)?.heard.from('party:').length,
        5000,
      );
    },
    outcome: 'connected',
    legs: ['connected'],
    endedReason: 'transferred',
    heard: ['stream:', 'ringback', 'party:'],
    humansHeard: { '+14155550111': ['party:'] },
    agent: { statuses: ['started', 'dialing', 'connected'], resumes: [] },
  },
  {
    name: 'busy, then the next number answers',
    options: { script: [{ say: 200 }, { transfer: { rule: 'Billing' } }, { say: 100 }] },
    humans: { '+14155550111': { type: 'busy', afterMs: 200 }, '+14155550112': ANSWERS },
    play: async (h, sid) => {
      await waitForRecord(h, sid, (r) => r.phase === 'human', 15_000);
      await h.sim.waitFor(
        () => h.sim.network.calls.find((c) => c.sid === sid)?.heard.from('party:').length,
        5000,
      );
    },
    outcome: 'connected',
    legs: ['busy', 'connected'],
    endedReason: 'transferred',
    heard: ['stream:', 'ringback', 'party:'],
    humansHeard: { '+14155550111': [], '+14155550112': ['party:'] },
    agent: { statuses: ['started', 'dialing', 'connected'], resumes: [] },
  },
  {
    name: 'nobody answers: back to the AI',
    options: {
      script: (start) =>
        start.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }, { say: 300 }],
      agent: handoff({ ringTimeoutSec: 5 }),
    },
    humans: { '+14155550122': { type: 'no-answer' } },
    play: async (h, sid) => {
      await settled(h, sid);
      const call = h.sim.network.calls.find((c) => c.sid === sid)!;
      await h.sim.waitFor(
        () => sourcesHeard(call.heard.segments).join(',') === 'stream:,ringback,stream:',
        5000,
      );
    },
    outcome: 'no_answer',
    legs: ['no_answer'],
    endedReason: 'caller_hangup',
    heard: ['stream:', 'ringback', 'stream:'],
    humansHeard: { '+14155550122': [] },
    agent: { statuses: ['started', 'dialing', 'failed'], resumes: ['no_answer'] },
  },
  {
    name: 'the caller hangs up while the human rings',
    options: { script: [{ say: 200 }, { text: ['[TRANSFER:+14155550111]'] }, { say: 100 }] },
    humans: { '+14155550111': { type: 'no-answer' } },
    play: async (h) => {
      await h.sim.waitFor(() => h.sim.network.endpoint('+14155550111').activeLeg?.state === 'ringing', 8000);
    },
    outcome: 'caller_hangup',
    legs: ['caller_hangup'],
    endedReason: 'caller_hangup',
    heard: ['stream:', 'ringback'],
    humansHeard: { '+14155550111': [] },
    legEnds: ['canceled'],
    agent: { statuses: ['started', 'dialing'], resumes: [] },
  },
  {
    name: 'a [TRANSFER:] to a number not in the configuration is refused',
    options: {
      script: [{ say: 200 }, { text: ['Sure [TRANSFER:+19005550199]'] }, { say: 300, mark: 'after' }],
    },
    humans: { '+19005550199': ANSWERS },
    play: async (h, sid) => {
      await settled(h, sid);
      // The agent speaks on after the refusal, and the caller hears it to its end (the mark's echo).
      const session = await h.agent!.session(0);
      await session.waitFor((f) => f.event === 'mark' && (f['mark'] as { name?: string }).name === 'after');
    },
    outcome: undefined,
    refusal: 'destination_not_allowed',
    legs: [],
    endedReason: 'caller_hangup',
    heard: ['stream:'],
    humansHeard: { '+19005550199': [] },
    agent: { statuses: ['failed'], resumes: [] },
  },
];

/**
 * Plays `row` on a started harness (its simulator set up for the carrier) and checks every
 * expectation of the row.
 */
export async function playRow(
  row: Row,
  h: Harness,
  placeCall: (h: Harness) => Promise<SimCall>,
): Promise<void> {
  const humans = Object.entries(row.humans).map(([n, b]) => h.sim.network.addHuman(n, b));
  const call = await placeCall(h);
  await row.play(h, call.sid);
  call.hangup();
  const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  expect(ended.transfers[0]?.outcome).toBe(row.outcome);
  if (row.refusal !== undefined) {
    expect(ended.refusals).toMatchObject([{ trigger: 'tag', refusal: row.refusal }]);
    expect(ended.transfers).toEqual([]);
    expect(humans.every((x) => x.legs.length === 0)).toBe(true);
  }
  expect(ended.transfer?.legs.map((l) => l.outcome) ?? []).toEqual(row.legs);
  // One leg per number dialed: nobody was rung twice.
  for (const human of humans) expect(human.legs.length).toBeLessThanOrEqual(1);
  expect(ended.endedReason).toBe(row.endedReason);
  expect(sourcesHeard(call.heard.segments)).toEqual(row.heard);
  // Every leg dialed toward a human has ended with the call.
  await h.sim.waitFor(() => humans.every((x) => x.legs.every((l) => l.state === 'ended')), 5000);
  for (const [number, heard] of Object.entries(row.humansHeard ?? {})) {
    const human = humans[Object.keys(row.humans).indexOf(number)];
    expect(sourcesHeard(human?.heard.segments ?? []), `what ${number} heard`).toEqual(heard);
  }
  if (row.legEnds !== undefined)
    expect(humans.flatMap((x) => x.legs.map((l) => l.end?.status))).toEqual(row.legEnds);
  // One agent socket for the whole call (a caller back from a transfer rejoins it), told what happened.
  expect(h.agent!.sessions).toHaveLength(1);
  const session = await h.agent!.session(0);
  await session.finished;
  const statuses = session.frames('transfer_status').map((f) => f.frame['status']);
  expect(statuses).toEqual(expect.arrayContaining([...row.agent.statuses]));
  expect(session.frames('resume').map((f) => f.frame['outcome'])).toEqual(row.agent.resumes);
}
