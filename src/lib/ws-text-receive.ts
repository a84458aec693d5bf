/**
 * A media socket's text frames read where they arrive: the receiving half of ws-text-frame.ts.
 *
 * `ws` reads every frame through its Receiver, a writable stream: the socket's chunk is written
 * to it, buffered, its header read field by field, the payload consumed, unmasked and handed on
 * through two events. A media socket's frames are nearly all one kind — a text message in one
 * unfragmented frame, whole in the chunk that brought it — so those are read here, first: at a
 * frame boundary, outside a fragmented message, a frame with FIN set, opcode 1 (text), no RSV
 * bit, masked exactly when the peer must mask (RFC 6455 §5.1: a client masks, a server never),
 * a 7- or 16-bit length of at most `maxPayload` bytes, and all of it in the chunk, is unmasked
 * in place and emitted as ws emits a message: `'message'` with a Buffer of the chunk's bytes
 * and `isBinary` false, while the socket is open.
 *
 * Everything else goes to ws's own reader, byte for byte and in order: a frame split over
 * chunks, binary, ping, pong, close, a fragmented message and what is interleaved in it, RSV
 * bits, a 64-bit length, anything larger than `maxPayload`, a frame masked the wrong way (ws
 * refuses it as it always has), and every byte once the socket is no longer open. To know where
 * the next frame starts, the lengths of the frames given to ws are followed here (a header split
 * over chunks included); nothing of ws's private state is read. ws emits its messages as it
 * reads them (`allowSynchronousEvents`, its default), so bytes it is given before a frame read
 * here are its messages before that frame's: the order of messages is the order of frames. ws
 * reports a frame it refuses a tick later, but pauses the socket at once: once it has paused the
 * socket on bytes given to it, the rest of the chunk is its own to read; once it takes its
 * listener off the socket (a close frame, an error, the socket closed), nothing more is read.
 *
 * The chunks come as a TCP or TLS socket reads them: one its stream would emit at once (flowing,
 * nothing held) goes from the stream's `push` straight to the reader, not through the stream's
 * `'data'` event and the `read(0)` it schedules after each one; any other takes the stream's way.
 *
 * Text is not checked as UTF-8 here, as the media sockets' `skipUTF8Validation` has ws not
 * check it: every text frame they carry is parsed and checked anyway.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  applyMask,
  FIN_TEXT,
  type FrameRole,
  LENGTH_16,
  LENGTH_64,
  MASK_BIT,
  MASK_KEY,
} from './ws-text-frame.js';

/** The socket under a `ws` WebSocket, as this module reads it. */
export type ReadSocket = Pick<Duplex, 'listeners' | 'listenerCount' | 'removeListener' | 'on' | 'isPaused'>;

type WsRead = (this: unknown, chunk: Buffer) => void;

/**
 * Reads `ws`'s plain text frames from `socket` in place (see the module's comment), in front of
 * ws's own reader. Call it as ws hands the socket over (the server's upgrade callback, the
 * client's `'open'`), before any data is read. Undefined, and nothing changed, when ws's reader
 * is not the socket's one `'data'` listener.
 */
export function readTextFramesInPlace(
  ws: WebSocket,
  socket: ReadSocket,
  role: FrameRole,
  maxPayload: number,
): InPlaceReading | undefined {
  const listeners = socket.listeners('data');
  const wsRead = listeners[0] as WsRead | undefined;
  if (listeners.length !== 1 || wsRead?.name !== WS_READ_NAME) return undefined;
  socket.removeListener('data', wsRead);
  const reader = new FrameReader(ws, role === 'server', maxPayload);
  // ws stops reading by taking its listener off the socket (a close frame received, a protocol
  // error, the socket closed): from then on nothing more is read, here either.
  const removeListener = socket.removeListener;
  socket.removeListener = function (this: ReadSocket, event, listener) {
    if (event === 'data' && listener === wsRead) {
      reader.stop();
      return this;
    }
    return removeListener.call(this, event, listener);
  } as typeof socket.removeListener;
  const onData = function read(this: unknown, chunk: Buffer): void {
    reader.read(
      chunk,
      (bytes) => wsRead.call(this, bytes),
      () => socket.isPaused(),
    );
  };
  socket.on('data', onData);
  if (socket instanceof Socket) takePushedChunks(socket, onData);
  return reader;
}

/**
 * Hands `socket`'s chunks to its one `'data'` listener, `onData`, as they are read. A TCP or TLS
 * socket (`net.Socket`) gives each chunk it reads to the stream's `push` (stream_base_commons.js
 * `onStreamRead`) and goes on reading until `push` says the stream holds enough: flowing, with
 * nothing buffered, the stream emits the chunk as `'data'` at once and then schedules a `read(0)`
 * on the next tick, which for a socket that is reading does nothing. Such a chunk goes to
 * `onData` straight away. Every other one — the stream paused (ws pauses it when its reader holds
 * too much or failed) or holding bytes, ended or destroyed, another `'data'` listener, the end of
 * the stream itself — takes the stream's own `push`, and reaches `onData` as `'data'` when the
 * stream lets it go: chunks keep their order either way. Any other stream (one that reads a chunk
 * per `_read`, which only the stream's own `push` keeps asking for) is left on `'data'`.
 */
function takePushedChunks(socket: Socket, onData: (this: Socket, chunk: Buffer) => void): void {
  const push = socket.push;
  /** The stream was given its end (`push(null)`): nothing more is taken here. */
  let ended = false;
  socket.push = function (this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (
      chunk instanceof Buffer &&
      !ended &&
      !this.destroyed &&
      this.readableFlowing === true &&
      this.readableLength === 0 &&
      this.listenerCount('data') === 1
    ) {
      onData.call(this, chunk);
      return true;
    }
    if (chunk === null) ended = true;
    return push.call(this, chunk, encoding);
  };
}

/** What a socket's reader did. */
export interface InPlaceReading {
  /** Messages read in place (the rest were ws's to read). */
  readonly framesInPlace: number;
}

/** The name of ws's `'data'` listener (ws/lib/websocket.js `socketOnData`). */
const WS_READ_NAME = 'socketOnData';

const OPCODE = 0x0f;
const FIN = 0x80;
const CONTINUATION = 0x0;
const CONTROL = 0x8;
/** The longest frame header: 2 bytes, a 64-bit length, a mask key. */
const MAX_HEADER = 14;

/** Follows a socket's frames; reads the plain text ones, gives the rest to ws. */
class FrameReader implements InPlaceReading {
  readonly #ws: WebSocket;
  /** The peer masks its frames (this end is the server). */
  readonly #masked: boolean;
  readonly #maxPayload: number;
  /** Bytes of the frame ws is reading that are still to come. */
  #skip = 0;
  /** A header split over chunks, as far as it came. */
  readonly #head = new Uint8Array(MAX_HEADER);
  #headLength = 0;
  /** A data message fragmented over frames is open (its continuation frames go to ws too). */
  #fragmented = false;
  /** ws no longer reads the socket: neither does this. */
  #stopped = false;
  framesInPlace = 0;

  constructor(ws: WebSocket, masked: boolean, maxPayload: number) {
    this.#ws = ws;
    this.#masked = masked;
    this.#maxPayload = maxPayload;
  }

  stop(): void {
    this.#stopped = true;
  }

  /**
   * One chunk of the socket: its plain text frames emitted, the rest given to ws (`toWs`), in
   * order. `paused`: whether the socket is paused (ws pauses it when its reader fails, or holds
   * more than it wants, on what it was given).
   */
  read(chunk: Buffer, toWs: (bytes: Buffer) => void, paused: () => boolean): void {
    if (this.#stopped) return;
    const n = chunk.length;
    let i = 0;
    /** Where the bytes for ws that are not given to it yet begin; -1: none. */
    let from = -1;
    /** The rest of the chunk is ws's to read. */
    let wsOnly = false;
    while (i < n) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, n - i);
        if (from < 0) from = i;
        this.#skip -= take;
        i += take;
        continue;
      }
      if (this.#headLength > 0) {
        if (from < 0) from = i;
        i = this.#moreHead(chunk, i);
        continue;
      }
      // A frame begins at `i`.
      const end = wsOnly ? 0 : this.#plainTextEnd(chunk, i);
      if (end > 0) {
        if (from >= 0) {
          toWs(chunk.subarray(from, i));
          from = -1;
          // ws's messages so far are out; it may have stopped reading or closed meanwhile.
          if (this.#stopped) return;
          if (paused()) {
            // ws's reader failed on those bytes (ws says so a tick later, and stops reading) or
            // holds more than it wants: the rest of the chunk is its to read, as without this
            // reader; the frames' lengths are still followed for the next chunk.
            wsOnly = true;
            continue;
          }
          if (this.#ws.readyState !== this.#ws.OPEN) continue;
        }
        this.#emit(chunk, i, end);
        if (this.#stopped) return;
        i = end;
        continue;
      }
      if (from < 0) from = i;
      i = this.#startHead(chunk, i);
    }
    if (from >= 0) toWs(from === 0 ? chunk : chunk.subarray(from));
  }

  /**
   * The end of the plain text frame at `at` (see the module's comment), or 0 when the frame there
   * is anything else or not whole in the chunk.
   */
  #plainTextEnd(b: Buffer, at: number): number {
    if (this.#fragmented || this.#ws.readyState !== this.#ws.OPEN) return 0;
    if (at + 2 > b.length || b[at] !== FIN_TEXT) return 0;
    const second = b[at + 1] as number;
    if ((second & MASK_BIT) !== (this.#masked ? MASK_BIT : 0)) return 0;
    const header = headerLength(b, at, b.length - at);
    if ((second & 0x7f) === LENGTH_64 || at + header > b.length) return 0;
    const length = payloadLength(b, at);
    if (length > this.#maxPayload) return 0;
    const end = at + header + length;
    return end <= b.length ? end : 0;
  }

  /** Emits the plain text frame `[at, end)` as ws would, unmasked where it lies. */
  #emit(b: Buffer, at: number, end: number): void {
    const start = at + headerLength(b, at, end - at);
    if (this.#masked) applyMask(b, start - MASK_KEY, end);
    this.framesInPlace += 1;
    this.#ws.emit('message', b.subarray(start, end), false);
  }

  /** A frame for ws begins at `at`: follows its header (all of it here, or the start of it). */
  #startHead(b: Buffer, at: number): number {
    const whole = headerLength(b, at, b.length - at);
    if (whole > 0 && at + whole <= b.length) {
      this.#follow(b, at);
      this.#skip = payloadLength(b, at);
      return at + whole;
    }
    const rest = b.length - at;
    this.#head.set(b.subarray(at), 0);
    this.#headLength = rest;
    return b.length;
  }

  /** More of a split header, from `at`. */
  #moreHead(b: Buffer, at: number): number {
    const head = this.#head;
    let i = at;
    for (;;) {
      const whole = headerLength(head, 0, this.#headLength);
      if (whole > 0 && this.#headLength >= whole) break;
      if (i >= b.length) return i;
      head[this.#headLength++] = b[i++] as number;
    }
    this.#follow(head, 0);
    this.#skip = payloadLength(head, 0);
    this.#headLength = 0;
    return i;
  }

  /** What a frame given to ws does to the message state: a data frame without FIN opens one. */
  #follow(b: Uint8Array, at: number): void {
    const first = b[at] as number;
    const opcode = first & OPCODE;
    if (opcode >= CONTROL) return;
    const fin = (first & FIN) !== 0;
    if (opcode === CONTINUATION) {
      if (fin) this.#fragmented = false;
    } else if (!fin) {
      this.#fragmented = true;
    }
  }
}

/**
 * The length of the frame header at `at` (mask key included), from its first `available`
 * bytes; 0 while fewer than two are there.
 */
function headerLength(b: Uint8Array, at: number, available: number): number {
  if (available < 2) return 0;
  const second = b[at + 1] as number;
  const code = second & 0x7f;
  const mask = (second & MASK_BIT) !== 0 ? MASK_KEY : 0;
  return 2 + (code === LENGTH_16 ? 2 : code === LENGTH_64 ? 8 : 0) + mask;
}

/** The payload length of the whole header at `at`. */
function payloadLength(b: Uint8Array, at: number): number {
  const code = (b[at + 1] as number) & 0x7f;
  if (code < LENGTH_16) return code;
  if (code === LENGTH_16) return ((b[at + 2] as number) << 8) | (b[at + 3] as number);
  // 64-bit: ws refuses lengths past 2^53 − 1 and closes the socket; followed as far as a number goes.
  let length = 0;
  for (let k = 2; k < 10; k++) length = length * 256 + (b[at + k] as number);
  return length;
}
