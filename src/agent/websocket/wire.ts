import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { type RawData, WebSocket } from 'ws';
import type { Carrier } from '../../domain/carrier.js';
import { DaemonError } from '../../domain/errors.js';
import type { AudioFormat } from '../../domain/media.js';
import { type Base64Payload, base64Bytes } from '../../lib/base64-payload.js';
import { FrameScan } from '../../lib/frame-scan.js';
import { clientHeadroom, sendTextFrame } from '../../lib/ws-text-frame.js';
import { readTextFramesInPlace } from '../../lib/ws-text-receive.js';
import { type Log, silentLogger } from '../../log.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../../media/clock.js';
import { type DaemonControl, toAgentEvent } from '../control-events.js';
import type { AgentDropCause } from '../events.js';
import type { AgentCloseReason, AgentWire, AgentWireEvents } from '../transport.js';
import { FrameWriter } from './frames.js';
import { type AgentMessage, parseAgentFrame, scanAgentMedia } from './protocol.js';

export interface WebSocketWireOptions {
  /** The agent's WebSocket URL (`agent.url`), `ws:` or `wss:`. */
  readonly url: string;
  /** Extra headers on the upgrade request (e.g. the agent's auth token). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly callId: string;
  readonly agentId: string;
  readonly carrier: Carrier;
  readonly direction: 'inbound' | 'outbound';
  /** User parameters for `start.customParameters`; the daemon's own keys win on a clash. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly format: AudioFormat;
  readonly clock?: Clock;
  /** Close and reconnect waits, the connect deadline. Default the system's. */
  readonly timers?: Timers;
  readonly log?: Log;
  /** `start.callSid`; default the call id. */
  readonly callSid?: string;
  /** `start.accountSid`; default `AC` + 32 zeros. */
  readonly accountSid?: string;
  /** Wait before the one reconnect, in ms. Default 250. */
  readonly reconnectDelayMs?: number;
  /** Opening handshake limit per attempt, in ms. Default 5 000. */
  readonly connectTimeoutMs?: number;
  /** How long `close()` waits for the agent's close frame before dropping the socket, in ms. Default 2 000. */
  readonly closeTimeoutMs?: number;
  /** The first socket continues a conversation another worker held: its `start` says `resumed`. */
  readonly resumed?: boolean;
}

/** Distinct unknown event names remembered for log-once; past it, unknown events are not logged. */
const MAX_UNKNOWN_NAMES = 32;
/** 1000: normal closure. 1005: a close frame without a code (what `ws.close()` with no argument sends). */
const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1005]);
/** 1006: the socket went away without a close frame. */
const ABNORMAL_CLOSE = 1006;

/**
 * One call's WebSocket to its agent. The daemon is the client and speaks exactly as Twilio does
 * (protocols.md §2.3): `connected`, `start`, then `media` / `dtmf` / `mark`, and `stop` at the
 * end; the control messages of control-events.ts ride on the same socket as extension frames.
 *
 * A failed socket is replaced once (the new `start` carries `resumed: "true"`); a second failure
 * ends the wire as failed. A normal close by the agent (1000, or a close frame without a code) is
 * a hang-up. A bad frame is answered with an `error` event and changes nothing.
 */
export class WebSocketWire implements AgentWire {
  readonly format: AudioFormat;
  readonly holdMs: number;
  readonly #o: WebSocketWireOptions;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #log: Log;
  readonly #writer: FrameWriter;
  /** Reads the agent's plain media frames in place (src/lib/frame-scan.ts). */
  readonly #scan = new FrameScan();
  readonly #parameters: Readonly<Record<string, string>>;
  #events: AgentWireEvents | undefined;
  #ws: WebSocket | undefined;
  /** The TCP socket under `#ws` (its upgrade response's), to hold one tick's writes together. */
  #socket: Socket | undefined;
  #corked = false;
  #open = false;
  #closing = false;
  #done = false;
  #failures = 0;
  #everOpened = false;
  #startedAtMs = 0;
  #lastError: unknown;
  #reconnectTimer: unknown;
  #unknownNames = new Set<string>();
  #badFrames = 0;
  #settleClosed: () => void = () => {};
  readonly #closed: Promise<void>;

  constructor(options: WebSocketWireOptions) {
    this.#everOpened = options.resumed ?? false;
    this.format = options.format;
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#log = options.log ?? silentLogger();
    this.holdMs = (options.connectTimeoutMs ?? 5000) + (options.reconnectDelayMs ?? 250);
    this.#writer = new FrameWriter({
      streamSid: `MZ${randomBytes(16).toString('hex')}`,
      accountSid: options.accountSid ?? `AC${'0'.repeat(32)}`,
      callSid: options.callSid ?? options.callId,
    });
    this.#parameters = {
      ...options.parameters,
      callId: options.callId,
      agentId: options.agentId,
      carrier: options.carrier,
      direction: options.direction,
    };
    this.#closed = new Promise((resolve) => {
      this.#settleClosed = resolve;
    });
  }

  /** The `streamSid` this wire presents to the agent (one per call, kept across a reconnect). */
  get streamSid(): string {
    return this.#writer.streamSid;
  }

  /** Agent frames answered with `error`. */
  get badFrames(): number {
    return this.#badFrames;
  }

  open(events: AgentWireEvents): void {
    if (this.#events !== undefined) return;
    this.#events = events;
    this.#connect();
  }

  sendAudio(payload: Buffer, capturedAtMs: number): boolean {
    const ws = this.#sendable();
    if (ws === undefined) return false;
    // Media timestamps count from `start`; held audio keeps its capture time, so the stream is
    // dated from the first held frame and the timestamps stay true to when the caller spoke.
    if (capturedAtMs < this.#startedAtMs) this.#startedAtMs = capturedAtMs;
    // The frame's bytes, built in one buffer: ws masks it into its own and writes once.
    ws.send(this.#writer.media(payload, capturedAtMs - this.#startedAtMs), TEXT_FRAME);
    return true;
  }

  sendAudioBase64(payload: Base64Payload, _bytes: number, capturedAtMs: number): boolean {
    return this.trySendAudioBase64(payload, capturedAtMs, Number.POSITIVE_INFINITY);
  }

  trySendAudioBase64(payload: Base64Payload, capturedAtMs: number, underBytes: number): boolean {
    const ws = this.#sendable();
    if (ws === undefined || ws.bufferedAmount >= underBytes) return false;
    if (capturedAtMs < this.#startedAtMs) this.#startedAtMs = capturedAtMs;
    // Built with room for its header: framed there and written to the socket at once, or, when
    // ws has to send it, given to ws as a text frame (src/lib/ws-text-frame.ts).
    const out = this.#writer.mediaBase64(payload, capturedAtMs - this.#startedAtMs, clientHeadroom);
    sendTextFrame(ws, this.#socket, out, 'client');
    return true;
  }

  sendDtmf(digit: string): boolean {
    return this.#send(() => this.#writer.dtmf(digit));
  }

  sendMark(name: string): boolean {
    return this.#send(() => this.#writer.mark(name));
  }

  sendControl(message: DaemonControl): boolean {
    return this.#send(() => this.#writer.control(message));
  }

  backlogBytes(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** `stop`, then a normal close (1000) with `reason` (≤ 123 bytes; no PII). */
  close(reason: AgentCloseReason): Promise<void> {
    if (this.#reconnectTimer !== undefined) {
      this.#timers.clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
    }
    if (this.#closing || this.#done) return this.#closed;
    this.#closing = true;
    const ws = this.#ws;
    if (ws === undefined) {
      this.#end();
    } else if (this.#open) {
      ws.send(this.#writer.stop(reason));
      // A close reason is at most 123 bytes; printable ASCII keeps the cut on a character boundary.
      ws.close(1000, reason.replace(/[^\x20-\x7e]/g, '').slice(0, 123));
      const timer = this.#timers.setTimeout(() => ws.terminate(), this.#o.closeTimeoutMs ?? 2000);
      const clear = (): void => this.#timers.clearTimeout(timer);
      this.#closed.then(clear, clear);
    } else {
      ws.terminate();
    }
    return this.#closed;
  }

  #connect(): void {
    const ws = new WebSocket(this.#o.url, {
      headers: { ...this.#o.headers },
      // Audio does not compress; deflate would only cost CPU and a zlib context per call.
      perMessageDeflate: false,
      // Bounded: an agent frame is a few KB of audio or a control message.
      maxPayload: MAX_AGENT_FRAME_BYTES,
      // Every text frame is parsed and checked, and a frame that is not plain ASCII JSON fails
      // that check anyway: ws's separate UTF-8 pass over each frame buys nothing.
      skipUTF8Validation: true,
    });
    this.#ws = ws;
    this.#socket = undefined;
    ws.once('upgrade', (response) => {
      if (ws === this.#ws) this.#socket = response.socket;
    });
    // The opening handshake's deadline, on the injected timers (not `ws`'s own handshakeTimeout,
    // which reads the system clock): terminating a connecting socket fails it as a timeout would.
    const deadline = this.#timers.setTimeout(() => ws.terminate(), this.#o.connectTimeoutMs ?? 5000);
    const clearDeadline = (): void => this.#timers.clearTimeout(deadline);
    ws.once('open', clearDeadline);
    ws.once('close', clearDeadline);
    // As ws hands the socket over, before any of the agent's frames is read: its plain text
    // frames read where they arrive, ahead of ws's reader (src/lib/ws-text-receive.ts).
    ws.once('open', () => {
      if (ws === this.#ws && this.#socket !== undefined)
        readTextFramesInPlace(ws, this.#socket, 'client', MAX_AGENT_FRAME_BYTES);
    });
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data, isBinary));
    ws.on('error', (err) => {
      // A 'close' always follows; the error is kept as the cause of a possible failure.
      this.#lastError = err;
    });
    ws.on('close', (code) => this.#onClose(ws, code));
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws || this.#closing) return;
    const resumed = this.#everOpened;
    this.#writer.reset();
    this.#startedAtMs = this.#clock.nowMs();
    this.#holdForTick();
    ws.send(this.#writer.connected());
    const parameters = resumed ? { ...this.#parameters, resumed: 'true' } : this.#parameters;
    ws.send(this.#writer.start(parameters, this.format));
    this.#open = true;
    this.#everOpened = true;
    this.#events?.opened(resumed);
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    const wasOpen = this.#open;
    this.#ws = undefined;
    this.#open = false;
    if (this.#closing) {
      this.#end();
      return;
    }
    const events = this.#events;
    if (wasOpen && NORMAL_CLOSE_CODES.has(code)) {
      this.#log.info({ code }, 'agent.hangup');
      this.#end();
      events?.ended({ type: 'hangup' });
      return;
    }
    this.#failures += 1;
    if (this.#failures >= 2) {
      this.#log.warn({ code, failures: this.#failures }, 'agent.failed');
      const error = new DaemonError('agent_failed', 'the agent socket failed twice', {
        cause: this.#lastError,
      });
      this.#end();
      events?.ended({ type: 'failed', error });
      return;
    }
    this.#log.warn({ code }, 'agent.reconnecting');
    events?.lost(dropCause(wasOpen, code));
    this.#reconnectTimer = this.#timers.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#closing && !this.#done) this.#connect();
    }, this.#o.reconnectDelayMs ?? 250);
  }

  #end(): void {
    this.#done = true;
    this.#settleClosed();
  }

  #onMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.#ws || !this.#open || this.#closing) return;
    if (isBinary) {
      this.#reject(ws, 'invalid_frame', 'binary frames are not part of the protocol');
      return;
    }
    const events = this.#events;
    if (events === undefined) return;
    if (Buffer.isBuffer(data)) {
      // The plain media frame, read in place in its bytes: no JSON.parse, no string, no base64
      // decoding; anything else takes the full parse.
      const payload = scanAgentMedia(this.#scan, data, this.format);
      if (payload !== undefined) {
        events.audioBase64(payload, base64Bytes(payload));
        return;
      }
    }
    const parsed = parseAgentFrame(rawToString(data), this.format);
    switch (parsed.type) {
      case 'media':
        events.audio(parsed.payload);
        return;
      case 'ok':
        this.#dispatch(events, parsed.message);
        return;
      case 'unknown':
        if (this.#unknownNames.size < MAX_UNKNOWN_NAMES && !this.#unknownNames.has(parsed.event)) {
          this.#unknownNames.add(parsed.event);
          this.#log.info({ event: parsed.event.slice(0, 64) }, 'agent.unknown_event');
        }
        return;
      case 'invalid':
        this.#reject(ws, parsed.code, parsed.message);
        return;
    }
  }

  #dispatch(events: AgentWireEvents, message: AgentMessage): void {
    if (message.event === 'mark') events.mark(message.mark.name);
    else if (message.event === 'clear') events.clear();
    else events.control(toAgentEvent(message));
  }

  #reject(ws: WebSocket, code: string, message: string): void {
    this.#badFrames += 1;
    this.#log.warn({ code }, 'agent.bad_frame');
    ws.send(this.#writer.error(code, message));
  }

  #sendable(): WebSocket | undefined {
    const ws = this.#ws;
    return this.#open && !this.#closing && ws !== undefined && ws.readyState === WebSocket.OPEN
      ? ws
      : undefined;
  }

  #send(build: () => string): boolean {
    const ws = this.#sendable();
    if (ws === undefined) return false;
    this.#holdForTick();
    ws.send(build());
    return true;
  }

  /**
   * The messages sent to the agent in one tick leave in one socket write: a transfer's start
   * tells it three or four things at once (`transfer_accepted`, `transfer_status` started and
   * dialing), the socket's opening two (`connected`, `start`), each a write syscall of its own
   * otherwise. Only the bytes wait, until the tick's promise callbacks are done
   * (`process.nextTick`); every message is still its own frame, in the order sent, and media
   * frames sent meanwhile keep their place among them.
   */
  #holdForTick(): void {
    const socket = this.#socket;
    if (this.#corked || socket === undefined || !socket.writable) return;
    this.#corked = true;
    socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      socket.uncork();
    });
  }
}

/** `ws.send` options for a frame built as bytes: it is still a text frame (ASCII JSON). */
const TEXT_FRAME = { binary: false } as const;

/** Largest frame accepted from an agent, in bytes (ws closes the socket past it with 1009). */
const MAX_AGENT_FRAME_BYTES = 1024 * 1024;

/** A close code in transport-neutral terms. */
function dropCause(wasOpen: boolean, code: number): AgentDropCause {
  if (!wasOpen) return 'unreachable';
  return code === ABNORMAL_CLOSE ? 'dropped' : 'error';
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
