/**
 * A media frame's WebSocket framing written in place, for the frames a socket sends 50 times a
 * second per call. `ws.send` frames a message as a header buffer of its own plus the message (a
 * corked two-buffer `writev` from a server; a masked copy of the whole from a client) and builds
 * two option objects per send; here the frame builder leaves {@link TEXT_FRAME_HEADROOM} bytes
 * free at the front of the buffer it writes anyway, the header goes there, a client's payload is
 * masked where it lies, and the socket gets the frame in one write of one buffer.
 *
 * It writes to the same socket `ws` writes to, so it is used only while nothing of `ws`'s own can
 * be between: the socket open, and `ws`'s sender holding nothing back (it queues only while it
 * compresses, never here, or reads a Blob, never sent here). Anything else — closing, a message
 * of 64 KiB or more — is left to `ws.send`, and the frames stay in the order they were sent.
 */
import { randomFillSync } from 'node:crypto';
import type { WebSocket } from 'ws';

/** Bytes a frame builder leaves at the front of its buffer: a client's header for up to 64 KiB (2 + 2 + 4-byte mask). */
export const TEXT_FRAME_HEADROOM = 8;

/** The socket under a `ws` WebSocket, as this module writes to it. */
export interface FrameSocket {
  /** Bytes written and not yet handed to the kernel (what `ws.bufferedAmount` counts of it). */
  readonly writableLength: number;
  write(chunk: Uint8Array): boolean;
}

/** Which end of the connection this is: a client masks every frame it sends (RFC 6455 §5.3). */
export type FrameRole = 'client' | 'server';

const FIN_TEXT = 0x81;
const MASK_BIT = 0x80;
const LENGTH_16 = 126;
const MAX_SHORT = 125;
const MAX_16 = 0xffff;

/** Masking keys, drawn from the system's CSPRNG in blocks, four bytes a frame. */
const KEYS = Buffer.alloc(8192);
let keyAt = KEYS.length;

/**
 * Sends the text message written at `out[TEXT_FRAME_HEADROOM…]` as one frame on `socket`, the TCP
 * socket under `ws`. The message must be valid UTF-8 (media frames are ASCII JSON). Returns false,
 * having written nothing, when the frame is `ws.send`'s to send (see the module's comment).
 */
export function sendTextFrame(ws: WebSocket, socket: FrameSocket, out: Buffer, role: FrameRole): boolean {
  const length = out.length - TEXT_FRAME_HEADROOM;
  if (length > MAX_16 || ws.readyState !== ws.OPEN || ws.bufferedAmount !== socket.writableLength) {
    return false;
  }
  const masked = role === 'client';
  const keyBytes = masked ? 4 : 0;
  let start: number;
  if (length <= MAX_SHORT) {
    start = TEXT_FRAME_HEADROOM - 2 - keyBytes;
    out[start + 1] = masked ? MASK_BIT | length : length;
  } else {
    start = TEXT_FRAME_HEADROOM - 4 - keyBytes;
    out[start + 1] = masked ? MASK_BIT | LENGTH_16 : LENGTH_16;
    out[start + 2] = length >>> 8;
    out[start + 3] = length & 0xff;
  }
  out[start] = FIN_TEXT;
  if (masked) mask(out);
  socket.write(start === 0 ? out : out.subarray(start));
  return true;
}

/** Puts a fresh key in the four bytes before the payload and masks the payload with it. */
function mask(out: Buffer): void {
  if (keyAt === KEYS.length) {
    randomFillSync(KEYS);
    keyAt = 0;
  }
  const k0 = KEYS[keyAt] as number;
  const k1 = KEYS[keyAt + 1] as number;
  const k2 = KEYS[keyAt + 2] as number;
  const k3 = KEYS[keyAt + 3] as number;
  keyAt += 4;
  const at = TEXT_FRAME_HEADROOM;
  out[at - 4] = k0;
  out[at - 3] = k1;
  out[at - 2] = k2;
  out[at - 1] = k3;
  const end = out.length;
  let i = at;
  for (; i + 3 < end; i += 4) {
    out[i] = (out[i] as number) ^ k0;
    out[i + 1] = (out[i + 1] as number) ^ k1;
    out[i + 2] = (out[i + 2] as number) ^ k2;
    out[i + 3] = (out[i + 3] as number) ^ k3;
  }
  if (i < end) out[i] = (out[i] as number) ^ k0;
  if (i + 1 < end) out[i + 1] = (out[i + 1] as number) ^ k1;
  if (i + 2 < end) out[i + 2] = (out[i + 2] as number) ^ k2;
}
