/**
 * The Plivo audio-stream client (protocols.md §3.3): Plivo is the WebSocket client. Sends
 * `start` (with `extra_headers`), one `media` per 20 ms with the caller's audio in the stream's
 * `contentType` (`sequenceNumber` and `chunk` numbers, `timestamp` a string of epoch ms), `dtmf`.
 * For a bidirectional stream it plays `playAudio` to the caller at real time, answers each
 * `checkpoint` with `playedStream` once the audio queued before it has played, and `clearAudio`
 * with `clearedAudio`. Closing the socket ends the stream; a `stop` event first is an option
 * (UNCONFIRMED).
 */
import type { SimContext } from '../../front-end.js';
import {
  MediaClient,
  type MediaClientStats,
  type MediaEnd,
  type MediaWire,
  newMediaClientStats,
} from '../../media-client.js';
import type { PlivoCall } from './call.js';
import type { PlivoHooks } from './hooks.js';
import type { ResolvedPlivoOptions } from './options.js';
import { plivoUpgradeHeaders } from './signing.js';
import { StreamAudio } from './stream-audio.js';
import { decodeServerMessage, type StreamFormat } from './stream-messages.js';

export type AudioTrack = 'inbound' | 'outbound' | 'both';

export interface StreamSpec {
  readonly url: string;
  readonly bidirectional: boolean;
  readonly audioTrack: AudioTrack;
  readonly format: StreamFormat;
  /** The `extraHeaders` attribute as written (`k=v,k=v`), or empty. */
  readonly extraHeaders: string;
  readonly keepCallAlive: boolean;
  /** The stream ends after this long, seconds (default 86400). */
  readonly streamTimeoutSec: number;
  readonly statusCallbackUrl?: string;
  readonly statusCallbackMethod?: 'GET' | 'POST';
}

/**
 * Why a stream ended: the server closed the socket, Plivo ended it (call transferred or hung
 * up, REST stop), its `streamTimeout` passed, the socket dropped, or it never connected.
 */
export type StreamEndReason = 'server-closed' | 'stopped' | 'timeout' | 'dropped' | 'failed';

export type StreamEnd = MediaEnd<'server-closed' | 'stopped' | 'timeout'>;

export interface StreamDeps {
  readonly ctx: SimContext;
  readonly options: ResolvedPlivoOptions;
  readonly hooks: PlivoHooks;
}

/** Counters a test can assert on. */
export interface StreamStats extends MediaClientStats {
  checkpointsPlayed: number;
}

export class PlivoAudioStream {
  readonly streamId: string;
  readonly spec: StreamSpec;
  readonly call: PlivoCall;
  readonly ended: Promise<StreamEnd>;
  readonly stats: StreamStats = { ...newMediaClientStats(), checkpointsPlayed: 0 };
  readonly #deps: StreamDeps;
  readonly #audio: StreamAudio;
  readonly #client: MediaClient<'server-closed' | 'stopped' | 'timeout'>;
  #seq = 0;
  #chunk = 0;
  #startTick = 0;
  #startEpochMs = 0;

  constructor(streamId: string, call: PlivoCall, spec: StreamSpec, deps: StreamDeps) {
    this.streamId = streamId;
    this.call = call;
    this.spec = spec;
    this.#deps = deps;
    this.#audio = new StreamAudio(spec.format, deps.options.l16ByteOrder);
    this.#client = new MediaClient<'server-closed' | 'stopped' | 'timeout'>({
      ctx: deps.ctx,
      wire: this.#wire(),
      leg: call.leg,
      stats: this.stats,
      closedReason: 'server-closed',
      clearAcksMarks: deps.options.clearAcksCheckpoints,
      onOpen: () => this.#onOpen(),
      onEnd: (end) =>
        this.#streamStatus(
          end.reason === 'failed' || end.reason === 'dropped' ? 'DroppedStream' : 'StopStream',
          end.detail,
        ),
    });
    this.ended = this.#client.ended;
    this.#connect();
  }

  get isEnded(): boolean {
    return this.#client.isEnded;
  }

  /** Bytes of server audio (μ-law 8 kHz) queued and not yet played. */
  get queuedBytes(): number {
    return this.#client.queuedBytes;
  }

  /** Ends the stream from Plivo's side (transfer, hang-up, REST stop): closes the socket. */
  stop(reason: 'stopped' | 'timeout' = 'stopped'): Promise<void> {
    const stop = this.#deps.options.streamStopEvent
      ? {
          event: 'stop',
          message: {
            event: 'stop',
            sequenceNumber: this.#nextSeq(),
            streamId: this.streamId,
            stop: { callId: this.call.uuid },
          },
        }
      : undefined;
    return this.#client.stop({ reason }, stop);
  }

  /** Closes the socket abruptly: no close frame (a network failure). */
  drop(): void {
    this.#client.drop();
  }

  /** Plivo's message shapes: `streamId`, numeric `sequenceNumber`/`chunk`, audio in the stream's format. */
  #wire(): MediaWire {
    return {
      carrier: 'plivo',
      callSid: this.call.uuid,
      streamId: this.streamId,
      media: (track, mulaw, tick) => ({
        event: 'media',
        sequenceNumber: this.#nextSeq(),
        streamId: this.streamId,
        media: {
          track,
          timestamp: String(this.#startEpochMs + (tick - this.#startTick) * 20),
          chunk: ++this.#chunk,
          payload: this.#audio.toWire(mulaw).toString('base64'),
        },
        extra_headers: this.#extraHeaders(),
      }),
      dtmf: (digit) => ({
        event: 'dtmf',
        sequenceNumber: this.#nextSeq(),
        streamId: this.streamId,
        dtmf: { track: 'inbound', digit, timestamp: String(Math.round(this.#deps.ctx.clock.nowMs())) },
      }),
      markPlayed: (name) => {
        this.stats.checkpointsPlayed++;
        return {
          event: 'playedStream',
          detail: name,
          message: { event: 'playedStream', sequenceNumber: this.#nextSeq(), streamId: this.streamId, name },
        };
      },
      clearAck: () => ({
        event: 'clearedAudio',
        message: { event: 'clearedAudio', sequenceNumber: this.#nextSeq(), streamId: this.streamId },
      }),
      decode: (text) => {
        const msg = decodeServerMessage(text, this.streamId, this.spec.bidirectional, this.spec.format);
        switch (msg.type) {
          case 'playAudio':
            return {
              type: 'audio',
              event: 'playAudio',
              payload: msg.payload,
              mulaw: this.#audio.fromWire(msg.payload),
            };
          case 'checkpoint':
            return { type: 'mark', event: 'checkpoint', name: msg.name };
          case 'clearAudio':
            return { type: 'clear', event: 'clearAudio' };
          case 'sendDTMF':
            return { type: 'notice', event: 'sendDTMF', detail: msg.digits };
          case 'rejected':
            return msg;
        }
      },
      failure: (detail) => ({ code: 0, message: `Stream: ${detail}` }),
    };
  }

  #connect(): void {
    let url: URL;
    try {
      url = new URL(this.spec.url);
    } catch {
      this.#client.fail(`invalid stream url ${this.spec.url}`);
      return;
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && this.#deps.options.allowInsecureStreams)) {
      this.#client.fail(`stream url must be wss:// (${this.spec.url})`);
      return;
    }
    // Plivo signs the upgrade (signature V3 over the stream URL read as HTTP, see signing.ts).
    this.#client.connect(
      this.spec.url,
      {
        'user-agent': 'Plivo-AudioStream',
        ...plivoUpgradeHeaders(this.#deps.options.authToken, this.spec.url),
      },
      true,
    );
  }

  /** `extra_headers` as delivered: the attribute's pairs with the configured separator. */
  #extraHeaders(): string {
    return this.spec.extraHeaders.split(',').filter(Boolean).join(this.#deps.options.extraHeadersSeparator);
  }

  #onOpen(): void {
    const tracks = this.spec.audioTrack === 'both' ? ['inbound', 'outbound'] : [this.spec.audioTrack];
    this.#client.sendLogged({
      event: 'start',
      message: {
        event: 'start',
        sequenceNumber: this.#nextSeq(),
        start: {
          callId: this.call.uuid,
          streamId: this.streamId,
          accountId: this.call.authId,
          tracks,
          mediaFormat: { encoding: this.spec.format.encoding, sampleRate: this.spec.format.sampleRate },
        },
        extra_headers: this.#extraHeaders(),
      },
    });
    const { ticker, clock, timers } = this.#deps.ctx;
    this.#startTick = ticker.tick;
    this.#startEpochMs = Math.round(clock.nowMs());
    this.#streamStatus('StartStream');
    this.#client.start({
      inbound: tracks.includes('inbound'),
      outbound: tracks.includes('outbound'),
      playout: this.spec.bidirectional,
      dtmf: this.#deps.options.dtmfEvents,
    });
    this.#client.own(timers.after(this.spec.streamTimeoutSec * 1000, () => void this.stop('timeout')));
  }

  #nextSeq(): number {
    return ++this.#seq;
  }

  /** `<Stream statusCallbackUrl>`: `Event` is documented; the other params are UNCONFIRMED (§3.2). */
  #streamStatus(event: 'StartStream' | 'StopStream' | 'DroppedStream', error?: string): void {
    const url = this.spec.statusCallbackUrl;
    if (!url || !this.#deps.options.streamStatusCallbacks) return;
    const params: Record<string, string> = {
      Event: event,
      StreamID: this.streamId,
      CallUUID: this.call.uuid,
      ServiceURL: this.spec.url,
      Timestamp: new Date(this.#deps.ctx.clock.nowMs()).toISOString(),
    };
    if (error) params['Error'] = error;
    this.#deps.hooks.notify({
      kind: 'stream-status',
      url,
      method: this.spec.statusCallbackMethod ?? 'POST',
      params,
      callSid: this.call.uuid,
      event,
    });
  }
}
