/**
 * The Voicebot applet's WebSocket client (protocols.md §4.1, §4.2): Exotel is the client. It sends
 * `connected`, `start` (`stream_sid`, `call_sid`, `custom_parameters` from the URL query,
 * `media_format`), one `media` per ≈100 ms with the caller's audio as PCM16 LE at the stream's
 * sample rate (string `sequence_number`, `chunk`, `timestamp`), `dtmf`, each `mark` echoed once
 * the audio before it has played, and `stop` with a reason before closing. It plays the bot's audio
 * to the caller in real time, refusing chunks that break Exotel's size rules. The bot closing the
 * socket ends the applet, and the flow goes on.
 */
import WebSocket from 'ws';
import { SILENCE_FRAME } from '../../../sim/audio.js';
import type { SimContext } from '../../../sim/front-end.js';
import type { AudioLabel } from '../../../sim/heard.js';
import { PlayoutQueue } from '../../../sim/playout.js';
import { type AudioFormat, MULAW_8K } from '../../../src/domain/media.js';
import { createTranscoder, type Transcode } from '../../../src/media/transcode.js';
import type { ExotelCall } from './call.js';
import type { ResolvedExotelOptions } from './options.js';
import { decodeBotMessage } from './stream-messages.js';

/** How a stream ended: the bot closed it, Exotel stopped it (call over), the socket dropped, or it never started. */
export type VoicebotEndReason = 'bot-closed' | 'stopped' | 'dropped' | 'failed';

export interface VoicebotEnd {
  readonly reason: VoicebotEndReason;
  readonly detail?: string;
}

export interface VoicebotSpec {
  /** `ws(s)://` URL as configured or as the dynamic URL answered; userinfo becomes Basic auth. */
  readonly url: string;
}

/** Counters a test can assert on. */
export interface VoicebotStats {
  mediaSent: number;
  mediaReceived: number;
  bytesReceived: number;
  bytesPlayed: number;
  marksEchoed: number;
  rejected: number;
}

const STOP_CLOSE_WAIT_MS = 2000;
const MAX_CUSTOM_PARAMETERS = 3;
const MAX_CUSTOM_PARAMETER_CHARS = 256;
const SAMPLE_RATES = new Set([8000, 16000, 24000]);

export class ExotelVoicebotStream {
  readonly sid: string;
  readonly call: ExotelCall;
  readonly url: string;
  readonly ended: Promise<VoicebotEnd>;
  readonly stats: VoicebotStats = {
    mediaSent: 0,
    mediaReceived: 0,
    bytesReceived: 0,
    bytesPlayed: 0,
    marksEchoed: 0,
    rejected: 0,
  };
  readonly #ctx: SimContext;
  readonly #options: ResolvedExotelOptions;
  readonly #label: AudioLabel;
  readonly #playout = new PlayoutQueue();
  readonly #offs: Array<() => void> = [];
  readonly #inbound: Buffer[] = [];
  #pcm: Buffer = Buffer.alloc(0);
  #format: AudioFormat = { encoding: 'pcm16', sampleRate: 8000 };
  #toBot: Transcode | undefined;
  #fromBot: Transcode | undefined;
  #ws: WebSocket | undefined;
  #resolveEnded!: (end: VoicebotEnd) => void;
  #end: VoicebotEnd | undefined;
  #started = false;
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
    this.#label = { source: `stream:${sid}` };
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    this.#connect();
  }

  get isEnded(): boolean {
    return this.#end !== undefined;
  }

  get format(): AudioFormat {
    return this.#format;
  }

  /** Bytes of bot audio (μ-law, as heard) queued and not yet played. */
  get queuedBytes(): number {
    return this.#playout.queuedBytes;
  }

  /** Exotel ends the stream: `stop` with `reason`, then close (§4.2). Resolves once closed. */
  async stop(reason: 'callended' | 'stopped'): Promise<void> {
    const ws = this.#ws;
    if (this.#end || !ws) {
      this.#finish({ reason: 'stopped' });
      return;
    }
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (this.#started && ws.readyState === WebSocket.OPEN) {
      this.#send({
        event: 'stop',
        sequence_number: this.#nextSeq(),
        stream_sid: this.sid,
        stop: { call_sid: this.call.sid, account_sid: this.call.accountSid, reason },
      });
      this.#logEvent('sent', 'stop', reason);
    }
    this.#finish({ reason: 'stopped', detail: reason });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000);
    const cancel = this.#ctx.timers.after(STOP_CLOSE_WAIT_MS, () => ws.terminate());
    await closed;
    cancel();
  }

  /** Closes the socket abruptly: no `stop`, no close frame (a network failure). */
  drop(): void {
    if (this.#end) return;
    this.#finish({ reason: 'dropped' });
    this.#ws?.terminate();
  }

  #connect(): void {
    let url: URL;
    try {
      url = new URL(this.url);
    } catch {
      this.#fail(`invalid stream url ${this.url}`);
      return;
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && this.#options.allowInsecureStreams)) {
      this.#fail('stream url must be wss://');
      return;
    }
    const rate = Number(url.searchParams.get('sample-rate') ?? '8000');
    if (!SAMPLE_RATES.has(rate)) {
      this.#fail('sample-rate must be 8000, 16000 or 24000');
      return;
    }
    this.#format = { encoding: 'pcm16', sampleRate: rate };
    this.#toBot = createTranscoder(MULAW_8K, this.#format);
    this.#fromBot = createTranscoder(this.#format, MULAW_8K);
    const custom = [...url.searchParams].filter(([name]) => name !== 'sample-rate');
    const customText = custom.map(([k, v]) => `${k}=${v}`).join('&');
    if (custom.length > MAX_CUSTOM_PARAMETERS || customText.length > MAX_CUSTOM_PARAMETER_CHARS) {
      this.#fail('at most 3 custom parameters, 256 characters in all');
      return;
    }
    const headers: Record<string, string> = { 'user-agent': 'Exotel-Voicebot/1.0' };
    if (url.username !== '' || url.password !== '') {
      const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    const ws = new WebSocket(url.toString(), { headers, perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.#ws = ws;
    ws.on('open', () => this.#onOpen(Object.fromEntries(custom)));
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('unexpected-response', (_req, res) => {
      this.#fail(`upgrade refused with HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => {
      if (!this.#started) this.#fail(err.message);
    });
    ws.on('close', () => {
      if (!this.#started) this.#fail('closed before start');
      else this.#finish({ reason: 'bot-closed' });
    });
  }

  #onOpen(customParameters: Record<string, string>): void {
    if (this.#end) {
      this.#ws?.terminate();
      return;
    }
    this.#send({ event: 'connected' });
    this.#logEvent('sent', 'connected');
    this.#send({
      event: 'start',
      sequence_number: this.#nextSeq(),
      stream_sid: this.sid,
      start: {
        stream_sid: this.sid,
        call_sid: this.call.sid,
        account_sid: this.call.accountSid,
        from: this.call.leg.from,
        to: this.call.leg.to,
        custom_parameters: customParameters,
        media_format: {
          encoding: 'audio/x-raw',
          sample_rate: String(this.#format.sampleRate),
          bit_rate: '16',
        },
      },
    });
    this.#logEvent('sent', 'start');
    this.#started = true;
    this.#startedMs = this.#ctx.clock.nowMs();
    const { ticker } = this.#ctx;
    const leg = this.call.leg;
    this.#offs.push(ticker.add('route', (tick) => this.#collect(leg.frameAt(tick) ?? SILENCE_FRAME)));
    this.#offs.push(ticker.add('produce', () => this.#playOut()));
    this.#offs.push(
      leg.on((e) => {
        if (e.type === 'leg.dtmf') this.#sendDtmf(e.digit);
      }),
    );
  }

  /** One 20 ms frame of the caller; every `mediaFrameMs` they go out as one `media` message. */
  #collect(frame: Buffer): void {
    if (this.#end) return;
    this.#inbound.push(frame);
    if (this.#inbound.length * 20 < this.#options.mediaFrameMs) return;
    const mulaw = Buffer.concat(this.#inbound.splice(0));
    // A resampler's output varies by a sample per call: messages carry exactly one frame's worth.
    this.#pcm = Buffer.concat([this.#pcm, this.#toBot ? this.#toBot(mulaw) : mulaw]);
    const frameBytes = (this.#format.sampleRate * 2 * this.#options.mediaFrameMs) / 1000;
    if (this.#pcm.length < frameBytes) return;
    const pcm = this.#pcm.subarray(0, frameBytes);
    this.#pcm = this.#pcm.subarray(frameBytes);
    this.#chunk += 1;
    this.#send({
      event: 'media',
      sequence_number: this.#nextSeq(),
      stream_sid: this.sid,
      media: {
        chunk: String(this.#chunk),
        timestamp: String(this.#ctx.clock.nowMs() - this.#startedMs),
        payload: pcm.toString('base64'),
      },
    });
    this.stats.mediaSent += 1;
    const sent = this.stats.mediaSent;
    const drop = this.#ctx.faults.take(
      'media.drop',
      (r) => (r.callSid === undefined || r.callSid === this.call.sid) && sent >= (r.afterFrames ?? 0),
      { carrier: 'exotel', callSid: this.call.sid, detail: this.sid },
    );
    if (drop) this.drop();
  }

  #sendDtmf(digit: string): void {
    if (this.#end) return;
    this.#send({
      event: 'dtmf',
      sequence_number: this.#nextSeq(),
      stream_sid: this.sid,
      dtmf: { digit, duration: '100' },
    });
    this.#logEvent('sent', 'dtmf');
  }

  /** One tick of playout: echo marks whose audio has played, then play up to 20 ms. */
  #playOut(): void {
    if (this.#end) return;
    const { marks, frame } = this.#playout.tick();
    for (const name of marks) this.#echoMark(name);
    if (!frame) return;
    this.stats.bytesPlayed += frame.length;
    this.call.leg.hear(this.#label, frame);
  }

  #echoMark(name: string): void {
    this.#send({ event: 'mark', sequence_number: this.#nextSeq(), stream_sid: this.sid, mark: { name } });
    this.stats.marksEchoed += 1;
    this.#logEvent('sent', 'mark', name);
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#end) return;
    const msg = decodeBotMessage(
      isBinary ? undefined : data.toString(),
      this.sid,
      this.#options.enforceChunkRules,
    );
    switch (msg.type) {
      case 'rejected':
        this.stats.rejected += 1;
        this.#logEvent('received', 'rejected', msg.detail);
        return;
      case 'media':
        if (this.stats.mediaReceived === 0) this.#logEvent('received', 'media');
        this.stats.mediaReceived += 1;
        this.stats.bytesReceived += msg.payload.length;
        this.#playout.pushAudio(this.#fromBot ? this.#fromBot(msg.payload) : msg.payload);
        return;
      case 'mark':
        this.#logEvent('received', 'mark', msg.name);
        this.#playout.pushMark(msg.name);
        return;
      case 'clear': {
        this.#logEvent('received', 'clear');
        const marks = this.#playout.clear();
        if (this.#options.clearEchoesMarks) for (const name of marks) this.#echoMark(name);
        return;
      }
    }
  }

  #send(msg: object): void {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  #nextSeq(): string {
    this.#seq += 1;
    return String(this.#seq);
  }

  #fail(detail: string): void {
    if (this.#end) return;
    this.#ctx.log.add(
      { carrier: 'exotel', callSid: this.call.sid },
      { type: 'markup.error', code: 0, message: `Voicebot: ${detail}` },
    );
    this.#finish({ reason: 'failed', detail });
    this.#ws?.terminate();
  }

  #finish(end: VoicebotEnd): void {
    if (this.#end) return;
    this.#end = end;
    for (const off of this.#offs) off();
    this.#offs.length = 0;
    this.#playout.clear();
    this.#logEvent('sent', `ended.${end.reason}`, end.detail);
    this.#resolveEnded(end);
  }

  /** Seconds since `start`. */
  get durationSec(): number {
    return this.#started ? Math.round((this.#ctx.clock.nowMs() - this.#startedMs) / 1000) : 0;
  }

  #logEvent(direction: 'sent' | 'received', event: string, detail?: string): void {
    this.#ctx.log.add(
      { carrier: 'exotel', callSid: this.call.sid },
      {
        type: 'media.event',
        streamId: this.sid,
        direction,
        event,
        ...(detail === undefined ? {} : { detail }),
      },
    );
  }
}
