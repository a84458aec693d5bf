/**
 * The media frames the load generator sends: 160 bytes of μ-law (20 ms at 8 kHz, as Twilio
 * sends) carrying a call index, a sequence number and a send time, so the far end can tell
 * latency, loss and reordering. The daemon passes μ-law through untouched, so the bytes arrive
 * as they left.
 *
 * Layout: [0..3] call index (u32 LE), [4..7] sequence (u32 LE), [8..15] send time
 * (float64 LE, `performance.now()` of the load process), the rest μ-law silence (0xFF).
 */
import { Samples } from '../lib/stats.js';

export const FRAME_BYTES = 160;
export const FRAME_MS = 20;

/**
 * The stamp takes the first 18 bytes (a multiple of 3), so it is exactly the first 24 base64
 * characters: the load process reads and rewrites those and leaves the rest of the payload's
 * base64 as it came — the measuring instrument stays light, so the server gets a fair core.
 */
const STAMP_BYTES = 18;
const STAMP_CHARS = 24;
const TAIL_B64 = Buffer.alloc(FRAME_BYTES - STAMP_BYTES, 0xff).toString('base64');
const stampBuffer = Buffer.alloc(STAMP_BYTES, 0xff);

/** The base64 payload of a frame stamped with this call, sequence number and time. */
export function stampedPayload(callIndex: number, seq: number, atMs: number): string {
  stampBuffer.writeUInt32LE(callIndex, 0);
  stampBuffer.writeUInt32LE(seq, 4);
  stampBuffer.writeDoubleLE(atMs, 8);
  return stampBuffer.toString('base64') + TAIL_B64;
}

/** The same payload with a new time. */
export function restamped(payload: string, atMs: number): string {
  const head = Buffer.from(payload.slice(0, STAMP_CHARS), 'base64');
  if (head.length < 16) return payload;
  head.writeDoubleLE(atMs, 8);
  return head.toString('base64') + payload.slice(STAMP_CHARS);
}

export interface FrameStamp {
  readonly callIndex: number;
  readonly seq: number;
  readonly atMs: number;
}

export function readStamp(payload: string): FrameStamp | undefined {
  const head = Buffer.from(payload.slice(0, STAMP_CHARS), 'base64');
  if (head.length < 16) return undefined;
  return { callIndex: head.readUInt32LE(0), seq: head.readUInt32LE(4), atMs: head.readDoubleLE(8) };
}

/** True for a Twilio-dialect `media` message as the daemon, the relay and this bench write them. */
export function isMedia(text: string): boolean {
  return text.startsWith('{"event":"media"');
}

/** The `payload` string of a `media` message, found without parsing the JSON (base64 has no quotes). */
export function payloadOf(text: string): string {
  const at = text.indexOf('"payload":"');
  if (at < 0) return '';
  const from = at + 11;
  const to = text.indexOf('"', from);
  return to < 0 ? '' : text.slice(from, to);
}

/** One direction's bookkeeping: frames received per call, last sequence seen, gaps, reorders. */
class Direction {
  readonly received: Uint32Array;
  readonly lastSeq: Int32Array;
  readonly latency = new Samples();
  reordered = 0;
  gaps = 0;

  constructor(maxCalls: number) {
    this.received = new Uint32Array(maxCalls);
    this.lastSeq = new Int32Array(maxCalls).fill(-1);
  }

  see(stamp: FrameStamp, nowMs: number, recording: boolean): void {
    const i = stamp.callIndex;
    if (i >= this.received.length) return;
    this.received[i] = (this.received[i] ?? 0) + 1;
    const last = this.lastSeq[i] ?? -1;
    if (stamp.seq <= last) this.reordered += 1;
    else {
      if (stamp.seq > last + 1) this.gaps += 1;
      this.lastSeq[i] = stamp.seq;
    }
    if (recording) this.latency.push(nowMs - stamp.atMs);
  }

  total(): number {
    let sum = 0;
    for (const n of this.received) sum += n;
    return sum;
  }
}

/**
 * Everything the load process learns about the frames: `up` is carrier → (daemon) → agent,
 * `down` is agent → (daemon) → carrier. Latency samples are kept only while `recording`.
 */
export class FrameLedger {
  readonly sent: Uint32Array;
  readonly up: Direction;
  readonly down: Direction;
  /** Frames the agent echoed (sent down). */
  echoed = 0;
  recording = false;

  constructor(maxCalls: number) {
    this.sent = new Uint32Array(maxCalls);
    this.up = new Direction(maxCalls);
    this.down = new Direction(maxCalls);
  }

  totals(): { sent: number; upReceived: number; echoed: number; downReceived: number } {
    let sent = 0;
    for (const n of this.sent) sent += n;
    return { sent, upReceived: this.up.total(), echoed: this.echoed, downReceived: this.down.total() };
  }

  clearLatency(): void {
    this.up.latency.clear();
    this.down.latency.clear();
  }
}

/**
 * A Twilio Media Streams opening, as Twilio sends it: `connected`, then `start` for an inbound
 * μ-law 8 kHz track with the stream document's custom parameters.
 */
export function twilioStreamOpening(
  accountSid: string,
  callSid: string,
  streamSid: string,
  customParameters: Readonly<Record<string, string>>,
): [connected: string, start: string] {
  return [
    JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      start: {
        accountSid,
        streamSid,
        callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid,
    }),
  ];
}
