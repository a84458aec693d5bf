/**
 * The invariants about outcomes: exactly one per transfer, matching what the parties did, never
 * a human talking after "failed", never "connected" with the caller alone, and the call's
 * `endedReason`. "Talked" is read from what each party heard of the other (`party:<leg>`).
 */
import { MIN_TALK_MS, SETTLE_MS } from './bounds.js';
import type { Violation } from './invariants.js';
import type { AgentSessionSeen, HeardSpan, LegSeen, Observation, TransferSeen } from './observation.js';

/** The transfer attempt a leg created at `atMs` belongs to: the last one started by then. */
export function attemptOf(transfers: readonly TransferSeen[], atMs: number): TransferSeen | undefined {
  return transfers.findLast((t) => t.startedAtMs <= atMs);
}

interface HumanLeg {
  readonly address: string;
  readonly leg: LegSeen;
  readonly heard: readonly HeardSpan[];
}

function humanLegs(o: Observation): HumanLeg[] {
  return o.humans.flatMap((h) => h.legs.map((leg) => ({ address: h.address, leg, heard: h.heard })));
}

function legsOf(o: Observation, t: TransferSeen): HumanLeg[] {
  const transfers = o.record?.transfers ?? [];
  return humanLegs(o).filter((h) => attemptOf(transfers, h.leg.createdAtMs)?.transferId === t.transferId);
}

/** What the caller heard from the human on `leg`, and the human on `leg` heard from the caller. */
function talk(o: Observation, h: HumanLeg): HeardSpan[] {
  return [
    ...o.caller.heard.filter((s) => s.source === `party:${h.leg.sid}`),
    ...h.heard.filter((s) => s.leg === h.leg.sid && s.source === `party:${o.caller.sid}`),
  ];
}

function talked(o: Observation, h: HumanLeg): boolean {
  const ms = (spans: readonly HeardSpan[]): number => spans.reduce((n, s) => n + (s.endMs - s.startMs), 0);
  const callerHeard = o.caller.heard.filter((s) => s.source === `party:${h.leg.sid}`);
  const humanHeard = h.heard.filter((s) => s.leg === h.leg.sid && s.source === `party:${o.caller.sid}`);
  return ms(callerHeard) >= MIN_TALK_MS && ms(humanHeard) >= MIN_TALK_MS;
}

interface Told {
  /** Every terminal status the agent got, over all its sessions of the call. */
  readonly terminal: { status: string; atMs: number; session: number }[];
  readonly resumes: string[];
}

/** Terminal statuses and resumes the agent got, by transfer. */
function toldAgent(o: Observation): Map<string, Told> {
  const told = new Map<string, Told>();
  const of = (id: string) => {
    const t = told.get(id) ?? { terminal: [], resumes: [] };
    told.set(id, t);
    return t;
  };
  o.agent.forEach((s, session) => {
    for (const f of s.frames) {
      if (f.event === 'transfer_status' && (f.status === 'connected' || f.status === 'failed'))
        of(f.transferId).terminal.push({ status: f.status, atMs: f.atMs, session });
      else if (f.event === 'resume') of(f.transferId).resumes.push(f.outcome);
    }
  });
  return told;
}

/**
 * When an agent socket stopped being reachable: its close, or (soak) the start of the outage its
 * close fell in — a socket held by a SIGKILLed worker is gone at the kill, though the agent sees
 * its close a little later.
 */
function unreachableFrom(o: Observation, closedAtMs: number | undefined): number | undefined {
  if (closedAtMs === undefined) return undefined;
  const cut = (o.outages ?? []).find((w) => w.fromMs <= closedAtMs && closedAtMs <= w.toMs);
  return cut === undefined ? closedAtMs : Math.min(cut.fromMs, closedAtMs);
}

export function outcomeCount(o: Observation): Violation[] {
  const out: Violation[] = [];
  const say = (message: string): void => {
    out.push({ kind: 'outcome_count', message });
  };
  const r = o.record;
  if (r === undefined) return out;
  const ids = new Set<string>();
  const told = toldAgent(o);
  for (const t of r.transfers) {
    if (ids.has(t.transferId)) say(`transfer ${t.transferId} is listed twice in the record`);
    ids.add(t.transferId);
    if (t.outcome === undefined && r.phase === 'ended') say(`transfer ${t.transferId} has no outcome`);
    if (o.agent.length === 0) continue;
    const agent = told.get(t.transferId) ?? { terminal: [], resumes: [] };
    // Told once, on one socket; a socket opened after the one that heard it died (its worker
    // killed) may be told again, and must be told the same.
    const perSession = new Set(agent.terminal.map((x) => x.session));
    const said = new Set(agent.terminal.map((x) => x.status));
    // Nobody to tell: every socket of the call had closed (dropped) before the transfer ended,
    // and none opened after it (the caller never came back to the AI).
    const endedAtMs = t.endedAtMs;
    const unheard =
      endedAtMs !== undefined &&
      o.agent.every((s) => {
        const closedAtMs = unreachableFrom(o, s.closedAtMs);
        return closedAtMs !== undefined && closedAtMs < endedAtMs;
      });
    const untold = agent.terminal.length === 0 && !unheard;
    if (untold || perSession.size !== agent.terminal.length || said.size > 1)
      say(
        `transfer ${t.transferId}: the agent was told ${agent.terminal.length} outcomes (${agent.terminal.map((x) => `${x.status} on socket ${x.session}`).join(', ')})`,
      );
    const first = agent.terminal[0];
    if (
      first !== undefined &&
      t.outcome !== undefined &&
      (first.status === 'connected') !== (t.outcome === 'connected')
    )
      say(`transfer ${t.transferId}: the agent was told ${first.status}, the record says ${t.outcome}`);
    if (agent.resumes.length > 1)
      say(`transfer ${t.transferId}: the agent got ${agent.resumes.length} resumes`);
    if (agent.resumes.length > 0 && (t.outcome === 'connected' || t.outcome === 'caller_hangup'))
      say(`transfer ${t.transferId}: the agent got resume though the transfer ended ${t.outcome}`);
  }
  // A refused request is told as `failed` on `{callId}.refused` (docs/agent-protocol.md): it never
  // became a transfer, and the record lists it among its refusals instead.
  const refusedId = `${o.caller.sid}.refused`;
  for (const id of told.keys()) {
    if (id === refusedId && (r.refusals ?? 0) > 0) continue;
    if (!ids.has(id)) say(`the agent was told an outcome of transfer ${id}, which the record does not list`);
  }
  return out;
}

/** Outcomes that say what a human did: busy, no answer, a decline, a hang-up, a machine. */
const OF_A_HUMAN: ReadonlySet<string> = new Set([
  'busy',
  'no_answer',
  'declined',
  'human_hangup',
  'voicemail',
]);

export function outcomeMismatch(o: Observation): Violation[] {
  const out: Violation[] = [];
  const transfers = o.record?.transfers ?? [];
  for (const h of humanLegs(o)) {
    if (!talked(o, h)) continue;
    const t = attemptOf(transfers, h.leg.createdAtMs);
    // A record that says it does not know whether the two were bridged (the carrier reports
    // nothing at the bridge) is not wrong; the checks below hold it to when it may say so.
    const unknown =
      (t?.outcome === 'caller_hangup' || t?.outcome === 'human_hangup') && t.bridge === 'unconfirmed';
    if (t?.outcome !== 'connected' && !unknown)
      out.push({
        kind: 'outcome_mismatch',
        message: `${h.address} (leg ${h.leg.sid}) talked with the caller, but its transfer ${t?.transferId ?? '(none)'} ended ${t?.outcome ?? 'without outcome'}`,
      });
  }
  const end = o.caller.end;
  for (const t of transfers) {
    // The caller hung up while the transfer ran and its latest human leg was still up (or not
    // dialed yet): that, and nothing the carrier said afterwards, is how it ended.
    if (
      end?.by === 'endpoint' &&
      t.startedAtMs <= end.atMs &&
      (t.endedAtMs === undefined || end.atMs < t.endedAtMs) &&
      t.outcome !== 'caller_hangup'
    ) {
      const latest = legsOf(o, t).at(-1)?.leg;
      if (latest?.end === undefined || latest.end.atMs >= end.atMs)
        out.push({
          kind: 'outcome_mismatch',
          message: `the caller hung up at ${end.atMs} while transfer ${t.transferId} ran${latest === undefined ? '' : ` (leg ${latest.sid} still up)`}, but it ended ${t.outcome ?? 'without outcome'} at ${t.endedAtMs}`,
        });
    }
    if (t.bridge === 'unconfirmed') {
      const why = unconfirmedWrong(o, t);
      if (why !== undefined)
        out.push({
          kind: 'outcome_mismatch',
          message: `transfer ${t.transferId} ended ${t.outcome ?? 'without outcome'} with its bridge unconfirmed, but ${why}`,
        });
    }
    // An outcome that says what a human did (or did not) needs a human the carrier called.
    if (t.outcome !== undefined && OF_A_HUMAN.has(t.outcome) && legsOf(o, t).length === 0)
      out.push({
        kind: 'outcome_mismatch',
        message: `transfer ${t.transferId} ended ${t.outcome}, but the carrier called no human for it`,
      });
    if (t.outcome !== 'connected') continue;
    const legs = legsOf(o, t);
    if (!legs.some((h) => h.leg.answeredAtMs !== undefined))
      out.push({
        kind: 'outcome_mismatch',
        message: `transfer ${t.transferId} says connected, but no human it dialed answered (${legs.map((h) => `${h.address}: ${h.leg.end?.status ?? 'up'}`).join(', ') || 'nobody dialed'})`,
      });
  }
  return out;
}

/**
 * Why a bridge the record calls unconfirmed cannot be so, if it cannot: it is unknown only after
 * a human answered, and only when the caller (`caller_hangup`) or that human (`human_hangup`)
 * then hung up.
 */
function unconfirmedWrong(o: Observation, t: TransferSeen): string | undefined {
  const end = o.caller.end;
  const answered = legsOf(o, t).filter((h) => h.leg.answeredAtMs !== undefined);
  if (t.outcome === 'caller_hangup') {
    if (end?.by !== 'endpoint') return 'the caller did not hang up';
    return answered.some((h) => (h.leg.answeredAtMs ?? Number.POSITIVE_INFINITY) < end.atMs)
      ? undefined
      : 'no human it dialed had answered when the caller hung up';
  }
  if (t.outcome === 'human_hangup')
    return answered.some((h) => h.leg.end?.by === 'endpoint')
      ? undefined
      : 'no human it dialed answered and then hung up';
  return 'only a hang-up leaves it unknown';
}

export function endedReason(o: Observation): Violation[] {
  const end = o.caller.end;
  if (end === undefined) return [];
  const r = o.record;
  const say = (message: string): Violation[] => [{ kind: 'ended_reason', message }];
  if (r === undefined) return say(`the caller's call ended at ${end.atMs}; the daemon has no record of it`);
  if (r.phase !== 'ended' || r.endedReason === undefined)
    return say(
      `the caller's call ended at ${end.atMs} (${end.status} by ${end.by}); the record says phase ${r.phase}`,
    );
  const connected = r.transfers.some((t) => t.outcome === 'connected');
  if (connected) {
    if (r.endedReason !== 'transferred')
      return say(`a transfer connected; the record says endedReason ${r.endedReason}`);
    // "Transferred" is the caller's call handed to a person: one the carrier ended before the
    // caller ever talked with anybody was dropped, not transferred.
    const talkedWithSomeone = humanLegs(o).some((h) => talked(o, h));
    return end.by === 'endpoint' || talkedWithSomeone
      ? []
      : say(
          `the carrier ended the caller's call (${end.status}) before the caller talked with any human; the record says transferred`,
        );
  }
  if (end.by === 'endpoint') {
    return r.endedReason === 'caller_hangup'
      ? []
      : say(`the caller hung up with no transfer connected; the record says endedReason ${r.endedReason}`);
  }
  return say(
    `the carrier ended the caller's call (${end.status}) with no transfer connected; the record says endedReason ${r.endedReason}`,
  );
}

export function talkAfterFailure(o: Observation): Violation[] {
  const out: Violation[] = [];
  const told = toldAgent(o);
  for (const t of o.record?.transfers ?? []) {
    const recordFailedAt = t.outcome !== undefined && t.outcome !== 'connected' ? t.endedAtMs : undefined;
    const agentFailedAt = told.get(t.transferId)?.terminal.find((x) => x.status === 'failed')?.atMs;
    const failedAt = Math.min(recordFailedAt ?? Infinity, agentFailedAt ?? Infinity);
    if (failedAt === Infinity) continue;
    const who = failedAt === recordFailedAt ? `the record (${t.outcome})` : 'the agent';
    for (const h of legsOf(o, t)) {
      const late = talk(o, h).find((s) => s.endMs > failedAt + SETTLE_MS);
      if (late !== undefined)
        out.push({
          kind: 'talk_after_failure',
          message: `${h.address} (leg ${h.leg.sid}) and the caller heard each other until ${late.endMs}, but ${who} said transfer ${t.transferId} failed at ${failedAt}`,
        });
    }
  }
  return out;
}

/**
 * When the agent's `connected` was claimed: when it reached the agent, or when the record says
 * the transfer connected if the agent had no socket open then — the status was held for the
 * socket's reconnect and told on it (agent-link.ts), so it came late but was true when decided.
 */
function claimedAt(o: Observation, t: TransferSeen, told: { atMs: number; session: number }): number {
  const decided = t.outcome === 'connected' ? t.endedAtMs : undefined;
  if (decided === undefined || decided >= told.atMs) return told.atMs;
  const openAt = (s: AgentSessionSeen): boolean =>
    s.role === undefined &&
    (s.frames[0]?.atMs ?? Infinity) <= decided &&
    (unreachableFrom(o, s.closedAtMs) ?? Infinity) > decided;
  return o.agent.some(openAt) ? told.atMs : decided;
}

export function connectedAlone(o: Observation): Violation[] {
  const out: Violation[] = [];
  const told = toldAgent(o);
  const end = o.caller.end?.atMs ?? Infinity;
  for (const t of o.record?.transfers ?? []) {
    const claims: { who: string; atMs: number }[] = [];
    if (t.outcome === 'connected' && t.endedAtMs !== undefined)
      claims.push({ who: 'the record', atMs: t.endedAtMs });
    const agent = told.get(t.transferId)?.terminal.find((x) => x.status === 'connected');
    if (agent !== undefined) claims.push({ who: 'the agent', atMs: claimedAt(o, t, agent) });
    for (const claim of claims) {
      const at = claim.atMs;
      const say = (why: string): void => {
        out.push({
          kind: 'connected_alone',
          message: `${claim.who} says transfer ${t.transferId} connected at ${at}, ${why}`,
        });
      };
      if (end < at - SETTLE_MS) {
        say(`but the caller had hung up at ${end}`);
        continue;
      }
      if (end <= at + SETTLE_MS) continue;
      const legs = legsOf(o, t);
      const withHuman = legs.some((h) =>
        o.caller.heard.some(
          (s) =>
            s.source === `party:${h.leg.sid}` && s.startMs <= at + SETTLE_MS && s.endMs >= at - SETTLE_MS,
        ),
      );
      if (!withHuman) say('but the caller heard no human of that transfer then: alone');
    }
  }
  return out;
}
