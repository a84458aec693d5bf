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

/**
 * The load process reads and writes frames as the bytes the socket carries, never as strings:
 * a `media` message is recognised by its first bytes, its payload found with `Buffer#indexOf`,
 * the stamp's 24 base64 characters decoded and re-encoded in place. Decoding each frame to a
 * string, slicing the payload out and decoding its stamp through another string cost the load
 * process up to ≈ 5–10 % more per frame (docs/performance.md, 2026-12-02 14:20); the rest of its
 * cost is that of any relay — a socket read and a write per frame, ws framing, the kernel.
 */
const MEDIA_PREFIX = Buffer.from('{"event":"media"', 'latin1');
const PAYLOAD_KEY = Buffer.from('"payload":"', 'latin1');
const QUOTE = 0x22;
const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const SEXTET = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET[i] ?? 0] = i;
/** The stamp last decoded by {@link decodeStamp} (one per process: the load process is one thread). */
const stampBytes = Buffer.alloc(STAMP_BYTES);

/** Where the payload of a `media` message starts in its bytes, or -1 when it is not one. */
export function payloadAt(frame: Buffer): number {
  if (
    frame.length < MEDIA_PREFIX.length ||
    frame.compare(MEDIA_PREFIX, 0, MEDIA_PREFIX.length, 0, MEDIA_PREFIX.length) !== 0
  )
    return -1;
  const at = frame.indexOf(PAYLOAD_KEY, MEDIA_PREFIX.length);
  return at < 0 ? -1 : at + PAYLOAD_KEY.length;
}

/** Decodes the stamp of the payload starting at `at` into {@link stampBytes}; false when it has none. */
function decodeStamp(frame: Buffer, at: number): boolean {
  if (at < 0 || at + STAMP_CHARS > frame.length) return false;
  for (let i = 0, o = 0; i < STAMP_CHARS; i += 4, o += 3) {
    const a = SEXTET[frame[at + i] ?? 0] ?? -1;
    const b = SEXTET[frame[at + i + 1] ?? 0] ?? -1;
    const c = SEXTET[frame[at + i + 2] ?? 0] ?? -1;
    const d = SEXTET[frame[at + i + 3] ?? 0] ?? -1;
    if ((a | b | c | d) < 0) return false;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    stampBytes[o] = n >>> 16;
    stampBytes[o + 1] = (n >>> 8) & 0xff;
    stampBytes[o + 2] = n & 0xff;
  }
  return true;
}

/** Writes {@link stampBytes} as 24 base64 characters at `at`. */
function encodeStamp(out: Buffer, at: number): void {
  for (let i = 0, o = at; i < STAMP_BYTES; i += 3, o += 4) {
    const n = ((stampBytes[i] ?? 0) << 16) | ((stampBytes[i + 1] ?? 0) << 8) | (stampBytes[i + 2] ?? 0);
    out[o] = ALPHABET[n >>> 18] ?? 0;
    out[o + 1] = ALPHABET[(n >>> 12) & 63] ?? 0;
    out[o + 2] = ALPHABET[(n >>> 6) & 63] ?? 0;
    out[o + 3] = ALPHABET[n & 63] ?? 0;
  }
}

/**
 * The agent's echo of a `media` message whose payload starts at `at`: `head` (the message up to
 * the payload's opening quote, included), the same payload restamped with `atMs`, and `"}}`.
 * Undefined when the payload carries no stamp.
 */
export function echoFrame(head: Buffer, frame: Buffer, at: number, atMs: number): Buffer | undefined {
  const end = frame.indexOf(QUOTE, at);
  if (end < 0 || !decodeStamp(frame, at)) return undefined;
  stampBytes.writeDoubleLE(atMs, 8);
  const out = Buffer.allocUnsafe(head.length + (end - at) + 3);
  head.copy(out, 0);
  encodeStamp(out, head.length);
  frame.copy(out, head.length + STAMP_CHARS, at + STAMP_CHARS, end);
  out.write('"}}', head.length + (end - at), 'latin1');
  return out;
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

  /** Notes the frame whose payload starts at `at` (payloadAt), if it carries a stamp; says whether it did. */
  seeFrame(frame: Buffer, at: number, nowMs: number, recording: boolean): boolean {
    if (!decodeStamp(frame, at)) return false;
    this.#see(
      stampBytes.readUInt32LE(0),
      stampBytes.readUInt32LE(4),
      stampBytes.readDoubleLE(8),
      nowMs,
      recording,
    );
    return true;
  }

  #see(i: number, seq: number, atMs: number, nowMs: number, recording: boolean): void {
    if (i >= this.received.length) return;
    this.received[i] = (this.received[i] ?? 0) + 1;
    const last = this.lastSeq[i] ?? -1;
    if (seq <= last) this.reordered += 1;
    else {
      if (seq > last + 1) this.gaps += 1;
      this.lastSeq[i] = seq;
    }
    if (recording) this.latency.push(nowMs - atMs);
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
