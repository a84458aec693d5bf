import type { TransferOutcome } from '../../domain/outcome.js';
import type { CallRecord } from '../../runtime/call-record.js';

/** The call as `GET /v1/calls/{id}` shows it: numbers included (calls:read may see them). */
export function publicCallView(record: CallRecord): Record<string, unknown> {
  return {
    callId: record.callId,
    carrier: record.carrier,
    agentId: record.agentId,
    agentVersion: record.agentVersion,
    direction: record.direction,
    phase: record.phase,
    from: record.pii.from,
    to: record.pii.to,
    createdAtMs: record.createdAtMs,
    endedAtMs: record.endedAtMs ?? null,
    endedReason: record.endedReason ?? null,
    outcome: callOutcome(record),
    transfers: record.transfers,
    refusals: record.refusals,
    timeline: record.timeline,
    transfer:
      record.transfer === null
        ? null
        : {
            transferId: record.transfer.transferId,
            mode: record.transfer.mode,
            phase: record.transfer.phase,
            outcome: record.transfer.outcome,
            legs: record.transfer.legs.map((l) => ({
              legId: l.legId,
              index: l.index,
              status: l.status,
              outcome: l.outcome,
            })),
            timeline: record.transfer.timeline,
          },
  };
}

/**
 * The call's transfer outcome (seed 003's lead outcome): `connected` if any transfer reached a
 * person, else the last transfer's outcome, else null (no transfer was attempted).
 */
export function callOutcome(record: CallRecord): TransferOutcome | null {
  if (record.transfers.some((t) => t.outcome === 'connected')) return 'connected';
  return record.transfers.at(-1)?.outcome ?? null;
}

/** One line of an agent's call list: no phone numbers. */
export function callSummary(record: CallRecord): Record<string, unknown> {
  return {
    callId: record.callId,
    carrier: record.carrier,
    direction: record.direction,
    agentVersion: record.agentVersion,
    phase: record.phase,
    createdAtMs: record.createdAtMs,
    endedAtMs: record.endedAtMs ?? null,
    endedReason: record.endedReason ?? null,
    outcome: callOutcome(record),
    transfers: record.transfers,
    refusals: record.refusals.length,
  };
}

/** Transfer figures over a set of ended calls (flowyte "see your transfer rate"). */
export interface AgentCallStats {
  /** Ended calls counted. */
  readonly calls: number;
  /** Calls with at least one transfer attempt (refused requests do not count). */
  readonly transferred: number;
  /** Calls in which a transfer reached a person. */
  readonly connected: number;
  /** `transferred / calls`; null without calls. */
  readonly transferRate: number | null;
  /** `connected / transferred`; null without transfers. */
  readonly transferSuccessRate: number | null;
  readonly endedReasons: Readonly<Record<string, number>>;
  /** Every transfer attempt's outcome, counted. */
  readonly transferOutcomes: Readonly<Record<string, number>>;
  /**
   * Calls not counted `connected` with a transfer whose caller or human hung up after the human
   * answered, the carrier not saying whether the two had been bridged (Exotel): `connected` may be
   * short by this many.
   */
  readonly bridgeUnconfirmed: number;
}

export function agentCallStats(records: readonly CallRecord[]): AgentCallStats {
  const endedReasons: Record<string, number> = {};
  const transferOutcomes: Record<string, number> = {};
  let transferred = 0;
  let connected = 0;
  let bridgeUnconfirmed = 0;
  for (const r of records) {
    const reason = r.endedReason ?? 'unknown';
    endedReasons[reason] = (endedReasons[reason] ?? 0) + 1;
    if (r.transfers.length > 0) transferred += 1;
    if (callOutcome(r) === 'connected') connected += 1;
    else if (r.transfers.some((t) => t.bridge === 'unconfirmed')) bridgeUnconfirmed += 1;
    for (const t of r.transfers) {
      const key = t.outcome ?? 'running';
      transferOutcomes[key] = (transferOutcomes[key] ?? 0) + 1;
    }
  }
  return {
    calls: records.length,
    transferred,
    connected,
    transferRate: records.length === 0 ? null : transferred / records.length,
    transferSuccessRate: transferred === 0 ? null : connected / transferred,
    endedReasons,
    transferOutcomes,
    bridgeUnconfirmed,
  };
}
