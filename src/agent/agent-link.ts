import { DaemonError } from '../domain/errors.js';
import type { AudioFormat } from '../domain/media.js';
import type { TransferOutcome } from '../domain/outcome.js';
import { type Base64Payload, base64Text, decodeBase64 } from '../lib/base64-payload.js';
import { type Log, silentLogger } from '../log.js';
import type { AgentMediaSink } from '../media/agent-port.js';
import { type Clock, systemClock } from '../media/clock.js';
import { bytesPerMs, isSupportedFormat } from '../media/formats.js';
import { redactDestination } from '../phone/redact.js';
import { legIndexOf } from '../transfer/machine-state.js';
import type { DaemonControl, ToolResult } from './control-events.js';
import type { AgentEvent, AgentListener } from './events.js';
import { TransferStatusOrder } from './status-order.js';
import type {
  AgentCloseReason,
  AgentTransport,
  AgentTransportOptions,
  AgentTransportStats,
  AgentWire,
  AgentWireEnd,
  TransferStatusUpdate,
} from './transport.js';

/** Lifecycle: connecting → open ⇄ reconnecting → open … → closing → closed; or → failed. */
export type AgentLinkState =
  | 'idle'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'closing'
  | 'closed'
  | 'failed';

/** Control frames (not media) kept while the link is being replaced, then sent on the new one. */
const MAX_PENDING_CONTROL = 64;
/** DTMF digits and mark echoes held with the audio while the link opens. */
const MAX_HELD_EVENTS = 256;

/**
 * A frame waiting for the link to open, in the order it was sent: control frames, and the media
 * plane (caller audio with its capture time, DTMF, mark echoes).
 */
interface Held {
  readonly send: (wire: AgentWire) => boolean;
  readonly kind: 'control' | 'audio' | 'event';
  /** Audio bytes (0 for anything else). */
  readonly bytes: number;
}

/**
 * The {@link AgentTransport} every kind shares, over one kind's {@link AgentWire}.
 *
 * Until the wire is open — first connect, or a reconnect — everything sent is held in order and
 * delivered right after it opens: the caller's first words are not lost to a slow agent. The
 * hold is bounded by the wire's `holdMs` worth of audio; audio past it, or held when the call
 * ends first, is counted as dropped. Held audio keeps its capture time.
 *
 * `transfer_status` only moves forward ({@link TransferStatusOrder}) and its destination is
 * redacted; whatever the listener or the media sink throws is logged and swallowed (nothing an
 * agent sends may end the call). Agent marks with no bridge attached are echoed at once.
 */
export class AgentLink implements AgentTransport {
  readonly format: AudioFormat;
  readonly #wire: AgentWire;
  readonly #listener: AgentListener;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #options: AgentTransportOptions;
  readonly #maxHeldBytes: number;
  readonly #statusOrder = new TransferStatusOrder();
  #sink: AgentMediaSink | undefined;
  #state: AgentLinkState = 'idle';
  #held: Held[] = [];
  #heldBytes = 0;
  #heldControl = 0;
  #heldEvents = 0;
  #droppedFrames = 0;
  #heldFrames = 0;
  #firstOutcome: Promise<boolean>;
  #settleFirst: (opened: boolean) => void = () => {};
  #closed: Promise<void>;
  #settleClosed: () => void = () => {};
  /** Closed while reconnecting with control messages held: the close to make once they are sent. */
  #closeOnOpen: AgentCloseReason | undefined;

  constructor(wire: AgentWire, options: AgentTransportOptions) {
    if (!isSupportedFormat(wire.format)) {
      throw new DaemonError(
        'unsupported_audio_format',
        'agent audio must be μ-law 8 kHz or PCM16 8/16/24 kHz',
      );
    }
    this.format = wire.format;
    this.#wire = wire;
    this.#options = options;
    this.#listener = options.listener;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    this.#maxHeldBytes = Math.ceil(bytesPerMs(wire.format) * wire.holdMs);
    this.#firstOutcome = new Promise((resolve) => {
      this.#settleFirst = resolve;
    });
    this.#closed = new Promise((resolve) => {
      this.#settleClosed = resolve;
    });
  }

  get state(): AgentLinkState {
    return this.#state;
  }

  /** Audio bytes waiting for the link to open. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  get heldBytes(): number {
    return this.#heldBytes;
  }

  /**
   * `heldFrames`: caller frames that waited for the link to open (then delivered in order);
   * `droppedFrames`: media frames never sent (past the hold bound, the call over first, or agent
   * audio with no bridge).
   */
  stats(): AgentTransportStats {
    return { droppedFrames: this.#droppedFrames, heldFrames: this.#heldFrames };
  }

  connect(): Promise<boolean> {
    if (this.#state === 'idle') {
      this.#state = 'connecting';
      this.#wire.open({
        opened: (resumed) => this.#onOpened(resumed),
        lost: (cause) => {
          if (this.#state !== 'open' && this.#state !== 'connecting' && this.#state !== 'reconnecting')
            return;
          this.#state = 'reconnecting';
          this.#emit({ type: 'agent.reconnecting', cause });
        },
        ended: (end) => this.#onEnded(end),
        audio: (payload) => {
          if (this.#state !== 'open') return;
          if (this.#sink === undefined) this.#droppedFrames += 1;
          else this.#guard(() => this.#sink?.onAgentAudio(payload));
        },
        audioBase64: (payload, bytes) => {
          if (this.#state !== 'open') return;
          const sink = this.#sink;
          if (sink === undefined) {
            this.#droppedFrames += 1;
            return;
          }
          // #guard inlined: no closure per frame on the 50-a-second path.
          try {
            if (sink.onAgentAudioBase64 !== undefined) sink.onAgentAudioBase64(payload, bytes);
            else sink.onAgentAudio(decodeBase64(payload));
          } catch (err) {
            this.#listenerError(err);
          }
        },
        mark: (name) => {
          if (this.#state !== 'open') return;
          // With no bridge there is nothing to play, so nothing to wait for.
          if (this.#sink === undefined) this.sendMark(name);
          else this.#guard(() => this.#sink?.onAgentMark(name));
        },
        clear: () => {
          if (this.#state === 'open') this.#guard(() => this.#sink?.onAgentClear());
        },
        control: (event) => {
          if (this.#state === 'open') this.#emit(event);
        },
      });
    }
    return this.#firstOutcome;
  }

  setMediaSink(sink: AgentMediaSink | undefined): void {
    this.#sink = sink;
  }

  backlogBytes(): number {
    return this.#wire.backlogBytes();
  }

  sendAudio(payload: Buffer): void {
    const atMs = this.#clock.nowMs();
    if (this.#state === 'open' && this.#held.length === 0 && this.#wire.sendAudio(payload, atMs)) return;
    if (!this.#holding() || this.#heldBytes + payload.length > this.#maxHeldBytes) {
      this.#droppedFrames += 1;
      this.#options.onAudioDropped?.(1);
      return;
    }
    this.#heldBytes += payload.length;
    this.#heldFrames += 1;
    this.#held.push({ send: (wire) => wire.sendAudio(payload, atMs), kind: 'audio', bytes: payload.length });
  }

  trySendAudioBase64(payload: Base64Payload, underBytes: number): boolean {
    const wire = this.#wire;
    return (
      this.#state === 'open' &&
      this.#held.length === 0 &&
      wire.trySendAudioBase64?.(payload, this.#clock.nowMs(), underBytes) === true
    );
  }

  sendAudioBase64(payload: Base64Payload, bytes: number): void {
    const wire = this.#wire;
    if (wire.sendAudioBase64 === undefined) {
      this.sendAudio(decodeBase64(payload));
      return;
    }
    const atMs = this.#clock.nowMs();
    if (this.#state === 'open' && this.#held.length === 0 && wire.sendAudioBase64(payload, bytes, atMs))
      return;
    if (!this.#holding() || this.#heldBytes + bytes > this.#maxHeldBytes) {
      this.#droppedFrames += 1;
      this.#options.onAudioDropped?.(1);
      return;
    }
    this.#heldBytes += bytes;
    this.#heldFrames += 1;
    // Held: the text, since a span's bytes are the carrier frame's.
    const payloadBase64 = base64Text(payload);
    this.#held.push({
      send: (w) =>
        w.sendAudioBase64?.(payloadBase64, bytes, atMs) ??
        w.sendAudio(Buffer.from(payloadBase64, 'base64'), atMs),
      kind: 'audio',
      bytes,
    });
  }

  sendDtmf(digit: string): void {
    this.#sendEvent((wire) => wire.sendDtmf(digit));
  }

  sendMark(name: string): void {
    this.#sendEvent((wire) => wire.sendMark(name));
  }

  sendTransferStatus(update: TransferStatusUpdate): void {
    const { destination, legId, ordered, ...rest } = update;
    if (ordered !== false) {
      const legIndex = legId === undefined ? undefined : legIndexOf(legId);
      if (!this.#statusOrder.admit(update.transferId, update.status, legIndex)) {
        this.#log.info({ transferId: update.transferId, status: update.status }, 'agent.status_behind');
        return;
      }
    }
    this.#sendControl({
      event: 'transfer_status',
      ...rest,
      ...(destination === undefined ? {} : { destination: redactDestination(destination) }),
    });
  }

  sendSummaryRequest(transferId: string, timeoutMs: number): void {
    this.#sendControl({ event: 'summary_request', transferId, timeoutMs });
  }

  sendSay(transferId: string, text: string): void {
    this.#sendControl({ event: 'say', transferId, text });
  }

  sendResume(transferId: string, outcome: TransferOutcome, carrierCode?: string): void {
    this.#sendControl(
      carrierCode === undefined
        ? { event: 'resume', transferId, outcome }
        : { event: 'resume', transferId, outcome, carrierCode },
    );
  }

  sendToolResult(id: string, result: ToolResult): void {
    this.#sendControl({ event: 'tool_result', id, ...result });
  }

  close(reason: AgentCloseReason = 'call ended'): Promise<void> {
    switch (this.#state) {
      case 'closing':
      case 'closed':
      case 'failed':
        return this.#closed;
      case 'idle':
        this.#finish('closed');
        return this.#closed;
      case 'reconnecting':
        // Control messages wait for the agent (how its transfer ended, above all): the wire's
        // reconnect, bounded by its connect timeout, delivers them before the close; a reconnect
        // that fails ends the link as it would have.
        if (this.#heldControl > 0) this.#closeOnOpen = reason;
        else this.#beginClose(reason);
        return this.#closed;
      default:
        this.#beginClose(reason);
        return this.#closed;
    }
  }

  /** Closes the wire with `reason`; the link is closed once the wire is (`#closed` settles). */
  #beginClose(reason: AgentCloseReason): void {
    this.#state = 'closing';
    this.#wire.close(reason).then(
      () => this.#finish('closed'),
      () => this.#finish('closed'),
    );
  }

  #onOpened(resumed: boolean): void {
    if (this.#state !== 'connecting' && this.#state !== 'reconnecting') return;
    this.#state = 'open';
    const held = this.#takeHeld();
    let audioFrames = 0;
    for (let i = 0; i < held.length; i++) {
      const h = held[i] as Held;
      if (!h.send(this.#wire)) {
        // The wire went away again while we flushed: the rest waits for the next open.
        this.#rehold(held.slice(i));
        break;
      }
      if (h.kind === 'audio') audioFrames += 1;
    }
    if (audioFrames > 0) this.#options.onAudioHeld?.(audioFrames);
    this.#log.info({ resumed, heldFrames: audioFrames }, 'agent.connected');
    const closing = this.#closeOnOpen;
    if (closing !== undefined && this.#held.length === 0) {
      // The call ended while the agent was away: it has now been told what it was owed.
      this.#closeOnOpen = undefined;
      this.#beginClose(closing);
      return;
    }
    this.#emit({ type: 'agent.connected', resumed });
    this.#settleFirst(true);
  }

  #onEnded(end: AgentWireEnd): void {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#state === 'failed') return;
    switch (end.type) {
      case 'hangup':
        this.#finish('closed');
        this.#emit({ type: 'agent.hangup', via: 'close' });
        return;
      case 'failed':
        this.#finish('failed');
        this.#emit({ type: 'agent.failed', error: end.error });
        return;
      case 'closed':
        this.#finish('closed');
        return;
    }
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

  /** DTMF and mark echoes: held with the audio while the link opens, in the same order. */
  #sendEvent(send: (wire: AgentWire) => boolean): void {
    if (this.#state === 'open' && this.#held.length === 0 && send(this.#wire)) return;
    if (!this.#holding() || this.#heldEvents >= MAX_HELD_EVENTS) {
      this.#droppedFrames += 1;
      return;
    }
    this.#heldEvents += 1;
    this.#held.push({ send, kind: 'event', bytes: 0 });
  }

  /** Control messages survive a reconnect: they are sent on the new link, in order. */
  #sendControl(message: DaemonControl): void {
    if (this.#state === 'open' && this.#held.length === 0 && this.#wire.sendControl(message)) return;
    if (this.#holding() && this.#heldControl < MAX_PENDING_CONTROL) {
      this.#heldControl += 1;
      this.#held.push({ send: (wire) => wire.sendControl(message), kind: 'control', bytes: 0 });
    }
  }

  /** Whether frames sent now can still reach the agent (a link that is opening or may reopen). */
  #holding(): boolean {
    return (
      this.#state === 'idle' ||
      this.#state === 'connecting' ||
      this.#state === 'reconnecting' ||
      this.#state === 'open'
    );
  }

  #rehold(frames: readonly Held[]): void {
    for (const h of frames) {
      this.#held.push(h);
      this.#heldBytes += h.bytes;
      if (h.kind === 'control') this.#heldControl += 1;
      else if (h.kind === 'event') this.#heldEvents += 1;
    }
  }

  #takeHeld(): Held[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    this.#heldControl = 0;
    this.#heldEvents = 0;
    return held;
  }

  /**
   * Runs a listener or sink call. Whatever they throw is logged and swallowed: it must not unwind
   * into the transport's event loop, and nothing an agent sends may end the call.
   */
  #guard(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.#listenerError(err);
    }
  }

  #listenerError(err: unknown): void {
    this.#log.error({ code: err instanceof DaemonError ? err.code : 'unexpected' }, 'agent.listener_error');
  }

  #emit(event: AgentEvent): void {
    this.#guard(() => this.#listener.onAgentEvent(event));
  }
}
