/**
 * The Voicebot applet's WebSocket client (protocols.md §4.1, §4.2): Exotel is the client. It sends
 * `connected`, `start` (`stream_sid`, `call_sid`, `custom_parameters` from the URL query,
 * `media_format`), one `media` per ≈100 ms with the caller's audio as PCM16 LE at the stream's
 * sample rate (string `sequence_number`, `chunk`, `timestamp`), `dtmf`, each `mark` echoed once
 * the audio before it has played, and `stop` with a reason before closing. It plays the bot's audio
 * to the caller in real time, refusing chunks that break Exotel's size rules. The bot closing the
 * socket ends the applet, and the flow goes on.
 */

import { type Convert, type WireAudio, wireConverter } from '../../codec.js';
import type { SimContext } from '../../front-end.js';
import {
  MediaClient,
  type MediaClientStats,
  type MediaEnd,
  type MediaWire,
  newMediaClientStats,
} from '../../media-client.js';
import type { ExotelCall } from './call.js';
import { exotelNumber } from './numbers.js';
import type { ResolvedExotelOptions } from './options.js';
import { decodeBotMessage } from './stream-messages.js';

/** How a stream ended: the bot closed it, Exotel stopped it (call over), the socket dropped, or it never started. */
export type VoicebotEndReason = 'bot-closed' | 'stopped' | 'dropped' | 'failed';

export type VoicebotEnd = MediaEnd<'bot-closed' | 'stopped'>;

export interface VoicebotSpec {
  /** `ws(s)://` URL as configured or as the dynamic URL answered; userinfo becomes Basic auth. */
  readonly url: string;
}

/** Counters a test can assert on. */
export interface VoicebotStats extends MediaClientStats {
  marksEchoed: number;
}

const MAX_CUSTOM_PARAMETERS = 3;
const MAX_CUSTOM_PARAMETER_CHARS = 256;
const SAMPLE_RATES = new Set([8000, 16000, 24000]);

export class ExotelVoicebotStream {
  readonly sid: string;
  readonly call: ExotelCall;
  readonly url: string;
  readonly ended: Promise<VoicebotEnd>;
  readonly stats: VoicebotStats = { ...newMediaClientStats(), marksEchoed: 0 };
  readonly #ctx: SimContext;
  readonly #options: ResolvedExotelOptions;
  readonly #client: MediaClient<'bot-closed' | 'stopped'>;
  readonly #inbound: Buffer[] = [];
  #pcm: Buffer = Buffer.alloc(0);
  #format: WireAudio = { encoding: 'pcm16', sampleRate: 8000 };
  #toBot: Convert | undefined;
  #fromBot: Convert | undefined;
  /** From the URL's query, sent in `start`. */
  #customParameters: Record<string, string> = {};
  #startedMs = 0;
  #seq = 0;
  #chunk = 0;

  constructor(
    sid: string,
    call: ExotelCall,
    spec: VoicebotSpec,
    ctx: SimContext,
    options: ResolvedExotelOptions,
  ) {
    this.sid = sid;
    this.call = call;
    this.url = spec.url;
    this.#ctx = ctx;
    this.#options = options;
    this.#client = new MediaClient<'bot-closed' | 'stopped'>({
      ctx,
      wire: this.#wire(),
      leg: call.leg,
      stats: this.stats,
      closedReason: 'bot-closed',
      clearAcksMarks: options.clearEchoesMarks,
      onOpen: () => this.#onOpen(),
    });
    this.ended = this.#client.ended;
    this.#connect();
  }

  get isEnded(): boolean {
    return this.#client.isEnded;
  }

  get format(): WireAudio {
    return this.#format;
  }

  /** Bytes of bot audio (μ-law, as heard) queued and not yet played. */
  get queuedBytes(): number {
    return this.#client.queuedBytes;
  }

  /** Exotel ends the stream: `stop` with `reason`, then close (§4.2). Resolves once closed. */
  stop(reason: 'callended' | 'stopped'): Promise<void> {
    return this.#client.stop(
      { reason: 'stopped', detail: reason },
      {
        event: 'stop',
        detail: reason,
        message: {
          event: 'stop',
          sequence_number: this.#nextSeq(),
          stream_sid: this.sid,
          stop: { call_sid: this.call.sid, account_sid: this.call.accountSid, reason },
        },
      },
    );
  }

  /** Closes the socket abruptly: no `stop`, no close frame (a network failure). */
  drop(): void {
    this.#client.drop();
  }

  /** Seconds since `start`. */
  get durationSec(): number {
    return this.#client.isStarted ? Math.round((this.#ctx.clock.nowMs() - this.#startedMs) / 1000) : 0;
  }

  /** Exotel's message shapes: snake_case, `stream_sid` on every message, numbers as strings. */
  #wire(): MediaWire {
    return {
      carrier: 'exotel',
      callSid: this.call.sid,
      streamId: this.sid,
      media: (_track, frame) => this.#collect(frame),
      dtmf: (digit) => ({
        event: 'dtmf',
        sequence_number: this.#nextSeq(),
        stream_sid: this.sid,
        dtmf: { digit, duration: '100' },
      }),
      markPlayed: (name) => {
        this.stats.marksEchoed += 1;
        return {
          event: 'mark',
          detail: name,
          message: { event: 'mark', sequence_number: this.#nextSeq(), stream_sid: this.sid, mark: { name } },
        };
      },
      decode: (text) => {
        const msg = decodeBotMessage(text, this.sid, this.#options.enforceChunkRules);
        if (msg.type === 'rejected') return msg;
        if (msg.type !== 'media') return { ...msg, event: msg.type };
        const mulaw = this.#fromBot ? this.#fromBot(msg.payload) : msg.payload;
        return { type: 'audio', event: 'media', payload: msg.payload, mulaw };
      },
      failure: (detail) => ({ code: 0, message: `Voicebot: ${detail}` }),
    };
  }

  /** Validates the URL (sample rate, custom parameters, credentials), then opens the socket. */
  #connect(): void {
    let url: URL;
    try {
      url = new URL(this.url);
    } catch {
      this.#client.fail(`invalid stream url ${this.url}`);
      return;
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && this.#options.allowInsecureStreams)) {
      this.#client.fail('stream url must be wss://');
      return;
    }
    const rate = Number(url.searchParams.get('sample-rate') ?? '8000');
    if (!SAMPLE_RATES.has(rate)) {
      this.#client.fail('sample-rate must be 8000, 16000 or 24000');
      return;
    }
    this.#format = { encoding: 'pcm16', sampleRate: rate };
    this.#toBot = wireConverter('to-wire', this.#format);
    this.#fromBot = wireConverter('from-wire', this.#format);
    const custom = [...url.searchParams].filter(([name]) => name !== 'sample-rate');
    const customText = custom.map(([k, v]) => `${k}=${v}`).join('&');
    if (custom.length > MAX_CUSTOM_PARAMETERS || customText.length > MAX_CUSTOM_PARAMETER_CHARS) {
      this.#client.fail('at most 3 custom parameters, 256 characters in all');
      return;
    }
    const headers: Record<string, string> = { 'user-agent': 'Exotel-Voicebot/1.0' };
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.#customParameters = Object.fromEntries(custom);
    this.#client.connect(url.toString(), headers, true);
  }

  #onOpen(): void {
    this.#client.sendLogged({ event: 'connected', message: { event: 'connected' } });
    this.#client.sendLogged({
      event: 'start',
      message: {
        event: 'start',
        sequence_number: this.#nextSeq(),
        stream_sid: this.sid,
        start: {
          stream_sid: this.sid,
          call_sid: this.call.sid,
          account_sid: this.call.accountSid,
          from: exotelNumber(this.call.leg.from),
          to: exotelNumber(this.call.leg.to),
          custom_parameters: this.#customParameters,
          media_format: {
            encoding: 'audio/x-raw',
            sample_rate: String(this.#format.sampleRate),
            bit_rate: '16',
          },
        },
      },
    });
    this.#startedMs = this.#ctx.clock.nowMs();
    this.#client.start({ inbound: true, outbound: false, playout: true, dtmf: true });
  }

  /**
   * One 20 ms frame of the caller; every `mediaFrameMs` they go out as one `media` message
   * (`undefined` until then).
   */
  #collect(frame: Buffer): object | undefined {
    this.#inbound.push(frame);
    if (this.#inbound.length * 20 < this.#options.mediaFrameMs) return undefined;
    const mulaw = Buffer.concat(this.#inbound.splice(0));
    // A resampler's output varies by a sample per call: messages carry exactly one frame's worth.
    this.#pcm = Buffer.concat([this.#pcm, this.#toBot ? this.#toBot(mulaw) : mulaw]);
    const frameBytes = (this.#format.sampleRate * 2 * this.#options.mediaFrameMs) / 1000;
    if (this.#pcm.length < frameBytes) return undefined;
    const pcm = this.#pcm.subarray(0, frameBytes);
    this.#pcm = this.#pcm.subarray(frameBytes);
    this.#chunk += 1;
    return {
      event: 'media',
      sequence_number: this.#nextSeq(),
      stream_sid: this.sid,
      media: {
        chunk: String(this.#chunk),
        timestamp: String(this.#ctx.clock.nowMs() - this.#startedMs),
        payload: pcm.toString('base64'),
      },
    };
  }

  #nextSeq(): string {
    this.#seq += 1;
    return String(this.#seq);
  }
}
