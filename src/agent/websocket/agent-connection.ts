import type { Carrier } from '../../domain/carrier.js';
import { type AudioFormat, MULAW_8K } from '../../domain/media.js';
import type { Log } from '../../log.js';
import type { Clock, Timers } from '../../media/clock.js';
import { AgentLink, type AgentLinkState } from '../agent-link.js';
import type { AgentListener } from '../events.js';
import { WebSocketWire } from './wire.js';

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
  /** The wire's timers; default the system's. */
  readonly timers?: Timers;
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

export type AgentConnectionState = AgentLinkState;

/**
 * The WebSocket agent transport of one call: an {@link AgentLink} over a {@link WebSocketWire}
 * (Twilio Media Streams dialect plus extensions). Holding caller audio until the socket opens,
 * ordering of `transfer_status` and redaction are the link's, shared with every transport; the
 * socket, its one reconnect and the frames are the wire's.
 */
export class AgentConnection extends AgentLink {
  readonly #wire: WebSocketWire;

  constructor(options: AgentConnectionOptions) {
    const { listener, onAudioDropped, onAudioHeld, format, ...wire } = options;
    const ws = new WebSocketWire({ ...wire, format: format ?? MULAW_8K });
    super(ws, {
      listener,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.log === undefined ? {} : { log: options.log }),
      ...(onAudioDropped === undefined ? {} : { onAudioDropped }),
      ...(onAudioHeld === undefined ? {} : { onAudioHeld }),
    });
    this.#wire = ws;
  }

  /** The `streamSid` this connection presents to the agent (one per call, kept across a reconnect). */
  get streamSid(): string {
    return this.#wire.streamSid;
  }

  /**
   * `heldFrames`: caller frames that waited for the socket to open (then delivered in order);
   * `droppedFrames`: media frames never sent (past the hold bound, the call over first, or agent
   * audio with no bridge); `badFrames`: agent frames answered with `error`.
   */
  override stats(): {
    readonly droppedFrames: number;
    readonly heldFrames: number;
    readonly badFrames: number;
  } {
    return { ...super.stats(), badFrames: this.#wire.badFrames };
  }

  /** Bytes queued on the socket but not yet written (`ws.bufferedAmount`): the link's backlog. */
  bufferedBytes(): number {
    return this.backlogBytes();
  }
}
