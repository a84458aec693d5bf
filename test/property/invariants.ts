/**
 * The invariants of a transfer, checked after every run from what the parties heard and did (the
 * simulator's record) — the daemon's record only to compare with it. Pure: an {@link Observation}
 * in, every {@link Violation} out. Each kind is unit-tested with a record that breaks it and one
 * that keeps it (invariants.test.ts).
 */

import { LEG_STOP_BOUND_MS, OUTAGE_RECOVERY_MS, SETTLE_MS } from './bounds.js';
import { audioLost, briefingLeak, deadAir } from './invariants-audio.js';
import {
  attemptOf,
  connectedAlone,
  endedReason,
  outcomeCount,
  outcomeMismatch,
  talkAfterFailure,
} from './invariants-outcome.js';
import type { Observation } from './observation.js';

export const VIOLATION_KINDS = [
  /** A transfer without exactly one outcome: none, several, or the agent told otherwise than the record. */
  'outcome_count',
  /** The outcome does not match what the parties did (talked ⇔ connected; never answered ⇒ never connected). */
  'outcome_mismatch',
  /** `endedReason` does not match how the call ended. */
  'ended_reason',
  /** A human talks with the caller while the record or the agent says the transfer failed. */
  'talk_after_failure',
  /** The record (or the agent) says `connected` while the caller is alone. */
  'connected_alone',
  /** A REST command for a call after the carrier told the daemon it ended. */
  'rest_after_end',
  /** A number rung twice in one transfer attempt. */
  'rung_twice',
  /** A leg dialed (or the caller's call) that never ended. */
  'leg_not_ended',
  /** A human's phone rang on after the daemon knew nobody was coming to it (caller gone, transfer over). */
  'leg_rang_on',
  /** The agent's `transfer_status` moved backwards. */
  'status_backwards',
  /** A caller frame between the stream's start and the transfer never reached the agent. */
  'audio_lost',
  /** The caller heard nothing for longer than the bound. */
  'dead_air',
  /** Agentic: a caller frame reached the briefing socket (the AI heard the held caller). */
  'briefing_leak',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  readonly kind: ViolationKind;
  /** One line: what broke, with the times and ids needed to find it in the log. */
  readonly message: string;
}

export function checkInvariants(o: Observation): Violation[] {
  return [
    ...outcomeCount(o),
    ...outcomeMismatch(o),
    ...endedReason(o),
    ...talkAfterFailure(o),
    ...connectedAlone(o),
    ...restAfterEnd(o),
    ...rungTwice(o),
    ...legNotEnded(o),
    ...legRangOn(o),
    ...statusBackwards(o),
    ...audioLost(o),
    ...deadAir(o),
    ...briefingLeak(o),
  ];
}

/** Notifications that carry a call's end (a status callback, a dial's leg callback, Exotel's Connect event). */
const END_NEWS = new Set(['status', 'dial', 'connect-event']);

function restAfterEnd(o: Observation): Violation[] {
  const out: Violation[] = [];
  const legs = [
    { sid: o.caller.sid, end: o.caller.end },
    ...o.humans.flatMap((h) => h.legs.map((l) => ({ sid: l.sid, end: l.end }))),
  ];
  for (const leg of legs) {
    if (leg.end === undefined) continue;
    const endAtMs = leg.end.atMs;
    const told = o.callbacks.find(
      (c) =>
        c.callSid === leg.sid &&
        END_NEWS.has(c.kind) &&
        c.atMs >= endAtMs &&
        c.status !== undefined &&
        c.status < 300,
    );
    if (told === undefined) continue;
    for (const r of o.rest) {
      if (r.method === 'GET' || !r.path.includes(leg.sid)) continue;
      // A command already on its way when the end's callback was answered is a race, not a defect.
      if (r.atMs > told.atMs + SETTLE_MS)
        out.push({
          kind: 'rest_after_end',
          message: `${r.method} ${r.path} (${r.status}) sent at ${r.atMs}, ${r.atMs - told.atMs} ms after the daemon was told ${leg.sid} ended (${told.kind} at ${told.atMs})`,
        });
    }
  }
  return out;
}

function rungTwice(o: Observation): Violation[] {
  const out: Violation[] = [];
  const transfers = o.record?.transfers ?? [];
  for (const h of o.humans) {
    const byAttempt = new Map<string, number>();
    for (const leg of h.legs) {
      const attempt = attemptOf(transfers, leg.createdAtMs)?.transferId ?? 'none';
      const n = (byAttempt.get(attempt) ?? 0) + 1;
      byAttempt.set(attempt, n);
      if (n === 2)
        out.push({
          kind: 'rung_twice',
          message: `${h.address} was rung twice in transfer ${attempt} (second leg ${leg.sid} at ${leg.createdAtMs})`,
        });
    }
  }
  return out;
}

/**
 * A leg nobody answered still ringing {@link LEG_STOP_BOUND_MS} after the daemon learned that
 * nobody would come to it: the carrier's first news of the caller's end, or the end of the
 * transfer the leg was dialed for (any outcome but `connected`), as the record dates it. An
 * outage meanwhile (soak) adds its recovery. A phone that rings on is a human who picks up to
 * nobody, or rings to the carrier's timeout (property regression 0xa2; effect-failures.ts
 * `retriesAtEnd`).
 */
function legRangOn(o: Observation): Violation[] {
  const out: Violation[] = [];
  const callerEnd = o.caller.end?.atMs;
  const told =
    callerEnd === undefined
      ? undefined
      : o.callbacks.find((c) => c.callSid === o.caller.sid && c.atMs >= callerEnd)?.atMs;
  const transfers = o.record?.transfers ?? [];
  for (const h of o.humans)
    for (const leg of h.legs) {
      if (leg.answeredAtMs !== undefined || leg.end === undefined) continue;
      const attempt = attemptOf(transfers, leg.createdAtMs);
      const over =
        attempt?.endedAtMs !== undefined &&
        attempt.outcome !== 'connected' &&
        attempt.endedAtMs >= leg.createdAtMs
          ? attempt.endedAtMs
          : undefined;
      const known = [told, over].filter((t): t is number => t !== undefined && t >= leg.createdAtMs);
      if (known.length === 0) continue;
      const fromMs = Math.min(...known);
      const endAtMs = leg.end.atMs;
      const outage = (o.outages ?? []).some((w) => w.toMs >= fromMs && w.fromMs <= endAtMs);
      const bound = LEG_STOP_BOUND_MS + (outage ? OUTAGE_RECOVERY_MS : 0);
      if (endAtMs - fromMs > bound)
        out.push({
          kind: 'leg_rang_on',
          message: `the leg ${leg.sid} to ${h.address} rang until ${endAtMs} (${leg.end.status} by ${leg.end.by}), ${endAtMs - fromMs} ms after the daemon knew nobody would come (${fromMs === over ? `transfer ${attempt?.transferId} ${attempt?.outcome} at ${over}` : `the caller's end told at ${told}`}); bound ${bound} ms`,
        });
    }
  return out;
}

function legNotEnded(o: Observation): Violation[] {
  const out: Violation[] = [];
  if (o.caller.end === undefined)
    out.push({ kind: 'leg_not_ended', message: `the caller's call ${o.caller.sid} never ended` });
  for (const h of o.humans)
    for (const leg of h.legs)
      if (leg.end === undefined)
        out.push({
          kind: 'leg_not_ended',
          message: `the leg ${leg.sid} dialed to ${h.address} at ${leg.createdAtMs} never ended`,
        });
  return out;
}

/** Where a status stands in one leg's progress (agent protocol, `transfer_status`). */
const RANK: Readonly<Record<string, number>> = {
  started: 0,
  dialing: 1,
  ringing: 2,
  answered: 3,
  whispering: 4,
};
const TERMINAL = new Set(['connected', 'failed']);

/**
 * Per transfer, over every session of the call: `started` first; within one destination the
 * rank only rises; a destination left behind never comes back (the chain is tried in order);
 * nothing after `connected` or `failed`.
 */
function statusBackwards(o: Observation): Violation[] {
  const out: Violation[] = [];
  const seen = new Map<
    string,
    {
      count: number;
      ended: string | undefined;
      endedOn: number;
      dest: string;
      rank: number;
      left: Set<string>;
    }
  >();
  o.agent.forEach((session, socket) => {
    for (const f of session.frames) {
      if (f.event !== 'transfer_status') continue;
      const s = seen.get(f.transferId) ?? {
        count: 0,
        ended: undefined,
        endedOn: -1,
        dest: '',
        rank: -1,
        left: new Set<string>(),
      };
      seen.set(f.transferId, s);
      s.count += 1;
      const say = (why: string): void => {
        out.push({
          kind: 'status_backwards',
          message: `transfer ${f.transferId}: ${f.status}${f.destination === undefined ? '' : ` (${f.destination})`} at ${f.atMs} ${why}`,
        });
      };
      if (s.ended !== undefined) {
        // The same end, told once more on a socket opened after the one that heard it (its worker died).
        if (f.status === s.ended && socket > s.endedOn) s.endedOn = socket;
        else say(`after ${s.ended}`);
        continue;
      }
      if (TERMINAL.has(f.status)) {
        s.ended = f.status;
        s.endedOn = socket;
        continue;
      }
      const rank = RANK[f.status] ?? -1;
      if (f.status === 'started') {
        if (s.count > 1) say('after other statuses');
        continue;
      }
      const dest = f.destination ?? '';
      if (dest === s.dest) {
        if (rank <= s.rank) say(`after ${Object.keys(RANK).find((k) => RANK[k] === s.rank)} of the same leg`);
        else s.rank = rank;
      } else if (s.left.has(dest)) {
        say('back on a destination already left');
      } else {
        if (s.dest !== '') s.left.add(s.dest);
        s.dest = dest;
        s.rank = rank;
      }
    }
  });
  return out;
}
