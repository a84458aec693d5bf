import type { CallRecord } from '../runtime/call-record.js';
import type { Store } from '../store/types.js';

/** What `patchthrough status` shows. No phone numbers: this is for operators' terminals. */
export interface StatusSnapshot {
  readonly atMs: number;
  readonly workers: readonly {
    readonly workerId: string;
    readonly startedAtMs: number;
    readonly lastBeatMs: number;
    /** Live calls whose media socket this worker holds. */
    readonly calls: number;
  }[];
  readonly calls: readonly {
    readonly callId: string;
    readonly agentId: string;
    readonly agentVersion: number;
    readonly carrier: string;
    readonly direction: string;
    readonly phase: string;
    readonly createdAtMs: number;
    /** Worker holding the media socket, if any. */
    readonly worker: string | null;
  }[];
  readonly transfers: readonly {
    readonly callId: string;
    readonly transferId: string;
    readonly mode: string;
    readonly phase: string;
    readonly trigger: string;
    readonly startedAtMs: number;
    /** Leg statuses in dial order, e.g. `busy, ringing`. */
    readonly legs: readonly string[];
    /** Remaining lifetime of the `transfer:{callId}` flag, ms; null when no flag is set. */
    readonly flagTtlMs: number | null;
  }[];
  /** True when there were more live calls than listed. */
  readonly truncated: boolean;
}

/** Reads the workers, live calls and running transfers from the store. */
export async function collectStatus(
  store: Pick<Store<CallRecord>, 'workers' | 'calls' | 'sockets' | 'flags'>,
  options: { readonly limit: number; readonly nowMs: number },
): Promise<StatusSnapshot> {
  const workers = await store.workers.list();
  const active = await store.calls.listActive({ limit: options.limit + 1 });
  const listed = active.slice(0, options.limit);
  const owners = await Promise.all(listed.map((c) => store.sockets.owner(c.callId)));
  const perWorker = new Map<string, number>();
  for (const owner of owners) if (owner !== null) perWorker.set(owner, (perWorker.get(owner) ?? 0) + 1);
  const calls = listed.map((c, i) => ({
    callId: c.callId,
    agentId: c.record.agentId,
    agentVersion: c.record.agentVersion,
    carrier: c.record.carrier,
    direction: c.record.direction,
    phase: c.record.phase,
    createdAtMs: c.record.createdAtMs,
    worker: owners[i] ?? null,
  }));
  const running = listed.filter((c) => c.record.phase === 'transferring' && c.record.transfer !== null);
  const transfers = await Promise.all(
    running.map(async (c) => {
      const t = c.record.transfer;
      if (t === null) throw new Error('unreachable');
      return {
        callId: c.callId,
        transferId: t.transferId,
        mode: t.mode,
        phase: t.phase,
        trigger: t.plan.trigger,
        startedAtMs: t.startedAtMs,
        legs: t.legs.map((l) => l.outcome ?? l.status),
        flagTtlMs: await store.flags.ttlMs(c.callId),
      };
    }),
  );
  return {
    atMs: options.nowMs,
    workers: workers.map((w) => ({
      workerId: w.workerId,
      startedAtMs: w.startedAtMs,
      lastBeatMs: w.lastBeatMs,
      calls: perWorker.get(w.workerId) ?? 0,
    })),
    calls,
    transfers,
    truncated: active.length > options.limit,
  };
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Plain-text rendering for a terminal. Pure. */
export function formatStatus(s: StatusSnapshot): string {
  const out: string[] = [];
  out.push(`workers (${s.workers.length})`);
  out.push(
    ...table(
      ['WORKER', 'UP', 'LAST BEAT', 'CALLS'],
      s.workers.map((w) => [
        w.workerId,
        age(s.atMs - w.startedAtMs),
        `${age(s.atMs - w.lastBeatMs)} ago`,
        String(w.calls),
      ]),
    ),
  );
  out.push('', `live calls (${s.calls.length}${s.truncated ? '+' : ''})`);
  out.push(
    ...table(
      ['CALL', 'AGENT', 'CARRIER', 'DIR', 'PHASE', 'AGE', 'WORKER'],
      s.calls.map((c) => [
        c.callId,
        `${c.agentId}@v${c.agentVersion}`,
        c.carrier,
        c.direction,
        c.phase,
        age(s.atMs - c.createdAtMs),
        c.worker ?? '-',
      ]),
    ),
  );
  out.push('', `running transfers (${s.transfers.length})`);
  out.push(
    ...table(
      ['TRANSFER', 'MODE', 'PHASE', 'TRIGGER', 'AGE', 'LEGS', 'FLAG TTL'],
      s.transfers.map((t) => [
        t.transferId,
        t.mode,
        t.phase,
        t.trigger,
        age(s.atMs - t.startedAtMs),
        t.legs.join(',') || '-',
        t.flagTtlMs === null ? 'none' : age(t.flagTtlMs),
      ]),
    ),
  );
  return `${out.join('\n')}\n`;
}
