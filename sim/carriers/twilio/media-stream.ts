/**
 * The Twilio Media Streams client (protocols.md §2.3): Twilio is the WebSocket client. Sends
 * `connected`, `start`, one `media` per 20 ms with the caller's audio (160 bytes μ-law, string
 * `sequenceNumber`/`chunk`/`timestamp`), `dtmf`, echoed `mark`s, and `stop` before closing.
 * For a bidirectional `<Connect><Stream>` it plays the server's audio to the caller at
 * 8000 bytes/s, echoes each mark once the audio queued before it has played, and drops queued
 * audio on `clear`.
 */
import type { SimContext } from '../../front-end.js';
import {
  MediaClient,
  type MediaClientStats,
  type MediaEnd,
  type MediaWire,
  newMediaClientStats,
} from '../../media-client.js';
import type { TwilioCall } from './call.js';
import type { TwilioHooks } from './hooks.js';
import type { ResolvedTwilioOptions } from './options.js';
import { twilioSignature } from './signature.js';
import { decodeServerMessage } from './stream-messages.js';
import { rfc1123 } from './time-format.js';

export type StreamTrack = 'inbound_track' | 'outbound_track' | 'both_tracks';

export interface StreamSpec {
  readonly url: string;
  readonly name?: string;
  readonly track: StreamTrack;
  /** `<Connect><Stream>`: the server's audio is played to the caller. */
  readonly bidirectional: boolean;
  readonly parameters: Readonly<Record<string, string>>;
  readonly statusCallback?: string;
  readonly statusCallbackMethod?: 'GET' | 'POST';
}

/**
 * Why a stream ended: the server closed the socket, the simulator sent `stop` (redirect,
 * hangup, `<Stop>`), the socket dropped abruptly, or it never connected.
 */
export type StreamEndReason = 'server-closed' | 'stopped' | 'dropped' | 'failed';

export type StreamEnd = MediaEnd<'server-closed' | 'stopped'>;

export interface StreamDeps {
  readonly ctx: SimContext;
  readonly options: ResolvedTwilioOptions;
  readonly hooks: TwilioHooks;
}

/** Counters a test can assert on. */
export interface StreamStats extends MediaClientStats {
  marksEchoed: number;
}

export class TwilioMediaStream {
  readonly sid: string;
  readonly spec: StreamSpec;
  readonly call: TwilioCall;
  readonly ended: Promise<StreamEnd>;
  readonly stats: StreamStats = { ...newMediaClientStats(), marksEchoed: 0 };
  readonly #deps: StreamDeps;
  readonly #client: MediaClient<'server-closed' | 'stopped'>;
  #seq = 0;
  #startTick = 0;
  #chunk = { inbound: 0, outbound: 0 };

  constructor(sid: string, call: TwilioCall, spec: StreamSpec, deps: StreamDeps) {
    this.sid = sid;
    this.call = call;
    this.spec = spec;
    this.#deps = deps;
    this.#client = new MediaClient<'server-closed' | 'stopped'>({
      ctx: deps.ctx,
      wire: this.#wire(),
      leg: call.leg,
      stats: this.stats,
      closedReason: 'server-closed',
      clearAcksMarks: deps.options.clearEchoesMarks,
      onOpen: () => this.#onOpen(),
      onEnd: (end) =>
        this.#streamStatus(
          end.reason === 'failed' || end.reason === 'dropped' ? 'stream-error' : 'stream-stopped',
          end.detail,
        ),
    });
    this.ended = this.#client.ended;
    this.#connect();
  }

  get isEnded(): boolean {
    return this.#client.isEnded;
  }

  /** Bytes of server audio queued and not yet played. */
  get queuedBytes(): number {
    return this.#client.queuedBytes;
  }

  /** Sends `stop` and closes (REST redirect, hangup, `<Stop><Stream>`); resolves once closed. */
  stop(): Promise<void> {
    return this.#client.stop(
      { reason: 'stopped' },
      {
        event: 'stop',
        message: {
          event: 'stop',
          sequenceNumber: this.#nextSeq(),
          streamSid: this.sid,
          stop: { accountSid: this.call.accountSid, callSid: this.call.sid },
        },
      },
    );
  }

  /** Closes the socket abruptly: no `stop`, no close frame (a network failure). */
  drop(): void {
    this.#client.drop();
  }

  /** Twilio's message shapes: camelCase, `streamSid` on every message, numbers as strings. */
  #wire(): MediaWire {
    return {
      carrier: 'twilio',
      callSid: this.call.sid,
      streamId: this.sid,
      media: (track, frame, tick) => ({
        event: 'media',
        sequenceNumber: this.#nextSeq(),
        media: {
          track,
          chunk: String(++this.#chunk[track]),
          timestamp: String((tick - this.#startTick) * 20),
          payload: frame.toString('base64'),
        },
        streamSid: this.sid,
      }),
      dtmf: (digit) => ({
        event: 'dtmf',
        streamSid: this.sid,
        sequenceNumber: this.#nextSeq(),
        dtmf: { track: 'inbound_track', digit },
      }),
      markPlayed: (name) => {
        this.stats.marksEchoed++;
        return {
          event: 'mark',
          detail: name,
          message: { event: 'mark', sequenceNumber: this.#nextSeq(), streamSid: this.sid, mark: { name } },
        };
      },
      decode: (text) => {
        const msg = decodeServerMessage(text, this.sid, this.spec.bidirectional);
        return msg.type === 'media'
          ? { type: 'audio', event: 'media', payload: msg.payload, mulaw: msg.payload }
          : msg.type === 'rejected'
            ? msg
            : { ...msg, event: msg.type };
      },
      failure: (detail) => ({ code: 31920, message: `Stream - WebSocket - ${detail}` }),
    };
  }

  #connect(): void {
    const { options } = this.#deps;
    let url: URL;
    try {
      url = new URL(this.spec.url);
    } catch {
      this.#client.fail(`invalid stream url ${this.spec.url}`);
      return;
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && options.allowInsecureStreams)) {
      this.#client.fail(`stream url must be wss:// (${this.spec.url})`);
      return;
    }
    if (options.rejectStreamUrlQuery && url.search !== '') {
      this.#client.fail('stream url must not carry a query string; use <Parameter>');
      return;
    }
    const headers: Record<string, string> = { 'user-agent': 'Twilio.TmeWs/1.0' };
    if (options.signStreamUpgrade)
      headers['x-twilio-signature'] = twilioSignature(options.authToken, this.spec.url, {});
    this.#client.connect(this.spec.url, headers);
  }

  #onOpen(): void {
    this.#client.sendLogged({
      event: 'connected',
      message: { event: 'connected', protocol: 'Call', version: '1.0.0' },
    });
    const tracks =
      this.spec.bidirectional || this.spec.track === 'inbound_track'
        ? ['inbound']
        : this.spec.track === 'outbound_track'
          ? ['outbound']
          : ['inbound', 'outbound'];
    this.#client.sendLogged({
      event: 'start',
      message: {
        event: 'start',
        sequenceNumber: this.#nextSeq(),
        start: {
          accountSid: this.call.accountSid,
          streamSid: this.sid,
          callSid: this.call.sid,
          tracks,
          customParameters: this.spec.parameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
        streamSid: this.sid,
      },
    });
    this.#startTick = this.#deps.ctx.ticker.tick;
    this.#streamStatus('stream-started');
    this.#client.start({
      inbound: tracks.includes('inbound'),
      outbound: tracks.includes('outbound'),
      playout: this.spec.bidirectional,
      dtmf: this.spec.bidirectional,
    });
  }

  #nextSeq(): string {
    return String(++this.#seq);
  }

  /** Stream status callback; param names UNCONFIRMED (protocols.md §2.2, from Telnyx's clone). */
  #streamStatus(event: 'stream-started' | 'stream-stopped' | 'stream-error', error?: string): void {
    const url = this.spec.statusCallback;
    if (!url || !this.#deps.options.streamStatusCallbacks) return;
    const params: Record<string, string> = {
      AccountSid: this.call.accountSid,
      CallSid: this.call.sid,
      StreamSid: this.sid,
      StreamEvent: event,
      Timestamp: rfc1123(this.#deps.ctx.clock.nowMs()),
    };
    if (this.spec.name) params['StreamName'] = this.spec.name;
    if (error) params['StreamError'] = error;
    this.#deps.hooks.notify({
      kind: 'stream-status',
      url,
      method: this.spec.statusCallbackMethod ?? 'POST',
      params,
      callSid: this.call.sid,
      event,
    });
  }
}
