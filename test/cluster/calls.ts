/**
 * One call's life in a cluster run and its verdict, shared by the cluster test and the soak
 * (test/soak/run.ts): wait until the caller is with a person or the AI, talk a while, check
 * again, hang up; then judge the call from the simulator's record (what each party heard, how
 * each leg ended) against the store's record.
 */
import type { HumanBehaviour } from '../../sim/endpoints/human.js';
import type { Simulator } from '../../sim/simulator.js';
import type { ScriptStart, ScriptStep } from '../../src/agent/scripted-agent-server.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { Store } from '../../src/store/types.js';
import { eventually } from '../support/eventually.js';
import type { Cluster } from './cluster.js';
import type { Observed } from './observer.js';
import type { CallPlan } from './plan.js';

/** What a caller hears from one source, at least, before we call it "with a person" / "with the AI". */
export const HEARING_MS = 1000;
/** How long a caller may wait to be with a person or the AI (a ring timeout, a lease, a restart). */
export const SETTLE_MS = 120_000;

export interface Verdict {
  readonly index: number;
  readonly sid: string;
  readonly carrier: string;
  settledAs?: 'human' | 'ai';
  problem?: string;
  record?: CallRecord;
}

export interface FollowOptions {
  readonly store: Store<CallRecord>;
  /** Whether the agent has asked for this call's transfer yet (until then the AI is only the beginning). */
  readonly transferAsked: (sid: string) => boolean;
  /** How long the caller talks once settled, ms. */
  readonly talkMs: number;
}

/** Follows one call to its end, filling `v` (never throws: a failure is `v.problem`). */
/**
 * The call's saved record, or undefined while the store does not answer: a Redis restart is one
 * of the faults under test, and the judge waits it out rather than take it for the call's failure.
 */
async function recordOf(store: FollowOptions['store'], sid: string): Promise<CallRecord | undefined> {
  try {
    return (await store.calls.get(sid))?.record;
  } catch {
    return undefined;
  }
}

export async function followCall(
  o: Observed,
  p: CallPlan,
  v: Verdict,
  options: FollowOptions,
): Promise<void> {
  const s = options.store;
  const with_ = async (): Promise<'human' | 'ai' | undefined> => {
    if (o.call.state === 'ended')
      throw new Error(`the caller's line ended (${o.call.leg.end?.status} by ${o.call.leg.end?.by})`);
    const rec = await recordOf(s, o.call.sid);
    if (rec?.phase === 'human' && hearing(o, 'party:')) return 'human';
    if (rec?.phase === 'ai' && rec.transfers.every((t) => t.outcome !== undefined) && hearing(o, 'stream:')) {
      if (rec.transfers.length > 0 || !options.transferAsked(o.call.sid)) return 'ai';
    }
    return undefined;
  };
  try {
    v.settledAs = await eventually(
      with_,
      () => `call ${o.index} (${p.carrier}) to be with a person or the AI`,
      {
        timeoutMs: SETTLE_MS,
        everyMs: 100,
      },
    );
    // Talk on while other workers die, then the line must still be live.
    const talkUntil = performance.now() + options.talkMs;
    await eventually(
      async () => performance.now() >= talkUntil && (await with_()) !== undefined,
      () => `call ${o.index} to be still with a person or the AI after talking`,
      { timeoutMs: SETTLE_MS, everyMs: 100 },
    );
    v.settledAs = (await with_()) ?? v.settledAs;
  } catch (err) {
    v.problem = err instanceof Error ? err.message : String(err);
  } finally {
    o.call.hangup();
    v.record = await eventually(
      async () => {
        const r = await recordOf(s, o.call.sid);
        return r?.phase === 'ended' ? r : undefined;
      },
      () => `call ${o.index}'s record to end`,
      { timeoutMs: 60_000, everyMs: 100 },
    ).catch((err: unknown) => {
      v.problem ??= err instanceof Error ? err.message : String(err);
      return undefined;
    });
  }
}

/** A problem, with its kind (for counting) and its text. */
export interface Problem {
  readonly kind: string;
  readonly text: string;
}

/**
 * What is wrong with one followed call, judged from what its parties heard and did: the caller
 * reached a person or the AI, heard no carrier error, the call ended as a hang-up or a transfer,
 * every transfer has exactly one outcome, the human talked with the caller exactly when the
 * record says `connected`, and nobody who never answered is `connected`.
 */
export function judgeCall(sim: Simulator, o: Observed, p: CallPlan, v: Verdict): Problem[] {
  const problems: Problem[] = [];
  const where = `call ${v.index} (${v.carrier} ${p.mode}, human ${p.human}, ${v.sid})`;
  const add = (kind: string, text: string): void => {
    problems.push({ kind, text: `${where}: ${text}` });
  };
  if (v.problem !== undefined)
    add(/ended \(/.test(v.problem) ? 'caller_dropped' : 'caller_stranded', v.problem);
  for (const text of o.saysHeard)
    if (/error|sorry/i.test(text)) add('carrier_error_heard', `the caller heard "${text}"`);
  // Exotel's Voicebot answered 409 is the flow's way on to the Passthru (providers/exotel/markup.ts).
  const markupErrors = sim.log
    .forCall(v.sid)
    .entries.filter((e) => e.type === 'markup.error' && !/^voicebot URL: HTTP 409$/.test(e.message));
  for (const e of markupErrors) add('carrier_markup_error', `carrier markup error ${JSON.stringify(e)}`);
  const r = v.record;
  if (r === undefined) return problems;
  if (r.endedReason !== 'caller_hangup' && r.endedReason !== 'transferred')
    add('wrong_ended_reason', `ended as ${r.endedReason}`);
  for (const t of r.transfers) {
    if (t.outcome === undefined || t.endedAtMs === undefined)
      add('transfer_without_outcome', `transfer ${t.transferId} has no outcome`);
  }
  const connected = r.transfers.filter((t) => t.outcome === 'connected').length;
  const humanJoined = o.human.heard.from('party:').length > 0 && o.call.heard.from('party:').length > 0;
  if (connected > 1) add('connected_twice', `${connected} transfers say connected`);
  if (humanJoined !== (connected === 1)) {
    add(
      'outcome_mismatch',
      `the human ${humanJoined ? 'talked with' : 'never talked with'} the caller, the record says ${JSON.stringify(r.transfers.map((t) => t.outcome))}`,
    );
  }
  if (v.settledAs === 'human' && connected !== 1)
    add('outcome_mismatch', 'with a person but no connected transfer');
  if ((p.human === 'busy' || p.human === 'no-answer') && connected > 0)
    add('outcome_mismatch', 'connected to a human who never answered');
  return problems;
}

/** What the human of a plan does when the transfer rings them. */
export function behaviourOf(p: CallPlan): HumanBehaviour {
  const speak = { type: 'tone', hz: 660, durationMs: 120_000 } as const;
  switch (p.human) {
    case 'answers':
      return { type: 'answer', afterMs: p.answerAfterMs, speak };
    case 'busy':
      return { type: 'busy', afterMs: 800 };
    case 'no-answer':
      return { type: 'no-answer' };
    case 'hangs-up-in-whisper':
      return { type: 'answer', afterMs: p.answerAfterMs, hangupDuringWhisper: { afterMs: 300 }, speak };
  }
}

/** The caller is hearing `prefix` now, and has for a while (an open segment ≥ HEARING_MS). */
function hearing(o: Observed, prefix: string): boolean {
  const seg = o.call.heard.last(prefix);
  return seg !== undefined && Date.now() - seg.endMs < 500 && seg.endMs - seg.startMs >= HEARING_MS;
}

/** `a=2 b=1` counts of `key` over `xs`. */
export function count<T>(xs: readonly T[], key: (x: T) => string): string {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k}=${n}`).join(' ');
}

/**
 * One call as lines, for a failure's report (CI keeps only what is printed): the simulator's log
 * of the call and its human's legs, the faults around it, what the caller heard, the record, and
 * the worker lines naming the call.
 */
export function timeline(
  c: Cluster,
  v: Verdict,
  human: string,
  faults: readonly { readonly atMs: number; readonly what: string }[],
): string {
  const t0 = c.sim.log.forCall(v.sid).entries[0]?.atMs ?? 0;
  const at = (ms: number): string => `+${((ms - t0) / 1000).toFixed(2)}s`;
  const lines = [`--- call ${v.index} ${v.carrier} ${v.sid}`];
  const legs = c.sim.network.legs.filter((l) => l.label === v.sid || l.to === human);
  const ids = new Set([v.sid, ...legs.map((l) => l.label ?? '')]);
  const entries = c.sim.log.entries.filter((e) => e.callSid !== undefined && ids.has(e.callSid));
  const last = entries.at(-1)?.atMs ?? t0;
  for (const e of entries) {
    const { seq: _s, atMs, carrier: _c, callSid, conferenceSid: _f, type, ...rest } = e;
    const detail = JSON.stringify(rest).slice(0, 220);
    lines.push(`  ${at(atMs)} ${callSid === v.sid ? 'caller' : 'human '} ${type} ${detail}`);
  }
  for (const f of faults)
    if (f.atMs >= t0 - 10_000 && f.atMs <= last + 10_000) lines.push(`  ${at(f.atMs)} ${f.what}`);
  const o = c.sim.network.calls.find((x) => x.sid === v.sid);
  for (const seg of o?.heard.segments ?? [])
    lines.push(`  heard ${seg.source} ${at(seg.startMs)}..${at(seg.endMs)}`);
  lines.push(`  record ${JSON.stringify(v.record ?? null).slice(0, 1500)}`);
  for (const [worker, out] of Object.entries(c.outputs()))
    for (const line of out
      .split('\n')
      .filter((l) => l.includes(v.sid))
      .slice(-25))
      lines.push(`  [${worker}] ${line.slice(0, 300)}`);
  return lines.join('\n');
}

/**
 * The agent of a cluster run: the first session of a call speaks, then asks for the transfer its
 * plan says (`transferOf`, or nothing for a call it does not know) and waits for `resume`; every
 * later session (after a worker died, or back from the transfer) just speaks on. The scripted
 * agent sends a `say` in one burst and the daemon discards what an agent sends while the caller
 * is away, so it speaks a second at a time: a session that lives through a transfer still has
 * something to say after `resume`. `transferred` collects the calls whose transfer was asked.
 */
export function transferScript(
  transferOf: (
    callId: string,
  ) => { readonly destination: string; readonly mode: 'cold' | 'warm' } | undefined,
  transferred: Set<string>,
  reason: string,
  answered: (callId: string) => boolean = () => true,
): (start: ScriptStart) => readonly ScriptStep[] {
  const speakOn: ScriptStep[] = [];
  for (let i = 0; i < 150; i++) speakOn.push({ say: 1000, mark: false }, { waitMs: 900 });
  return (start) => {
    const callId = start.callId ?? '';
    const t = transferOf(callId);
    // Asked on a socket whose worker died before answering it (no `transfer_status` came back):
    // the daemon never heard the ask, so the agent asks again, as a real one would.
    if (t === undefined || (transferred.has(callId) && answered(callId))) return speakOn;
    transferred.add(callId);
    return [
      { say: 600 },
      { transfer: { destination: t.destination, mode: t.mode, reason } },
      { awaitEvent: 'resume' },
      ...speakOn,
    ];
  };
}
