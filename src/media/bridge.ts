import {
  type AudioFormat,
  type InboundMediaEvent,
  MULAW_8K,
  type OutboundMediaEvent,
} from '../domain/media.js';
import { type Base64Payload, base64Bytes, base64Text, decodeBase64 } from '../lib/base64-payload.js';
import type { AgentMediaPort, AgentMediaSink } from './agent-port.js';
import { type Clock, systemClock, systemTimers, type Timers } from './clock.js';
import { bytesPerMs, silenceByte } from './formats.js';
import { type MarkOwner, type MarkResult, MarkTracker } from './marks.js';
import { Pacer } from './pacer.js';
import { Rechunker, type RechunkRule } from './rechunk.js';
import { createTranscoder, type Transcode } from './transcode.js';
import { WAIT_TICK_MS, WaitAudio, type WaitAudioSpec } from './wait-audio.js';

/** The carrier stream as the bridge sees it; the carrier's codec turns these events into its wire JSON. */
export interface CarrierStreamPort {
  send(event: OutboundMediaEvent): void;
  /**
   * Audio in the stream's format as base64 (text, or a span of the agent's frame: read at once;
   * optional: the carrier's wire is base64 JSON).
   */
  sendAudioBase64?(payload: Base64Payload): void;
  /**
   * The straight path of {@link sendAudioBase64}: sends at once if the socket is open and holds
   * fewer than `underBytes` bytes unsent; false, and nothing sent, otherwise.
   */
  trySendAudioBase64?(payload: Base64Payload, underBytes: number): boolean;
  /** Bytes accepted but not yet written to the carrier socket (`ws.bufferedAmount`). */
  bufferedBytes(): number;
}

/** One carrier media stream joined to the bridge. */
export interface CarrierAttachment {
  readonly port: CarrierStreamPort;
  /** The stream's audio format. Default μ-law 8 kHz. */
  readonly format?: AudioFormat;
  /** The carrier's frame rules for audio sent to it; none means any size (Twilio). */
  readonly rechunk?: RechunkRule;
}

export type BridgeDirection = 'to_carrier' | 'to_agent';

/**
 * Audio that passes through as the base64 text it arrived in (both sides in one format, both
 * wires base64 JSON), while it waits: queued, capped and counted by `bytes` like decoded audio,
 * never decoded.
 */
interface Base64Audio {
  readonly type: 'audio64';
  readonly base64: string;
  readonly bytes: number;
}

/** Hooks for the metrics registry. */
export interface BridgeMetrics {
  /** A queue cap dropped audio because its peer did not keep up. */
  audioDropped(direction: BridgeDirection, bytes: number): void;
  /** The caller began hearing the wait audio (waiting past `waitAudio.afterMs`). */
  waitAudioStarted?(): void;
}

export interface MediaBridgeOptions {
  readonly agent: AgentMediaPort;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Cap on audio queued per direction, in ms of that direction's audio. Default 2 000. */
  readonly maxQueuedMs?: number;
  /** Socket send-buffer level above which audio waits in the bridge's queue, in bytes. Default 64 KiB. */
  readonly highWaterBytes?: number;
  /** With a rechunk rule, a partial chunk is padded and sent this long after the agent's last frame, in ms. Default 200. */
  readonly rechunkIdleFlushMs?: number;
  readonly metrics?: BridgeMetrics;
  /**
   * What the caller hears while waiting on the stream: for the agent's voice
   * ({@link MediaBridge.agentAway}; back with the AI, {@link MediaBridge.resumeAgentAudio}), or,
   * the AI paused for a transfer, for the carrier to move them. None: nothing.
   */
  readonly waitAudio?: WaitAudioSpec;
}

export interface BridgeStats {
  /** Audio bytes dropped by the cap toward the carrier / the agent. */
  readonly droppedBytesToCarrier: number;
  readonly droppedBytesToAgent: number;
  /** Agent audio frames discarded because forwarding was paused or no carrier stream was joined. */
  readonly discardedAgentFrames: number;
  /** Audio bytes waiting in the bridge (queue, plus a partial chunk held for the carrier's frame rules). */
  readonly queuedBytesToCarrier: number;
  readonly queuedBytesToAgent: number;
  readonly pendingMarks: number;
}

interface CarrierSide {
  readonly port: CarrierStreamPort;
  readonly format: AudioFormat;
  /** How far ahead of the clock wait audio is sent: one chunk the carrier takes, and a tick. */
  readonly waitLeadMs: number;
  readonly pacer: Pacer<OutboundMediaEvent | Base64Audio>;
  /** Agent audio may go to the carrier as its base64 text: same format, no frame rules. */
  readonly passToCarrier: boolean;
  /** Caller audio may go to the agent as its base64 text. */
  readonly passToAgent: boolean;
  /** Agent format → carrier format; undefined: same format, bytes pass through untouched. */
  readonly toCarrier: Transcode | undefined;
  readonly toAgent: Transcode | undefined;
  readonly rechunker: Rechunker | undefined;
}

const DEFAULT_MAX_QUEUED_MS = 2000;
const DEFAULT_IDLE_FLUSH_MS = 200;
/** Wait audio sent ahead of the clock to a carrier without frame rules, ms. */
const WAIT_LEAD_MS = 60;

/**
 * Joins one carrier media stream and one agent connection (STYLE.md 6). When both sides use the
 * same format (μ-law 8 kHz by default) audio bytes pass through as they came — never decoded.
 * Marks are acknowledged to the agent only when the carrier echoes them (or the audio before
 * them was discarded: `clear`, stream end, pause). `clear` jumps every queue. Each direction has
 * a bounded queue, so a stalled socket costs bounded memory; dropped audio is counted.
 *
 * The agent connection outlives carrier streams: during a transfer the caller is off the AI
 * stream, and after a failed one a fresh carrier stream is attached to the same bridge.
 */
export class MediaBridge {
  readonly #agent: AgentMediaPort;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #maxQueuedMs: number;
  readonly #highWater: number | undefined;
  readonly #idleFlushMs: number;
  readonly #metrics: BridgeMetrics | undefined;
  readonly #marks: MarkTracker;
  readonly #toAgent: Pacer<InboundMediaEvent | Base64Audio>;
  readonly #emitToCarrier = (payload: Buffer): void => {
    this.#carrier?.pacer.push({ type: 'audio', payload });
  };
  readonly #sink: AgentMediaSink = {
    onAgentAudio: (payload) => this.#fromAgentAudio(payload),
    onAgentAudioBase64: (payload, bytes) => this.#fromAgentAudioBase64(payload, bytes),
    onAgentMark: (name) => this.#fromAgentMark(name),
    onAgentClear: () => this.#fromAgentClear(),
  };
  readonly #wait: WaitAudio | undefined;
  /** Since when the caller waits for the agent's voice / the AI is paused (clock ms). */
  #agentAwaySinceMs: number | undefined;
  #pausedSinceMs: number | undefined;
  #carrier: CarrierSide | undefined;
  #paused = false;
  #closed = false;
  #lastAgentFrameAtMs: number | undefined;
  #idleTimer: unknown;
  #droppedToCarrier = 0;
  #droppedToAgent = 0;
  #discardedAgentFrames = 0;

  constructor(options: MediaBridgeOptions) {
    this.#agent = options.agent;
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#maxQueuedMs = options.maxQueuedMs ?? DEFAULT_MAX_QUEUED_MS;
    this.#highWater = options.highWaterBytes;
    this.#idleFlushMs = options.rechunkIdleFlushMs ?? DEFAULT_IDLE_FLUSH_MS;
    this.#metrics = options.metrics;
    this.#marks = new MarkTracker((owner, result) => this.#answerMark(owner, result));
    const agent = this.#agent;
    this.#toAgent = new Pacer<InboundMediaEvent | Base64Audio>(
      {
        send: (event) => {
          if (event.type === 'audio64') sendBase64(agent, event);
          else if (event.type === 'audio') agent.sendAudio(event.payload);
          else if (event.type === 'dtmf') agent.sendDtmf(event.digit);
        },
        bufferedBytes: () => agent.backlogBytes(),
      },
      {
        sizeOf: audioBytes,
        maxQueuedBytes: bytesPerMs(agent.format) * this.#maxQueuedMs,
        ...(this.#highWater === undefined ? {} : { highWaterBytes: this.#highWater }),
        timers: this.#timers,
        onDrop: (event) => this.#dropped('to_agent', audioBytes(event)),
      },
    );
    agent.setMediaSink(this.#sink);
    const wait = options.waitAudio;
    this.#wait =
      wait === undefined || wait.sound === 'none'
        ? undefined
        : new WaitAudio(
            wait,
            {
              playable: () => this.#waitTarget(),
              play: (audio) => this.#playWait(audio),
              started: () => this.#metrics?.waitAudioStarted?.(),
            },
            this.#clock,
            this.#timers,
          );
  }

  /**
   * The caller waits for the agent's voice: its socket is opening, or reopening after it dropped.
   * After a while they hear the wait audio, until the agent's first audio reaches them (what was
   * sent ahead of the clock still plays first).
   */
  agentAway(): void {
    this.#agentAwaySinceMs ??= this.#clock.nowMs();
    this.#updateWait();
  }

  /** The agent's audio reaches the caller: their wait for it is over. */
  #agentHeard(): void {
    this.#agentAwaySinceMs = undefined;
    this.#updateWait();
  }

  /** Wait audio is playing to the caller. */
  get waitAudioPlaying(): boolean {
    return this.#wait?.playing ?? false;
  }

  /** When the last agent audio frame was forwarded toward the caller, on the injected clock (ms). */
  get lastAgentFrameAtMs(): number | undefined {
    return this.#lastAgentFrameAtMs;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get carrierAttached(): boolean {
    return this.#carrier !== undefined;
  }

  stats(): BridgeStats {
    return {
      droppedBytesToCarrier: this.#droppedToCarrier,
      droppedBytesToAgent: this.#droppedToAgent,
      discardedAgentFrames: this.#discardedAgentFrames,
      queuedBytesToCarrier:
        (this.#carrier?.pacer.queuedBytes ?? 0) + (this.#carrier?.rechunker?.pendingBytes ?? 0),
      queuedBytesToAgent: this.#toAgent.queuedBytes,
      pendingMarks: this.#marks.pendingCount,
    };
  }

  /** Joins a carrier stream (replacing any joined one). */
  attachCarrier(attachment: CarrierAttachment): void {
    if (this.#closed) return;
    this.detachCarrier();
    const format = attachment.format ?? MULAW_8K;
    const port = attachment.port;
    const sink = {
      send: (event: OutboundMediaEvent | Base64Audio): void => {
        if (event.type !== 'audio64') port.send(event);
        else if (port.sendAudioBase64 !== undefined) port.sendAudioBase64(event.base64);
        else port.send({ type: 'audio', payload: decodeBase64(event.base64) });
      },
      bufferedBytes: () => port.bufferedBytes(),
    };
    const pacer = new Pacer<OutboundMediaEvent | Base64Audio>(sink, {
      sizeOf: audioBytes,
      maxQueuedBytes: bytesPerMs(format) * this.#maxQueuedMs,
      ...(this.#highWater === undefined ? {} : { highWaterBytes: this.#highWater }),
      timers: this.#timers,
      onDrop: (event) => {
        if (event.type === 'mark') this.#marks.settle(event.name, 'dropped');
        else this.#dropped('to_carrier', audioBytes(event));
      },
    });
    const toCarrier = createTranscoder(this.#agent.format, format);
    const toAgent = createTranscoder(format, this.#agent.format);
    const rule = attachment.rechunk;
    this.#carrier = {
      port,
      format,
      waitLeadMs:
        rule === undefined ? WAIT_LEAD_MS : Math.ceil(rule.minBytes / bytesPerMs(format)) + WAIT_TICK_MS,
      pacer,
      toCarrier,
      toAgent,
      rechunker: attachment.rechunk && new Rechunker(attachment.rechunk, silenceByte(format)),
      passToCarrier:
        toCarrier === undefined && attachment.rechunk === undefined && port.sendAudioBase64 !== undefined,
      passToAgent: toAgent === undefined && this.#agent.sendAudioBase64 !== undefined,
    };
    // A stream joined while the AI is paused waits from now, not from an earlier stream's pause.
    if (this.#paused) this.#pausedSinceMs = this.#clock.nowMs();
    this.#updateWait();
  }

  /**
   * The carrier stream is gone: queued audio toward it is dropped and every pending mark is
   * answered (`detached`) — nothing more will play. Caller audio already queued for the agent
   * still goes to the agent.
   */
  detachCarrier(): void {
    const carrier = this.#carrier;
    if (carrier === undefined) return;
    this.#carrier = undefined;
    this.#updateWait();
    this.#disarmIdleFlush();
    carrier.rechunker?.reset();
    carrier.pacer.close();
    this.#marks.settleAll('detached');
  }

  /** Media from the carrier stream (the caller side), as its codec decoded it. `stop` detaches the stream. */
  handleCarrierEvent(event: InboundMediaEvent): void {
    switch (event.type) {
      case 'audio': {
        const carrier = this.#carrier;
        if (this.#paused || this.#closed || carrier === undefined) return;
        const transcode = carrier.toAgent;
        this.#toAgent.push(
          transcode === undefined ? event : { type: 'audio', payload: transcode(event.payload) },
        );
        return;
      }
      case 'dtmf':
        if (!this.#paused && !this.#closed) this.#toAgent.push(event);
        return;
      case 'mark':
        this.#marks.echo(event.name);
        return;
      case 'stop':
        this.detachCarrier();
        return;
      case 'start':
        return;
    }
  }

  /**
   * Caller audio as the carrier's base64 (a codec's `scanAudio`: a span of its frame, read at
   * once). With the agent in the stream's format on a base64 wire it goes on as it is, never
   * decoded (as text if it has to wait); otherwise it is decoded and takes the path of
   * {@link handleCarrierEvent}.
   */
  handleCarrierAudioBase64(payload: Base64Payload): void {
    const carrier = this.#carrier;
    if (this.#paused || this.#closed || carrier === undefined) return;
    if (carrier.passToAgent) {
      // Straight through while the agent's socket keeps up (no queue, no object per frame): the
      // socket's buffer read where the frame is written.
      const toAgent = this.#toAgent;
      if (toAgent.idle && this.#agent.trySendAudioBase64?.(payload, toAgent.highWaterBytes) === true) return;
      const bytes = base64Bytes(payload);
      if (toAgent.open) this.#agent.sendAudioBase64?.(payload, bytes);
      else toAgent.push({ type: 'audio64', base64: base64Text(payload), bytes });
      return;
    }
    this.handleCarrierEvent({ type: 'audio', payload: decodeBase64(payload) });
  }

  /**
   * Sends a mark behind every audio frame queued toward the caller so far, and settles when the
   * carrier echoes it: `played` — e.g. the AI's handoff sentence has finished. Settles early with
   * `cleared` (barge-in), `detached` (stream ended, or none joined) or `dropped`. Never rejects.
   */
  markAfterQueuedAudio(name: string): Promise<MarkResult> {
    const carrier = this.#carrier;
    if (carrier === undefined) return Promise.resolve('detached');
    return new Promise((settle) => {
      const wire = this.#marks.register({ kind: 'daemon', name, settle });
      carrier.rechunker?.flush(this.#emitToCarrier);
      carrier.pacer.push({ type: 'mark', name: wire });
    });
  }

  /**
   * The caller is off the AI stream (a transfer is under way): agent audio is no longer
   * forwarded and caller audio no longer reaches the agent. Audio already queued still plays.
   */
  pauseAgentAudio(): void {
    this.#paused = true;
    // The caller waits for the carrier to move them: the wait audio if that takes long.
    this.#pausedSinceMs ??= this.#clock.nowMs();
    this.#updateWait();
    this.#disarmIdleFlush();
    this.#carrier?.rechunker?.flush(this.#emitToCarrier);
  }

  resumeAgentAudio(): void {
    this.#paused = false;
    this.#pausedSinceMs = undefined;
    // Back with the AI (at a stream's start, or from a failed transfer): the caller waits for its
    // next words, which an agent takes a moment to find after `resume`.
    this.#agentAwaySinceMs ??= this.#clock.nowMs();
    this.#updateWait();
  }

  /** Stops for good: the carrier is detached, queues are emptied, the agent's media goes nowhere. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wait?.stop();
    this.detachCarrier();
    this.#toAgent.close();
    this.#agent.setMediaSink(undefined);
  }

  #fromAgentAudio(payload: Buffer): void {
    const carrier = this.#carrier;
    if (this.#paused || carrier === undefined) {
      this.#discardedAgentFrames += 1;
      return;
    }
    this.#lastAgentFrameAtMs = this.#clock.nowMs();
    if (this.#agentAwaySinceMs !== undefined) this.#agentHeard();
    const audio = carrier.toCarrier === undefined ? payload : carrier.toCarrier(payload);
    if (carrier.rechunker === undefined) {
      carrier.pacer.push({ type: 'audio', payload: audio });
      return;
    }
    carrier.rechunker.push(audio, this.#emitToCarrier);
    if (carrier.rechunker.pendingBytes > 0) this.#armIdleFlush(this.#idleFlushMs);
  }

  /** The caller waits on a joined stream since the earlier of the agent's absence and the AI's pause. */
  #updateWait(): void {
    const wait = this.#wait;
    if (wait === undefined) return;
    const since = Math.min(this.#agentAwaySinceMs ?? Infinity, this.#pausedSinceMs ?? Infinity);
    wait.waiting(this.#carrier === undefined || this.#closed || since === Infinity ? undefined : since);
  }

  #waitTarget(): { readonly format: AudioFormat; readonly leadMs: number } | undefined {
    const carrier = this.#carrier;
    if (carrier === undefined || this.#closed) return undefined;
    return { format: carrier.format, leadMs: carrier.waitLeadMs };
  }

  /** Wait audio, in the carrier's format: only to a socket that keeps up (one behind skips it, never queues it). */
  #playWait(audio: Buffer): void {
    const carrier = this.#carrier;
    if (carrier === undefined || !carrier.pacer.open) return;
    // Through the frame rules like the agent's audio; a remainder joins the agent's first words.
    if (carrier.rechunker === undefined) carrier.pacer.push({ type: 'audio', payload: audio });
    else carrier.rechunker.push(audio, this.#emitToCarrier);
  }

  #fromAgentAudioBase64(payload: Base64Payload, bytes: number): void {
    const carrier = this.#carrier;
    if (this.#paused || carrier === undefined) {
      this.#discardedAgentFrames += 1;
      return;
    }
    if (!carrier.passToCarrier) {
      this.#fromAgentAudio(decodeBase64(payload));
      return;
    }
    this.#lastAgentFrameAtMs = this.#clock.nowMs();
    if (this.#agentAwaySinceMs !== undefined) this.#agentHeard();
    // Straight through while the carrier's socket keeps up (no queue, no object per frame); the
    // text when it has to wait (a span's bytes are the agent frame's).
    const pacer = carrier.pacer;
    if (pacer.idle && carrier.port.trySendAudioBase64?.(payload, pacer.highWaterBytes) === true) return;
    if (pacer.open) carrier.port.sendAudioBase64?.(payload);
    else pacer.push({ type: 'audio64', base64: base64Text(payload), bytes });
  }

  #fromAgentMark(name: string): void {
    const carrier = this.#carrier;
    const wire = this.#marks.register({ kind: 'agent', name });
    if (this.#paused || carrier === undefined) {
      // Audio sent while paused was discarded, so there is nothing left to wait for.
      this.#marks.settle(wire, 'detached');
      return;
    }
    carrier.rechunker?.flush(this.#emitToCarrier);
    carrier.pacer.push({ type: 'mark', name: wire });
  }

  #fromAgentClear(): void {
    const carrier = this.#carrier;
    if (carrier !== undefined) {
      carrier.rechunker?.reset();
      carrier.pacer.clear();
      // Straight to the port, ahead of anything: the queue behind it was just emptied.
      carrier.port.send({ type: 'clear' });
    }
    this.#disarmIdleFlush();
    this.#marks.settleAll('cleared');
  }

  #answerMark(owner: MarkOwner, result: MarkResult): void {
    if (owner.kind === 'daemon') owner.settle(result);
    else if (!this.#closed) this.#agent.sendMark(owner.name);
  }

  #dropped(direction: BridgeDirection, bytes: number): void {
    if (bytes === 0) return;
    if (direction === 'to_carrier') this.#droppedToCarrier += bytes;
    else this.#droppedToAgent += bytes;
    this.#metrics?.audioDropped(direction, bytes);
  }

  #armIdleFlush(delayMs: number): void {
    if (this.#idleTimer !== undefined) return;
    this.#idleTimer = this.#timers.setTimeout(() => {
      this.#idleTimer = undefined;
      const carrier = this.#carrier;
      if (carrier?.rechunker === undefined || carrier.rechunker.pendingBytes === 0) return;
      const idleMs = this.#clock.nowMs() - (this.#lastAgentFrameAtMs ?? 0);
      if (idleMs >= this.#idleFlushMs) carrier.rechunker.flush(this.#emitToCarrier);
      else this.#armIdleFlush(this.#idleFlushMs - idleMs);
    }, delayMs);
  }

  #disarmIdleFlush(): void {
    if (this.#idleTimer === undefined) return;
    this.#timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }
}

function audioBytes(event: InboundMediaEvent | OutboundMediaEvent | Base64Audio): number {
  return event.type === 'audio' ? event.payload.length : event.type === 'audio64' ? event.bytes : 0;
}

function sendBase64(agent: AgentMediaPort, audio: Base64Audio): void {
  if (agent.sendAudioBase64 !== undefined) agent.sendAudioBase64(audio.base64, audio.bytes);
  else agent.sendAudio(decodeBase64(audio.base64));
}
