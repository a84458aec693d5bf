/**
 * The invariants about audio: every caller frame from the stream's start to the transfer reaches
 * the agent, in order; and the caller never hears nothing for longer than
 * {@link DEAD_AIR_BOUND_MS}.
 */
import {
  DEAD_AIR_BOUND_MS,
  OUTAGE_HELD_MS,
  OUTAGE_RECOVERY_MS,
  STREAM_DEAD_AIR_BOUND_MS,
  TRANSIT_MS,
} from './bounds.js';
import type { Violation } from './invariants.js';
import type { Observation } from './observation.js';

/**
 * The caller frames the agent received before its first `transfer_status` (over every session
 * of the call, in order) must be the frames the carrier's first stream sent, from its first, with
 * none missing or out of order; and every frame said at least {@link TRANSIT_MS} before the
 * transfer started (or the call ended) must be among them.
 */
export function audioLost(o: Observation): Violation[] {
  const first = o.caller.firstStreamFrame;
  if (first === undefined || first < 0) return [];
  // A frame said while the carrier had no stream open (its socket dropped and the next one not
  // yet started), or on the way when it dropped, never left the carrier: not the daemon's loss.
  const streams = o.caller.streams;
  // Nor one held inside a worker that was killed (or said while it was down): it died with it.
  const outages = o.outages ?? [];
  const streamed = (atMs: number): boolean =>
    (streams === undefined || streams.some((s) => atMs >= s.fromMs && atMs <= s.toMs - TRANSIT_MS)) &&
    !outages.some((w) => atMs >= w.fromMs - OUTAGE_HELD_MS && atMs <= w.toMs);
  const unstreamed = new Set(o.caller.said.filter((f) => !streamed(f.atMs)).map((f) => f.frame));
  // Nor one on its way to an agent socket that died without a close frame (the agent dropped
  // it): written before the daemon could know, it died unread in that socket (docs/agent-protocol.md,
  // "Reconnect and failure").
  for (const frame of inFlightAtDrops(o)) unstreamed.add(frame);
  const say = (message: string): Violation[] => [{ kind: 'audio_lost', message }];
  const got: number[] = [];
  let statusAtMs: number | undefined;
  outer: for (const s of o.agent)
    for (const f of s.frames) {
      if (f.event === 'transfer_status') {
        statusAtMs = f.atMs;
        break outer;
      }
      if (f.event === 'media' && f.frame >= 0) got.push(f.frame);
    }
  let expected = first;
  for (let i = 0; i < got.length; i++) {
    const frame = got[i] as number;
    while (frame > expected && unstreamed.has(expected)) expected++;
    if (frame === expected) {
      expected++;
      continue;
    }
    return i === 0
      ? say(`the agent's first caller frame is #${frame}, the stream's first was #${first}`)
      : say(`after caller frame #${got[i - 1]} the agent got #${frame}`);
  }
  const startedAtMs = Math.min(
    o.record?.transfers[0]?.startedAtMs ?? Infinity,
    statusAtMs ?? Infinity,
    o.caller.end?.atMs ?? Infinity,
  );
  if (startedAtMs === Infinity) return [];
  const owed = o.caller.said.filter(
    (f) => f.frame >= first && f.atMs <= startedAtMs - TRANSIT_MS && !unstreamed.has(f.frame),
  );
  const last = owed.reduce((m, f) => Math.max(m, f.frame), -1);
  const through = got.length === 0 ? first - 1 : (got[got.length - 1] as number);
  if (last > through)
    return say(
      `the caller said frames #${first}..#${last} by ${startedAtMs - TRANSIT_MS}; the agent got ${got.length === 0 ? 'none' : `#${got[0]}..#${through}`} before the transfer`,
    );
  return [];
}

/**
 * Caller frames that may have died in an agent socket closed without a close frame (1006): said
 * in the {@link TRANSIT_MS} before it closed, after the last frame it got.
 */
function inFlightAtDrops(o: Observation): number[] {
  const out: number[] = [];
  for (const s of o.agent) {
    if (s.role === 'briefing' || s.closeCode !== 1006 || s.closedAtMs === undefined) continue;
    const closedAtMs = s.closedAtMs;
    const last = s.frames.reduce((m, f) => (f.event === 'media' ? Math.max(m, f.frame) : m), -1);
    for (const f of o.caller.said)
      if (f.frame > last && f.atMs <= closedAtMs && f.atMs >= closedAtMs - TRANSIT_MS) out.push(f.frame);
  }
  return out;
}

/** How long, between `fromMs` and `toMs`, a media stream of the caller's call was open at the carrier. */
function streamOpenMs(o: Observation, fromMs: number, toMs: number): number {
  let ms = 0;
  for (const s of o.caller.streams ?? [])
    ms += Math.max(0, Math.min(toMs, s.toMs) - Math.max(fromMs, s.fromMs));
  return ms;
}

/**
 * Gaps longer than the bound in everything the caller heard, from the answer to the hang-up;
 * and gaps whose part with the caller's stream open (the daemon holding the line) is longer
 * than {@link STREAM_DEAD_AIR_BOUND_MS}.
 */
export function deadAir(o: Observation): Violation[] {
  const from = o.caller.answeredAtMs;
  const to = o.caller.end?.atMs;
  if (from === undefined || to === undefined) return [];
  const out: Violation[] = [];
  // A stream's digital silence is nothing heard (its comfort noise is something).
  const spans = o.caller.heard.filter((s) => s.level !== 'silence').sort((a, b) => a.startMs - b.startMs);
  let cursor = from;
  let after = 'the answer';
  const gap = (untilMs: number, before: string): void => {
    // A silence that an outage fell in may last as long as the daemon takes to recover from it.
    const outage = (o.outages ?? []).some((w) => w.fromMs <= untilMs && w.toMs >= cursor);
    const extra = (o.quietByDesignMs ?? 0) + (outage ? OUTAGE_RECOVERY_MS : 0);
    const bound = DEAD_AIR_BOUND_MS + extra;
    const what = `from ${cursor} after ${after} until ${before}`;
    if (untilMs - cursor > bound) {
      out.push({
        kind: 'dead_air',
        message: `the caller heard nothing for ${untilMs - cursor} ms (bound ${bound}${outage ? ', an outage in it' : ''}), ${what}`,
      });
      return;
    }
    // The part of it with the caller's stream open: the daemon's to fill.
    const onStream = streamOpenMs(o, cursor, untilMs);
    const streamBound = STREAM_DEAD_AIR_BOUND_MS + extra;
    if (onStream > streamBound)
      out.push({
        kind: 'dead_air',
        message: `the caller heard nothing for ${untilMs - cursor} ms, ${onStream} of them on the daemon's stream (bound ${streamBound}${outage ? ', an outage in it' : ''}), ${what}`,
      });
  };
  for (const s of spans) {
    if (s.startMs > to) break;
    gap(s.startMs, `${s.source} at ${s.startMs}`);
    if (s.endMs > cursor) {
      cursor = s.endMs;
      after = s.source;
    }
  }
  gap(to, `the hang-up at ${to}`);
  return out;
}

/**
 * Agentic: the briefing socket hears the human only. The caller's audio is unique frame by frame,
 * so any caller frame on it is the held caller reaching the AI during the briefing.
 */
export function briefingLeak(o: Observation): Violation[] {
  for (const s of o.agent) {
    if (s.role !== 'briefing') continue;
    const leaked = s.frames.find((f) => f.event === 'media' && f.frame >= 0);
    if (leaked !== undefined && leaked.event === 'media')
      return [
        {
          kind: 'briefing_leak',
          message: `the briefing socket got the caller's frame #${leaked.frame} at ${leaked.atMs}`,
        },
      ];
  }
  return [];
}
