/**
 * The Plivo audio-stream client (protocols.md §3.3): Plivo is the WebSocket client. Sends
 * `start` (with `extra_headers`), one `media` per 20 ms with the caller's audio in the stream's
 * `contentType` (`sequenceNumber` and `chunk` numbers, `timestamp` a string of epoch ms), `dtmf`.
 * For a bidirectional stream it plays `playAudio` to the caller at real time, answers each
 * `checkpoint` with `playedStream` once the audio queued before it has played, and `clearAudio`
 * with `clearedAudio`. Closing the socket ends the stream; a `stop` event first is an option
 * (UNCONFIRMED).
 */
import WebSocket from 'ws';
import { SILENCE_FRAME } from '../../../sim/audio.js';
import type { SimContext } from '../../../sim/front-end.js';
import type { AudioLabel } from '../../../sim/heard.js';
import { PlayoutQueue } from '../../../sim/playout.js';
import type { PlivoCall } from './call.js';
import type { PlivoHooks } from './hooks.js';
import type { ResolvedPlivoOptions } from './options.js';
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

export interface StreamEnd {
  readonly reason: StreamEndReason;
  readonly detail?: string;
}

export interface StreamDeps {
  readonly ctx: SimContext;
  readonly options: ResolvedPlivoOptions;
  readonly hooks: PlivoHooks;
}

/** Counters a test can assert on. */
export interface StreamStats {
  mediaSent: number;
  mediaReceived: number;
  bytesReceived: number;
  bytesPlayed: number;
  checkpointsPlayed: number;
  rejected: number;
}

const STOP_CLOSE_WAIT_MS = 2000;

export class PlivoAudioStream {
  readonly streamId: string;
  readonly spec: StreamSpec;
  readonly call: PlivoCall;
  readonly ended: Promise<StreamEnd>;
  readonly stats: StreamStats = {
    mediaSent: 0,
    mediaReceived: 0,
    bytesReceived: 0,
    bytesPlayed: 0,
    checkpointsPlayed: 0,
    rejected: 0,
  };
  readonly #deps: StreamDeps;
  readonly #label: AudioLabel;
  readonly #playout = new PlayoutQueue();
  readonly #offs: Array<() => void> = [];
  readonly #audio: StreamAudio;
  #ws: WebSocket | undefined;
  #resolveEnded!: (end: StreamEnd) => void;
  #end: StreamEnd | undefined;
  #started = false;
  #seq = 0;
  #chunk = 0;
  #startTick = 0;
  #startEpochMs = 0;
  #outboundFrame: Buffer | undefined;

  constructor(streamId: string, call: PlivoCall, spec: StreamSpec, deps: StreamDeps) {
    this.streamId = streamId;
    this.call = call;
    this.spec = spec;
    this.#deps = deps;
    this.#label = { source: `stream:${streamId}` };
    this.#audio = new StreamAudio(spec.format, deps.options.l16ByteOrder);
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    this.#connect();
  }

  get isEnded(): boolean {
    return this.#end !== undefined;
  }

  /** Bytes of server audio (μ-law 8 kHz) queued and not yet played. */
  get queuedBytes(): number {
    return this.#playout.queuedBytes;
  }

  /** Ends the stream from Plivo's side (transfer, hang-up, REST stop): closes the socket. */
  async stop(reason: 'stopped' | 'timeout' = 'stopped'): Promise<void> {
    const ws = this.#ws;
    if (this.#end || !ws) {
      this.#finish({ reason });
      return;
    }
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (this.#started && ws.readyState === WebSocket.OPEN && this.#deps.options.streamStopEvent) {
      this.#send({
        event: 'stop',
        sequenceNumber: this.#nextSeq(),
        streamId: this.streamId,
        stop: { callId: this.call.uuid },
      });
      this.#logEvent('sent', 'stop');
    }
    this.#finish({ reason });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000);
    const cancel = this.#deps.ctx.timers.after(STOP_CLOSE_WAIT_MS, () => ws.terminate());
    await closed;
    cancel();
  }

  /** Closes the socket abruptly: no close frame (a network failure). */
  drop(): void {
    if (this.#end) return;
    this.#finish({ reason: 'dropped' });
    this.#ws?.terminate();
  }

  #connect(): void {
    let url: URL;
    try {
      url = new URL(this.spec.url);
    } catch {
      this.#fail(`invalid stream url ${this.spec.url}`);
      return;
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && this.#deps.options.allowInsecureStreams)) {
      this.#fail(`stream url must be wss:// (${this.spec.url})`);
      return;
    }
    const ws = new WebSocket(this.spec.url, {
      headers: { 'user-agent': 'Plivo-AudioStream' },
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    this.#ws = ws;
    ws.on('open', () => this.#onOpen());
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('error', (err) => {
      if (!this.#started) this.#fail(err.message);
    });
    ws.on('close', () => {
      if (!this.#started) this.#fail('closed before start');
      else this.#finish({ reason: 'server-closed' });
    });
  }

  /** `extra_headers` as delivered: the attribute's pairs with the configured separator. */
  #extraHeaders(): string {
    return this.spec.extraHeaders.split(',').filter(Boolean).join(this.#deps.options.extraHeadersSeparator);
  }

  #onOpen(): void {
    if (this.#end) {
      this.#ws?.terminate();
      return;
    }
    const tracks = this.spec.audioTrack === 'both' ? ['inbound', 'outbound'] : [this.spec.audioTrack];
    this.#send({
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
    });
    this.#logEvent('sent', 'start');
    this.#started = true;
    const { ticker, clock, timers } = this.#deps.ctx;
    this.#startTick = ticker.tick;
    this.#startEpochMs = Math.round(clock.nowMs());
    this.#streamStatus('StartStream');
    const leg = this.call.leg;
    if (tracks.includes('inbound')) this.#offs.push(ticker.add('route', (tick) => this.#sendInbound(tick)));
    if (tracks.includes('outbound')) {
      this.#offs.push(
        leg.onHear((_label, frame) => {
          this.#outboundFrame ??= frame;
        }),
      );
      this.#offs.push(ticker.add('route', (tick) => this.#sendOutbound(tick)));
    }
    if (this.spec.bidirectional) this.#offs.push(ticker.add('produce', () => this.#playOut()));
    if (this.#deps.options.dtmfEvents) {
      this.#offs.push(
        leg.on((e) => {
          if (e.type === 'leg.dtmf') this.#sendDtmf(e.digit);
        }),
      );
    }
    this.#offs.push(timers.after(this.spec.streamTimeoutSec * 1000, () => void this.stop('timeout')));
  }

  #sendInbound(tick: number): void {
    if (this.#end) return;
    this.#sendMedia('inbound', this.call.leg.frameAt(tick) ?? SILENCE_FRAME, tick);
    this.#checkDrop();
  }

  #sendOutbound(tick: number): void {
    if (this.#end) return;
    const frame = this.#outboundFrame ?? SILENCE_FRAME;
    this.#outboundFrame = undefined;
    this.#sendMedia('outbound', frame, tick);
  }

  #sendMedia(track: 'inbound' | 'outbound', mulaw: Buffer, tick: number): void {
    const payload = this.#audio.toWire(mulaw);
    this.#send({
      event: 'media',
      sequenceNumber: this.#nextSeq(),
      streamId: this.streamId,
      media: {
        track,
        timestamp: String(this.#startEpochMs + (tick - this.#startTick) * 20),
        chunk: ++this.#chunk,
        payload: payload.toString('base64'),
      },
      extra_headers: this.#extraHeaders(),
    });
    this.stats.mediaSent++;
  }

  #checkDrop(): void {
    const sent = this.stats.mediaSent;
    const rule = this.#deps.ctx.faults.take(
      'media.drop',
      (r) => (r.callSid === undefined || r.callSid === this.call.uuid) && sent >= (r.afterFrames ?? 0),
      { carrier: 'plivo', callSid: this.call.uuid, detail: this.streamId },
    );
    if (rule) this.drop();
  }

  #sendDtmf(digit: string): void {
    if (this.#end) return;
    this.#send({
      event: 'dtmf',
      sequenceNumber: this.#nextSeq(),
      streamId: this.streamId,
      dtmf: { track: 'inbound', digit, timestamp: String(Math.round(this.#deps.ctx.clock.nowMs())) },
    });
    this.#logEvent('sent', 'dtmf');
  }

  /** One tick of playout: answer checkpoints whose audio has played, then play up to 160 bytes. */
  #playOut(): void {
    if (this.#end) return;
    const { marks, frame } = this.#playout.tick();
    for (const name of marks) this.#playedStream(name);
    if (!frame) return;
    this.stats.bytesPlayed += frame.length;
    this.call.leg.hear(this.#label, frame);
  }

  #playedStream(name: string): void {
    this.#send({ event: 'playedStream', sequenceNumber: this.#nextSeq(), streamId: this.streamId, name });
    this.stats.checkpointsPlayed++;
    this.#logEvent('sent', 'playedStream', name);
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#end) return;
    const msg = decodeServerMessage(
      isBinary ? undefined : data.toString(),
      this.streamId,
      this.spec.bidirectional,
      this.spec.format,
    );
    switch (msg.type) {
      case 'rejected':
        this.stats.rejected++;
        this.#logEvent('received', 'rejected', msg.detail);
        return;
      case 'playAudio': {
        if (this.stats.mediaReceived === 0) this.#logEvent('received', 'playAudio');
        this.stats.mediaReceived++;
        this.stats.bytesReceived += msg.payload.length;
        this.#playout.pushAudio(this.#audio.fromWire(msg.payload));
        return;
      }
      case 'checkpoint':
        this.#logEvent('received', 'checkpoint', msg.name);
        this.#playout.pushMark(msg.name);
        return;
      case 'clearAudio': {
        this.#logEvent('received', 'clearAudio');
        const pending = this.#playout.clear();
        if (this.#deps.options.clearAcksCheckpoints) for (const name of pending) this.#playedStream(name);
        this.#send({ event: 'clearedAudio', sequenceNumber: this.#nextSeq(), streamId: this.streamId });
        this.#logEvent('sent', 'clearedAudio');
        return;
      }
      case 'sendDTMF':
        this.#logEvent('received', 'sendDTMF', msg.digits);
        return;
    }
  }

  #send(msg: object): void {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  #nextSeq(): number {
    return ++this.#seq;
  }

  #fail(detail: string): void {
    if (this.#end) return;
    this.#deps.ctx.log.add(
      { carrier: 'plivo', callSid: this.call.uuid },
      { type: 'markup.error', code: 0, message: `Stream: ${detail}` },
    );
    this.#finish({ reason: 'failed', detail });
    this.#ws?.terminate();
  }

  #finish(end: StreamEnd): void {
    if (this.#end) return;
    this.#end = end;
    for (const off of this.#offs) off();
    this.#offs.length = 0;
    this.#playout.clear();
    this.#logEvent('sent', `ended.${end.reason}`, end.detail);
    this.#streamStatus(
      end.reason === 'failed' || end.reason === 'dropped' ? 'DroppedStream' : 'StopStream',
      end.detail,
    );
    this.#resolveEnded(end);
  }

  #logEvent(direction: 'sent' | 'received', event: string, detail?: string): void {
    this.#deps.ctx.log.add(
      { carrier: 'plivo', callSid: this.call.uuid },
      {
        type: 'media.event',
        streamId: this.streamId,
        direction,
        event,
        ...(detail === undefined ? {} : { detail }),
      },
    );
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
