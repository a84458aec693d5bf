/**
 * A media frame's WebSocket framing written in place, for the frames a socket sends 50 times a
 * second per call. `ws.send` frames a message as a header buffer of its own plus the message (a
 * corked two-buffer `writev` from a server; a masked copy of the whole from a client) and builds
 * two option objects per send; here the frame builder leaves the header's bytes free at the front
 * of the buffer it writes anyway ({@link clientHeadroom}, {@link serverHeadroom}), the header goes
 * there, a client's payload is masked where it lies, and the socket gets the frame in one write
 * of one buffer.
 *
 * It writes to the same socket `ws` writes to, so it does so only while nothing of `ws`'s own can
 * be between: the socket open, and `ws`'s sender holding nothing back (it queues only while it
 * compresses, never on these sockets, or reads a Blob, never sent on them). Otherwise the message
 * goes to `ws.send`, and the frames stay in the order they were sent.
 */
import { randomFillSync } from 'node:crypto';
import type { WebSocket } from 'ws';

/** The socket under a `ws` WebSocket, as this module writes to it. */
export interface FrameSocket {
  /** Bytes written and not yet handed to the kernel (what `ws.bufferedAmount` counts of it). */
  readonly writableLength: number;
  write(chunk: Uint8Array): boolean;
}

/** Which end of the connection this is: a client masks every frame it sends (RFC 6455 §5.3). */
export type FrameRole = 'client' | 'server';

/** The bytes a frame's header takes before a message of `length` bytes, with no mask. */
function headerLength(length: number): number {
  return length <= MAX_7 ? 2 : length <= MAX_16 ? 4 : 10;
}

/** Header bytes before a message of `length` bytes sent by a server (unmasked). */
export const serverHeadroom = (length: number): number => headerLength(length);

/** Header bytes before a message of `length` bytes sent by a client (with its 4-byte mask key). */
export const clientHeadroom = (length: number): number => headerLength(length) + MASK_KEY;

/** RFC 6455 §5.2: a frame's first byte for a whole text message (FIN, opcode 1). */
export const FIN_TEXT = 0x81;
/** The second byte's mask bit. */
export const MASK_BIT = 0x80;
/** The second byte's length codes for a 16-bit and a 64-bit extended length. */
export const LENGTH_16 = 126;
export const LENGTH_64 = 127;
const MAX_7 = 125;
const MAX_16 = 0xffff;
/** Bytes of a masking key. */
export const MASK_KEY = 4;

/** `ws.send` options for a message given to ws: a text frame. */
const TEXT = { binary: false } as const;

/** Masking keys, drawn from the system's CSPRNG in blocks, four bytes a frame. */
const KEYS = Buffer.alloc(8192);
let keyAt = KEYS.length;

/**
 * Sends `out` — the header's room ({@link clientHeadroom} or {@link serverHeadroom} of the
 * message's length, by `role`), then a text message (valid UTF-8: media frames are ASCII JSON) —
 * as one frame: framed in place and written to `socket`, the TCP socket under `ws`, in one write;
 * or, when ws's own frames could be between (see the module's comment), or there is no socket,
 * by `ws.send`.
 */
export function sendTextFrame(
  ws: WebSocket,
  socket: FrameSocket | undefined,
  out: Buffer,
  role: FrameRole,
): void {
  const masked = role === 'client';
  const head = headroomOf(out.length, masked);
  if (socket === undefined || ws.readyState !== ws.OPEN || ws.bufferedAmount !== socket.writableLength) {
    ws.send(out.subarray(head), TEXT);
    return;
  }
  const length = out.length - head;
  out[0] = FIN_TEXT;
  const bit = masked ? MASK_BIT : 0;
  if (length <= MAX_7) {
    out[1] = bit | length;
  } else if (length <= MAX_16) {
    out[1] = bit | LENGTH_16;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = bit | LENGTH_64;
    out.writeUIntBE(0, 2, 2);
    out.writeUIntBE(length, 4, 6);
  }
  if (masked) mask(out, head);
  socket.write(out);
}

/**
 * The header's room at the front of a buffer of `total` bytes that a builder made with
 * {@link serverHeadroom} / {@link clientHeadroom}: each length class gives totals of its own.
 */
function headroomOf(total: number, masked: boolean): number {
  const key = masked ? MASK_KEY : 0;
  if (total - 2 - key <= MAX_7) return 2 + key;
  if (total - 4 - key <= MAX_16) return 4 + key;
  return 10 + key;
}

/** Puts a fresh key in the four bytes before the message at `at` and masks the message with it. */
function mask(out: Buffer, at: number): void {
  if (keyAt === KEYS.length) {
    randomFillSync(KEYS);
    keyAt = 0;
  }
  out[at - 4] = KEYS[keyAt] as number;
  out[at - 3] = KEYS[keyAt + 1] as number;
  out[at - 2] = KEYS[keyAt + 2] as number;
  out[at - 1] = KEYS[keyAt + 3] as number;
  keyAt += MASK_KEY;
  applyMask(out, at - MASK_KEY, out.length);
}

/**
 * XORs bytes `[keyAt + 4, end)` of `b` with the 4-byte masking key at `keyAt` (RFC 6455 §5.3),
 * in place: masking and unmasking are the same operation.
 */
export function applyMask(b: Uint8Array, keyAt: number, end: number): void {
  const k0 = b[keyAt] as number;
  const k1 = b[keyAt + 1] as number;
  const k2 = b[keyAt + 2] as number;
  const k3 = b[keyAt + 3] as number;
  let i = keyAt + MASK_KEY;
  for (; i + 3 < end; i += 4) {
    b[i] = (b[i] as number) ^ k0;
    b[i + 1] = (b[i + 1] as number) ^ k1;
    b[i + 2] = (b[i + 2] as number) ^ k2;
    b[i + 3] = (b[i + 3] as number) ^ k3;
  }
  if (i < end) b[i] = (b[i] as number) ^ k0;
  if (i + 1 < end) b[i + 1] = (b[i + 1] as number) ^ k1;
  if (i + 2 < end) b[i + 2] = (b[i + 2] as number) ^ k2;
}
