import type { TransferOutcome } from '../../domain/outcome.js';
import { redactDestination } from '../../phone/redact.js';
import type { CallRecord } from '../../runtime/call-record.js';
import { callOutcome } from './call-view.js';

/**
 * What the operator console (/console) reads: calls with every phone number masked the way a
 * destination leaving the daemon is masked (src/phone/redact.ts), a failed transfer's reason in
 * words, and per-agent figures over a window. Pure: records in, JSON out.
 */

/** A transfer outcome in words, with the carrier's code where it gave one. */
export function outcomeWords(
  outcome: TransferOutcome | null | undefined,
  carrierCode?: string | null,
): string {
  const code = carrierCode === undefined || carrierCode === null ? '' : ` (carrier code ${carrierCode})`;
  switch (outcome) {
    case undefined:
    case null:
      return 'still running';
    case 'connected':
      return 'a person took the call';
    case 'busy':
      return `the line was busy${code}`;
    case 'no_answer':
      return `nobody answered before the ring timeout${code}`;
    case 'declined':
      return `the person declined the call${code}`;
    case 'voicemail':
      return 'voicemail answered, not a person';
    case 'failed':
      return `the carrier could not place the call${code}`;
    case 'carrier_error':
      return `the carrier refused a command${code}`;
    case 'canceled':
      return 'the transfer was canceled';
    case 'caller_hangup':
      return 'the caller hung up during the transfer';
    case 'human_hangup':
      return 'the person hung up before being joined';
    case 'destination_not_allowed':
      return 'the number is not in the configuration (refused, nobody dialed)';
    case 'after_hours':
      return 'outside the opening hours';
    case 'missing_transfer_number':
      return 'no destination is configured';
    case 'missing_outbound_number':
      return 'no outbound number to call from';
    default:
      return String(outcome);
  }
}

/** A hang-up the carrier did not say was before or after it bridged the two. */
function unconfirmedWords(outcome: TransferOutcome | undefined): string {
  const who =
    outcome === 'human_hangup'
      ? 'the person hung up after answering'
      : 'the caller hung up after the person answered';
  return `${who}; the carrier does not say whether the two had been bridged`;
}

/** One line of the live-calls list: no phone numbers. */
export function consoleRow(record: CallRecord, version: number): Record<string, unknown> {
  const t = record.transfer;
  return {
    callId: record.callId,
    version,
    agentId: record.agentId,
    carrier: record.carrier,
    direction: record.direction,
    phase: record.phase,
    createdAtMs: record.createdAtMs,
    endedAtMs: record.endedAtMs ?? null,
    endedReason: record.endedReason ?? null,
    outcome: callOutcome(record),
    transfer:
      t === null
        ? null
        : { transferId: t.transferId, mode: t.mode, phase: t.phase, outcome: t.outcome, legs: t.legs.length },
  };
}

/** One call for its timeline: numbers masked, each leg's destination masked, reasons in words. */
export function consoleCall(record: CallRecord, version: number): Record<string, unknown> {
  const t = record.transfer;
  return {
    ...consoleRow(record, version),
    from: redactDestination(record.pii.from),
    to: redactDestination(record.pii.to),
    timeline: record.timeline,
    refusals: record.refusals,
    transfers: record.transfers.map((s) => ({
      ...s,
      reason:
        s.bridge === 'unconfirmed' ? unconfirmedWords(s.outcome) : outcomeWords(s.outcome, s.carrierCode),
    })),
    transferDetail:
      t === null
        ? null
        : {
            transferId: t.transferId,
            mode: t.mode,
            phase: t.phase,
            outcome: t.outcome,
            reason: outcomeWords(t.outcome, lastCarrierCode(t.legs)),
            startedAtMs: t.startedAtMs,
            endedAtMs: t.endedAtMs,
            legs: t.legs.map((l) => ({
              legId: l.legId,
              index: l.index,
              destination: redactDestination(t.plan.chain[l.index] ?? ''),
              status: l.status,
              outcome: l.outcome,
              carrierCode: l.carrierCode,
              reason: l.outcome === null ? null : outcomeWords(l.outcome, l.carrierCode),
            })),
            timeline: t.timeline,
          },
  };
}

function lastCarrierCode(legs: readonly { readonly carrierCode: string | null }[]): string | null {
  for (let i = legs.length - 1; i >= 0; i -= 1) {
    const code = legs[i]?.carrierCode;
    if (code !== null && code !== undefined) return code;
  }
  return null;
}

/** The `q`-quantile (0..1) of sorted values, nearest rank; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** One slice of the window, for the charts. */
export interface StatsBucket {
  readonly startMs: number;
  readonly calls: number;
  readonly transferred: number;
  readonly connected: number;
}

export interface AgentWindowStats {
  readonly agentId: string;
  readonly calls: number;
  readonly transferred: number;
  readonly connected: number;
  readonly transferRate: number | null;
  readonly successRate: number | null;
  readonly outcomes: Readonly<Record<string, number>>;
  /** Transfer start to the human having the caller, connected transfers only, ms. */
  readonly timeToHuman: { readonly n: number; readonly p50Ms: number | null; readonly p95Ms: number | null };
  readonly buckets: readonly StatsBucket[];
}

/**
 * An agent's figures over `[sinceMs, untilMs)` from its ended calls, and the same split into
 * `bucketCount` equal slices (by the call's end). Rates as in `agentCallStats` (call-view.ts).
 */
export function agentWindowStats(
  agentId: string,
  records: readonly CallRecord[],
  window: { readonly sinceMs: number; readonly untilMs: number; readonly bucketCount: number },
): AgentWindowStats {
  const span = Math.max(1, window.untilMs - window.sinceMs);
  const width = span / window.bucketCount;
  const buckets = Array.from({ length: window.bucketCount }, (_, i) => ({
    startMs: Math.round(window.sinceMs + i * width),
    calls: 0,
    transferred: 0,
    connected: 0,
  }));
  const outcomes: Record<string, number> = {};
  const waits: number[] = [];
  let calls = 0;
  let transferred = 0;
  let connected = 0;
  for (const r of records) {
    const at = r.endedAtMs ?? r.createdAtMs;
    if (at < window.sinceMs || at >= window.untilMs) continue;
    const bucket = buckets[Math.min(window.bucketCount - 1, Math.floor((at - window.sinceMs) / width))];
    calls += 1;
    if (bucket !== undefined) bucket.calls += 1;
    if (r.transfers.length > 0) {
      transferred += 1;
      if (bucket !== undefined) bucket.transferred += 1;
    }
    if (callOutcome(r) === 'connected') {
      connected += 1;
      if (bucket !== undefined) bucket.connected += 1;
    }
    for (const t of r.transfers) {
      const key = t.outcome ?? 'running';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      if (t.outcome === 'connected' && t.endedAtMs !== undefined) waits.push(t.endedAtMs - t.startedAtMs);
    }
  }
  waits.sort((a, b) => a - b);
  return {
    agentId,
    calls,
    transferred,
    connected,
    transferRate: calls === 0 ? null : transferred / calls,
    successRate: transferred === 0 ? null : connected / transferred,
    outcomes,
    timeToHuman: { n: waits.length, p50Ms: quantile(waits, 0.5), p95Ms: quantile(waits, 0.95) },
    buckets,
  };
}
