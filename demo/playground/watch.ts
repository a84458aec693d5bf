/**
 * One call's live timeline for the playground: the daemon's call record (its call and transfer
 * events, read back from the store as they are written) and, from the simulator, who starts
 * hearing whom. Each new fact becomes one line `+3.24s  who  what`.
 */
import type { SimCall } from '../../sim/endpoints/caller.js';
import type { AudioLabel } from '../../sim/heard.js';
import type { Simulator } from '../../sim/simulator.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import { heardLine } from '../print.js';
import type { Person } from './parts.js';

export type Line = (who: string, what: string) => void;

export interface CallWatch {
  /** Resolves with the final record once the daemon has recorded the call's end. */
  readonly ended: Promise<CallRecord>;
  /** What each party heard during this call, one line each (`you heard: AI 2.80s → ringback…`). */
  heardLines(): string[];
  stop(): void;
}

const POLL_MS = 100;

export function watchCall(
  call: SimCall,
  sim: Simulator,
  people: readonly Person[],
  getRecord: (callId: string) => Promise<CallRecord | undefined>,
  line: Line,
): CallWatch {
  const unsubscribes: (() => void)[] = [];
  const nameOf = (number: string): string => {
    const person = people.find((p) => p.number === number);
    return person === undefined ? number : `${person.label} (${number})`;
  };
  /** Whose call a `party:<callId>` label is: the caller's, or a person's leg. */
  const partyName = (legId: string): string => {
    if (legId === call.sid) return 'you';
    for (const p of people) {
      const endpoint = sim.network.endpoint(p.number);
      if (endpoint.legs.some((leg) => leg.label === legId || leg.id === legId)) return p.label;
    }
    return 'another party';
  };
  const describe = (label: AudioLabel, listener: string): string => {
    const [kind, id = ''] = label.source.split(/:(.*)/s);
    if (kind === 'stream') return 'the agent';
    if (kind === 'party') return partyName(id);
    if (kind === 'say')
      return `${listener === 'you' ? 'an announcement' : 'the whisper'} "${label.text ?? ''}"`;
    if (kind === 'hold') return 'hold music';
    if (kind === 'ringback') return 'ringing';
    return kind ?? label.source;
  };
  /** Prints a line when a party starts hearing something other than what it heard last. */
  const listen = (who: string, heard: SimCall['heard']): void => {
    let last = '';
    unsubscribes.push(
      heard.onRecord((_leg, label) => {
        const what = describe(label, who);
        if (what === last) return;
        last = what;
        line(who === 'you' ? 'you hear' : `${who} hears`, what);
      }),
    );
  };
  const firstSegment = new Map(
    people.map((p) => [p.number, sim.network.endpoint(p.number).heard.segments.length]),
  );
  listen('you', call.heard);
  for (const p of people) listen(nameOf(p.number), sim.network.endpoint(p.number).heard);

  const seen = new Set<string>();
  let polling: ReturnType<typeof setInterval> | undefined;
  const ended = new Promise<CallRecord>((resolve) => {
    const poll = async (): Promise<void> => {
      const record = await getRecord(call.sid);
      if (record === undefined) return;
      const entries = [
        ...record.timeline.map((e, i) => ({ key: `call:${i}`, who: 'call', ...e })),
        ...(record.transfer?.timeline ?? []).map((e, i) => ({
          key: `${record.transfer?.transferId}:${i}`,
          who: 'transfer',
          atMs: e.atMs,
          event: e.event,
          detail: e.detail === undefined ? e.state : `${e.detail} → ${e.state}`,
        })),
      ].sort((a, b) => a.atMs - b.atMs);
      for (const e of entries) {
        if (seen.has(e.key)) continue;
        seen.add(e.key);
        line(e.who, `${e.event}${e.detail === undefined ? '' : ` (${e.detail})`}`);
      }
      if (record.phase === 'ended') {
        clearInterval(polling);
        resolve(record);
      }
    };
    polling = setInterval(() => {
      poll().catch((err: unknown) => line('playground', `could not read the call: ${String(err)}`));
    }, POLL_MS);
  });
  return {
    ended,
    heardLines() {
      const lines = [`you heard: ${heardLine(call.heard.segments)}`];
      for (const p of people) {
        const segments = sim.network.endpoint(p.number).heard.segments.slice(firstSegment.get(p.number));
        if (segments.length > 0) lines.push(`${nameOf(p.number)} heard: ${heardLine(segments)}`);
      }
      return lines;
    },
    stop() {
      clearInterval(polling);
      for (const u of unsubscribes) u();
    },
  };
}

/** The call's end in one line: each transfer's mode and outcome, and why the call ended. */
export function summary(record: CallRecord): string {
  const transfers = record.transfers.map((t) => `${t.mode} transfer → ${t.outcome ?? 'running'}`);
  const refusals = record.refusals.map((r) => `refused: ${r.refusal}`);
  return `${[...transfers, ...refusals].join(', ') || 'no transfer'}; ended: ${record.endedReason ?? '?'}`;
}
