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

export function newFrame(): Buffer {
  return Buffer.alloc(FRAME_BYTES, 0xff);
}

export function stampFrame(frame: Buffer, callIndex: number, seq: number, atMs: number): void {
  frame.writeUInt32LE(callIndex, 0);
  frame.writeUInt32LE(seq, 4);
  frame.writeDoubleLE(atMs, 8);
}

export function restamp(frame: Buffer, atMs: number): void {
  frame.writeDoubleLE(atMs, 8);
}

export interface FrameStamp {
  readonly callIndex: number;
  readonly seq: number;
  readonly atMs: number;
}

export function readStamp(frame: Buffer): FrameStamp | undefined {
  if (frame.length < 16) return undefined;
  return { callIndex: frame.readUInt32LE(0), seq: frame.readUInt32LE(4), atMs: frame.readDoubleLE(8) };
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
