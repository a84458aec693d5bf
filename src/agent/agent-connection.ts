import { randomBytes } from 'node:crypto';
import { type RawData, WebSocket } from 'ws';
import type { Carrier } from '../domain/carrier.js';
import { DaemonError } from '../domain/errors.js';
import { type AudioFormat, MULAW_8K } from '../domain/media.js';
import type { TransferOutcome } from '../domain/outcome.js';
import { type Log, silentLogger } from '../log.js';
import { type Clock, systemClock } from '../media/clock.js';
import { bytesPerMs, isSupportedFormat } from '../media/formats.js';
import { legIndexOf } from '../transfer/machine-state.js';
import type { TransferStatus } from '../transfer/machine-types.js';
import { toAgentEvent } from './control-events.js';
import type { AgentEvent, AgentListener, AgentMediaPort, AgentMediaSink } from './events.js';
import { FrameWriter, type ToolResult } from './outbound.js';
import { type AgentMessage, parseAgentFrame } from './protocol.js';
import { redactDestination } from '../phone/redact.js';
import { TransferStatusOrder } from './status-order.js';

export interface AgentConnectionOptions {
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
  /** Audio format both ways on this socket. Default μ-law 8 kHz (Twilio's). */
  readonly format?: AudioFormat;
  readonly listener: AgentListener;
  readonly clock?: Clock;
  /** The call's child logger. */
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
  /**
   * Caller audio held frames that could not be sent (over the hold bound, or the call ended before
   * the socket opened): `frames` 20 ms frames' worth (metrics).
   */
  readonly onAudioDropped?: (frames: number) => void;
  /** Caller audio frames that waited for the socket to open and were then delivered (metrics). */
  readonly onAudioHeld?: (frames: number) => void;
}

/** Lifecycle: connecting → open ⇄ reconnecting → open … → closing → closed; or → failed. */
export type AgentConnectionState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'closing'
  | 'closed'
  | 'failed';

/** Control frames (not media) kept while the socket is being replaced, then sent on the new one. */
const MAX_PENDING_CONTROL = 64;
/** DTMF digits and mark echoes held with the audio while the socket opens. */
const MAX_HELD_EVENTS = 256;
/** Distinct unknown event names remembered for log-once; past it, unknown events are not logged. */
const MAX_UNKNOWN_NAMES = 32;
/** 1000: normal closure. 1005: a close frame without a code (what `ws.close()` with no argument sends). */
const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1005]);

type PendingControl = (writer: FrameWriter) => string;

/**
 * A frame waiting for the socket to open, in the order it was sent: control frames, and the
 * media plane (caller audio with its capture time, DTMF, mark echoes).
 */
interface Held {
  readonly build: PendingControl;
  readonly kind: 'control' | 'audio' | 'event';
  /** Audio bytes (0 for anything else). */
  readonly bytes: number;
  /** When the frame was captured (audio), on the injected clock. */
  readonly atMs: number;
}

/**
 * One call's WebSocket to its agent. The daemon is the client and speaks exactly as Twilio does
 * (protocols.md §2.3): `connected`, `start`, then `media` / `dtmf` / `mark`, and `stop` at the
 * end; the extensions of docs/agent-protocol.md ride on the same socket.
 *
 * Until the socket is open — first connect, or the one reconnect — everything sent is held in
 * order and delivered right after `start`: the caller's first words are not lost to a slow
 * agent. The hold is bounded by the connect timeout's worth of audio (plus the reconnect delay);
 * audio past it, or held when the call ends first, is counted as dropped.
 *
 * A failed socket is replaced once (the new `start` carries `resumed: "true"`); a second failure
 * is reported as `agent.failed`. A normal close by the agent is a hang-up, not a failure. A bad
 * frame is answered with an `error` event and changes nothing. The socket stays open across a
 * transfer attempt; the bridge decides what flows.
 */
export class AgentConnection implements AgentMediaPort {
  readonly format: AudioFormat;
  readonly #options: AgentConnectionOptions;
  readonly #listener: AgentListener;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #writer: FrameWriter;
  readonly #parameters: Readonly<Record<string, string>>;
  #sink: AgentMediaSink | undefined;
  #ws: WebSocket | undefined;
  #state: AgentConnectionState = 'idle';
  #failures = 0;
  #everOpened = false;
  #startedAtMs = 0;
  #lastError: unknown;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #held: Held[] = [];
  #heldBytes = 0;
  #heldControl = 0;
  #heldEvents = 0;
  readonly #maxHeldBytes: number;
  #unknownNames = new Set<string>();
  readonly #statusOrder = new TransferStatusOrder();
  #firstOutcome: Promise<boolean>;
  #settleFirst: (opened: boolean) => void = () => {};
  #closed: Promise<void>;
  #settleClosed: () => void = () => {};
  #droppedFrames = 0;
  #heldFrames = 0;
  #badFrames = 0;

  constructor(options: AgentConnectionOptions) {
    const format = options.format ?? MULAW_8K;
    if (!isSupportedFormat(format)) {
      throw new DaemonError(
        'unsupported_audio_format',
        'agent audio must be μ-law 8 kHz or PCM16 8/16/24 kHz',
      );
    }
    this.format = format;
    this.#options = options;
    this.#listener = options.listener;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
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
    this.#firstOutcome = new Promise((resolve) => {
      this.#settleFirst = resolve;
    });
    this.#closed = new Promise((resolve) => {
      this.#settleClosed = resolve;
    });
    const holdMs = (options.connectTimeoutMs ?? 5000) + (options.reconnectDelayMs ?? 250);
    this.#maxHeldBytes = Math.ceil(bytesPerMs(format) * holdMs);
  }

  get state(): AgentConnectionState {
    return this.#state;
  }

  /** The `streamSid` this connection presents to the agent (one per call, kept across a reconnect). */
  get streamSid(): string {
    return this.#writer.streamSid;
  }

  /**
   * `heldFrames`: caller frames that waited for the socket to open (then delivered in order);
   * `droppedFrames`: media frames never sent (past the hold bound, the call over first, or agent
   * audio with no bridge); `badFrames`: agent frames answered with `error`.
   */
  stats(): { readonly droppedFrames: number; readonly heldFrames: number; readonly badFrames: number } {
    return { droppedFrames: this.#droppedFrames, heldFrames: this.#heldFrames, badFrames: this.#badFrames };
  }

  /** Audio bytes waiting for the socket to open. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /**
   * Opens the socket and sends `connected` and `start`. Resolves `true` once the stream started,
   * `false` if it never did (the listener also got `agent.failed`, or the call was closed first).
   * Never rejects.
   */
  connect(): Promise<boolean> {
    if (this.#state === 'idle') {
      this.#state = 'connecting';
      this.#open();
    }
    return this.#firstOutcome;
  }

  setMediaSink(sink: AgentMediaSink | undefined): void {
    this.#sink = sink;
  }

  bufferedBytes(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  sendAudio(payload: Buffer): void {
    const ws = this.#ws;
    if (this.#state !== 'open' || ws === undefined || ws.readyState !== WebSocket.OPEN) {
      this.#holdAudio(payload);
      return;
    }
    // The frame is ASCII: as a latin1 buffer ws masks it into one buffer and writes once,
    // instead of re-encoding a string as UTF-8 (it stays a text frame).
    ws.send(Buffer.from(this.#writer.media(payload, this.#clock.nowMs() - this.#startedAtMs), 'latin1'), {
      binary: false,
    });
  }

  sendDtmf(digit: string): void {
    this.#sendMedia((writer) => writer.dtmf(digit));
  }

  sendMark(name: string): void {
    this.#sendMedia((writer) => writer.mark(name));
  }

  /**
   * `transfer_status` of a running transfer; the destination is redacted before it leaves. Only
   * progress is sent: a status behind the last one sent for this transfer (`legId`: the leg it
   * is about) is dropped ({@link TransferStatusOrder}). A refused request, which never became a
   * transfer, passes `ordered: false`.
   */
  sendTransferStatus(update: {
    readonly transferId: string;
    readonly status: TransferStatus;
    readonly legId?: string;
    readonly destination?: string;
    readonly outcome?: TransferOutcome;
    readonly ordered?: boolean;
  }): void {
    const { destination, legId, ordered, ...rest } = update;
    if (ordered !== false) {
      const legIndex = legId === undefined ? undefined : legIndexOf(legId);
      if (!this.#statusOrder.admit(update.transferId, update.status, legIndex)) {
        this.#log.info({ transferId: update.transferId, status: update.status }, 'agent.status_behind');
        return;
      }
    }
    const body = destination === undefined ? rest : { ...rest, destination: redactDestination(destination) };
    this.#sendControl((writer) => writer.transferStatus(body));
  }

  sendSummaryRequest(transferId: string, timeoutMs: number): void {
    this.#sendControl((writer) => writer.summaryRequest(transferId, timeoutMs));
  }

  /** The caller is back on this stream after a failed transfer. */
  sendResume(transferId: string, outcome: TransferOutcome, carrierCode?: string): void {
    this.#sendControl((writer) => writer.resume(transferId, outcome, carrierCode));
  }

  sendToolResult(id: string, result: ToolResult): void {
    this.#sendControl((writer) => writer.toolResult(id, result));
  }

  /**
   * Ends the stream: `stop`, then a normal close (1000) with `reason` (≤ 123 bytes; no PII).
   * Resolves once the socket is closed. Idempotent.
   */
  close(reason = 'call ended'): Promise<void> {
    if (this.#reconnectTimer !== undefined) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
    }
    const ws = this.#ws;
    switch (this.#state) {
      case 'closing':
      case 'closed':
      case 'failed':
        return this.#closed;
      case 'open':
        if (ws !== undefined) {
          this.#state = 'closing';
          ws.send(this.#writer.stop(reason));
          // A close reason is at most 123 bytes; printable ASCII keeps the cut on a character boundary.
          ws.close(1000, reason.replace(/[^\x20-\x7e]/g, '').slice(0, 123));
          const timer = setTimeout(() => ws.terminate(), this.#options.closeTimeoutMs ?? 2000);
          timer.unref();
          void this.#closed.then(() => clearTimeout(timer));
          return this.#closed;
        }
        break;
      case 'connecting':
      case 'reconnecting':
        if (ws !== undefined) {
          this.#state = 'closing';
          ws.terminate();
          return this.#closed;
        }
        break;
      default:
        break;
    }
    this.#finish('closed');
    return this.#closed;
  }

  #open(): void {
    const ws = new WebSocket(this.#options.url, {
      headers: { ...this.#options.headers },
      handshakeTimeout: this.#options.connectTimeoutMs ?? 5000,
      perMessageDeflate: false,
    });
    this.#ws = ws;
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data, isBinary));
    ws.on('error', (err) => {
      // A 'close' always follows; the error is kept as the cause of a possible `agent.failed`.
      this.#lastError = err;
    });
    ws.on('close', (code) => this.#onClose(ws, code));
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws || (this.#state !== 'connecting' && this.#state !== 'reconnecting')) return;
    const resumed = this.#everOpened;
    this.#writer.reset();
    // Media timestamps count from `start`; held audio keeps its capture time, so `start` is dated
    // at the first held frame and the timestamps stay true to when the caller spoke.
    const firstAudio = this.#held.find((h) => h.kind === 'audio');
    this.#startedAtMs = Math.min(this.#clock.nowMs(), firstAudio?.atMs ?? Number.POSITIVE_INFINITY);
    ws.send(this.#writer.connected());
    const parameters = resumed ? { ...this.#parameters, resumed: 'true' } : this.#parameters;
    ws.send(this.#writer.start(parameters, this.format));
    this.#state = 'open';
    this.#everOpened = true;
    const held = this.#takeHeld();
    let audioFrames = 0;
    for (const h of held) {
      if (h.kind === 'audio') audioFrames += 1;
      ws.send(h.build(this.#writer));
    }
    if (audioFrames > 0) this.#options.onAudioHeld?.(audioFrames);
    this.#log.info({ resumed, heldFrames: audioFrames }, 'agent.connected');
    this.#emit({ type: 'agent.connected', resumed });
    this.#settleFirst(true);
  }

  #onClose(ws: WebSocket, code: number): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    if (this.#state === 'closing') {
      this.#finish('closed');
      return;
    }
    if (this.#state === 'open' && NORMAL_CLOSE_CODES.has(code)) {
      this.#log.info({ code }, 'agent.hangup');
      this.#finish('closed');
      this.#emit({ type: 'agent.hangup', via: 'close' });
      return;
    }
    this.#failures += 1;
    if (this.#failures >= 2) {
      this.#log.warn({ code, failures: this.#failures }, 'agent.failed');
      const error = new DaemonError('agent_failed', 'the agent socket failed twice', {
        cause: this.#lastError,
      });
      this.#finish('failed');
      this.#emit({ type: 'agent.failed', error });
      return;
    }
    this.#log.warn({ code }, 'agent.reconnecting');
    this.#state = 'reconnecting';
    this.#emit({ type: 'agent.reconnecting', code });
    const delayMs = this.#options.reconnectDelayMs ?? 250;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'reconnecting') this.#open();
    }, delayMs);
  }

  #finish(state: 'closed' | 'failed'): void {
    this.#state = state;
    const lost = this.#takeHeld().reduce((n, h) => n + (h.kind === 'control' ? 0 : 1), 0);
    if (lost > 0) {
      this.#droppedFrames += lost;
      this.#options.onAudioDropped?.(lost);
    }
    this.#settleFirst(false);
    this.#settleClosed();
  }

  #onMessage(ws: WebSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.#ws || this.#state !== 'open') return;
    if (isBinary) {
      this.#reject(ws, 'invalid_frame', 'binary frames are not part of the protocol');
      return;
    }
    const parsed = parseAgentFrame(rawToString(data), this.format);
    switch (parsed.type) {
      case 'media':
        if (this.#sink === undefined) this.#droppedFrames += 1;
        else this.#guard(() => this.#sink?.onAgentAudio(parsed.payload));
        return;
      case 'ok':
        this.#guard(() => this.#dispatch(parsed.message));
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

  #reject(ws: WebSocket, code: string, message: string): void {
    this.#badFrames += 1;
    this.#log.warn({ code }, 'agent.bad_frame');
    ws.send(this.#writer.error(code, message));
  }

  /**
   * Runs a listener or sink call. Whatever they throw is logged and swallowed: it must not unwind
   * into the socket's event loop, and nothing an agent sends may end the call.
   */
  #guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.#log.error({ code: err instanceof DaemonError ? err.code : 'unexpected' }, 'agent.listener_error');
    }
  }

  #dispatch(message: AgentMessage): void {
    if (message.event === 'mark') {
      // With no bridge there is nothing to play, so nothing to wait for.
      if (this.#sink === undefined) this.sendMark(message.mark.name);
      else this.#sink.onAgentMark(message.mark.name);
    } else if (message.event === 'clear') {
      this.#sink?.onAgentClear();
    } else {
      this.#emit(toAgentEvent(message));
    }
  }

  /** DTMF and mark echoes: held with the audio while the socket opens, in the same order. */
  #sendMedia(build: PendingControl): void {
    const ws = this.#ws;
    if (this.#state === 'open' && ws !== undefined && ws.readyState === WebSocket.OPEN) {
      ws.send(build(this.#writer));
      return;
    }
    if (!this.#holding() || this.#heldEvents >= MAX_HELD_EVENTS) {
      this.#droppedFrames += 1;
      return;
    }
    this.#heldEvents += 1;
    this.#held.push({ build, kind: 'event', bytes: 0, atMs: this.#clock.nowMs() });
  }

  /** Control frames survive a reconnect: they are sent on the new socket after its `start`. */
  #sendControl(build: PendingControl): void {
    const ws = this.#ws;
    if (this.#state === 'open' && ws !== undefined && ws.readyState === WebSocket.OPEN) {
      ws.send(build(this.#writer));
      return;
    }
    if (this.#holding() && this.#heldControl < MAX_PENDING_CONTROL) {
      this.#heldControl += 1;
      this.#held.push({ build, kind: 'control', bytes: 0, atMs: this.#clock.nowMs() });
    }
  }

  /**
   * Caller audio while the socket is not open yet (or closing under us, before its `close`
   * decides between a reconnect and the end): kept, up to the hold bound, for the next `start`.
   */
  #holdAudio(payload: Buffer): void {
    if (!this.#holding() || this.#heldBytes + payload.length > this.#maxHeldBytes) {
      this.#droppedFrames += 1;
      this.#options.onAudioDropped?.(1);
      return;
    }
    const atMs = this.#clock.nowMs();
    this.#heldBytes += payload.length;
    this.#heldFrames += 1;
    this.#held.push({
      build: (writer) => writer.media(payload, atMs - this.#startedAtMs),
      kind: 'audio',
      bytes: payload.length,
      atMs,
    });
  }

  /** Whether frames sent now can still reach an agent socket (one that is opening or may reopen). */
  #holding(): boolean {
    return (
      this.#state === 'idle' ||
      this.#state === 'connecting' ||
      this.#state === 'reconnecting' ||
      this.#state === 'open'
    );
  }

  #takeHeld(): Held[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    this.#heldControl = 0;
    this.#heldEvents = 0;
    return held;
  }

  #emit(event: AgentEvent): void {
    this.#listener.onAgentEvent(event);
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
