/**
 * The Twilio Media Streams client (protocols.md §2.3): Twilio is the WebSocket client. Sends
 * `connected`, `start`, one `media` per 20 ms with the caller's audio (160 bytes μ-law, string
 * `sequenceNumber`/`chunk`/`timestamp`), `dtmf`, echoed `mark`s, and `stop` before closing.
 * For a bidirectional `<Connect><Stream>` it plays the server's audio to the caller at
 * 8000 bytes/s, echoes each mark once the audio queued before it has played, and drops queued
 * audio on `clear`.
 */
import WebSocket from 'ws';
import { SILENCE_FRAME } from '../../../sim/audio.js';
import type { SimContext } from '../../../sim/front-end.js';
import type { AudioLabel } from '../../../sim/heard.js';
import { PlayoutQueue } from '../../../sim/playout.js';
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

export interface StreamEnd {
  readonly reason: StreamEndReason;
  readonly detail?: string;
}

export interface StreamDeps {
  readonly ctx: SimContext;
  readonly options: ResolvedTwilioOptions;
  readonly hooks: TwilioHooks;
}

const STOP_CLOSE_WAIT_MS = 2000;

/** Counters a test can assert on. */
export interface StreamStats {
  mediaSent: number;
  mediaReceived: number;
  bytesReceived: number;
  bytesPlayed: number;
  marksEchoed: number;
  rejected: number;
}

export class TwilioMediaStream {
  readonly sid: string;
  readonly spec: StreamSpec;
  readonly call: TwilioCall;
  readonly ended: Promise<StreamEnd>;
  readonly stats: StreamStats = {
    mediaSent: 0,
    mediaReceived: 0,
    bytesReceived: 0,
    bytesPlayed: 0,
    marksEchoed: 0,
    rejected: 0,
  };
  readonly #deps: StreamDeps;
  readonly #label: AudioLabel;
  readonly #playout = new PlayoutQueue();
  readonly #offs: Array<() => void> = [];
  #ws: WebSocket | undefined;
  #resolveEnded!: (end: StreamEnd) => void;
  #end: StreamEnd | undefined;
  #started = false;
  #seq = 0;
  #startTick = 0;
  #chunk = { inbound: 0, outbound: 0 };
  #outboundFrame: Buffer | undefined;

  constructor(sid: string, call: TwilioCall, spec: StreamSpec, deps: StreamDeps) {
    this.sid = sid;
    this.call = call;
    this.spec = spec;
    this.#deps = deps;
    this.#label = { source: `stream:${sid}` };
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
    this.#connect();
  }

  get isEnded(): boolean {
    return this.#end !== undefined;
  }

  /** Bytes of server audio queued and not yet played. */
  get queuedBytes(): number {
    return this.#playout.queuedBytes;
  }

  /** Sends `stop` and closes (REST redirect, hangup, `<Stop><Stream>`); resolves once closed. */
  async stop(): Promise<void> {
    const ws = this.#ws;
    if (this.#end || !ws) {
      this.#finish({ reason: 'stopped' });
      return;
    }
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (this.#started && ws.readyState === WebSocket.OPEN) {
      this.#send({
        event: 'stop',
        sequenceNumber: this.#nextSeq(),
        streamSid: this.sid,
        stop: { accountSid: this.call.accountSid, callSid: this.call.sid },
      });
      this.#logEvent('sent', 'stop');
    }
    this.#finish({ reason: 'stopped' });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000);
    const cancel = this.#deps.ctx.timers.after(STOP_CLOSE_WAIT_MS, () => ws.terminate());
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
    const { options } = this.#deps;
    let url: URL;
    try {
      url = new URL(this.spec.url);
    } catch {
      this.#fail(`invalid stream url ${this.spec.url}`);
      return;
    }
    if (url.protocol !== 'wss:' && !(url.protocol === 'ws:' && options.allowInsecureStreams)) {
      this.#fail(`stream url must be wss:// (${this.spec.url})`);
      return;
    }
    if (options.rejectStreamUrlQuery && url.search !== '') {
      this.#fail('stream url must not carry a query string; use <Parameter>');
      return;
    }
    const headers: Record<string, string> = { 'user-agent': 'Twilio.TmeWs/1.0' };
    if (options.signStreamUpgrade)
      headers['x-twilio-signature'] = twilioSignature(options.authToken, this.spec.url, {});
    const ws = new WebSocket(this.spec.url, { headers, perMessageDeflate: false, handshakeTimeout: 10_000 });
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

  #onOpen(): void {
    if (this.#end) {
      this.#ws?.terminate();
      return;
    }
    this.#send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.#logEvent('sent', 'connected');
    const tracks =
      this.spec.bidirectional || this.spec.track === 'inbound_track'
        ? ['inbound']
        : this.spec.track === 'outbound_track'
          ? ['outbound']
          : ['inbound', 'outbound'];
    this.#send({
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
    });
    this.#logEvent('sent', 'start');
    this.#started = true;
    this.#startTick = this.#deps.ctx.ticker.tick;
    this.#streamStatus('stream-started');
    const { ticker } = this.#deps.ctx;
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
    if (this.spec.bidirectional) {
      this.#offs.push(ticker.add('produce', () => this.#playOut()));
      this.#offs.push(
        leg.on((e) => {
          if (e.type === 'leg.dtmf') this.#sendDtmf(e.digit);
        }),
      );
    }
  }

  #sendInbound(tick: number): void {
    if (this.#end) return;
    const frame = this.call.leg.frameAt(tick) ?? SILENCE_FRAME;
    this.#sendMedia('inbound', frame, tick);
    this.#checkDrop();
  }

  #sendOutbound(tick: number): void {
    if (this.#end) return;
    const frame = this.#outboundFrame ?? SILENCE_FRAME;
    this.#outboundFrame = undefined;
    this.#sendMedia('outbound', frame, tick);
  }

  #sendMedia(track: 'inbound' | 'outbound', frame: Buffer, tick: number): void {
    const chunk = ++this.#chunk[track];
    this.#send({
      event: 'media',
      sequenceNumber: this.#nextSeq(),
      media: {
        track,
        chunk: String(chunk),
        timestamp: String((tick - this.#startTick) * 20),
        payload: frame.toString('base64'),
      },
      streamSid: this.sid,
    });
    this.stats.mediaSent++;
  }

  #checkDrop(): void {
    const sent = this.stats.mediaSent;
    const rule = this.#deps.ctx.faults.take(
      'media.drop',
      (r) => (r.callSid === undefined || r.callSid === this.call.sid) && sent >= (r.afterFrames ?? 0),
      { carrier: 'twilio', callSid: this.call.sid, detail: this.sid },
    );
    if (rule) this.drop();
  }

  #sendDtmf(digit: string): void {
    if (this.#end) return;
    this.#send({
      event: 'dtmf',
      streamSid: this.sid,
      sequenceNumber: this.#nextSeq(),
      dtmf: { track: 'inbound_track', digit },
    });
    this.#logEvent('sent', 'dtmf');
  }

  /** One tick of playout: echo marks whose audio has played, then play up to 160 bytes. */
  #playOut(): void {
    if (this.#end) return;
    const { marks, frame } = this.#playout.tick();
    for (const name of marks) this.#echoMark(name);
    if (!frame) return;
    this.stats.bytesPlayed += frame.length;
    this.call.leg.hear(this.#label, frame);
  }

  #echoMark(name: string): void {
    this.#send({ event: 'mark', sequenceNumber: this.#nextSeq(), streamSid: this.sid, mark: { name } });
    this.stats.marksEchoed++;
    this.#logEvent('sent', 'mark', name);
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#end) return;
    const msg = decodeServerMessage(
      isBinary ? undefined : data.toString(),
      this.sid,
      this.spec.bidirectional,
    );
    switch (msg.type) {
      case 'rejected':
        this.#reject(msg.detail);
        return;
      case 'media':
        if (this.stats.mediaReceived === 0) this.#logEvent('received', 'media');
        this.stats.mediaReceived++;
        this.stats.bytesReceived += msg.payload.length;
        this.#playout.pushAudio(msg.payload);
        return;
      case 'mark':
        this.#logEvent('received', 'mark', msg.name);
        this.#playout.pushMark(msg.name);
        return;
      case 'clear': {
        this.#logEvent('received', 'clear');
        const marks = this.#playout.clear();
        if (this.#deps.options.clearEchoesMarks) for (const name of marks) this.#echoMark(name);
        return;
      }
    }
  }

  #reject(detail: string): void {
    this.stats.rejected++;
    this.#logEvent('received', 'rejected', detail);
  }

  #send(msg: object): void {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  #nextSeq(): string {
    return String(++this.#seq);
  }

  #fail(detail: string): void {
    if (this.#end) return;
    this.#deps.ctx.log.add(
      { carrier: 'twilio', callSid: this.call.sid },
      { type: 'markup.error', code: 31920, message: `Stream - WebSocket - ${detail}` },
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
      end.reason === 'failed' || end.reason === 'dropped' ? 'stream-error' : 'stream-stopped',
      end.detail,
    );
    this.#resolveEnded(end);
  }

  #logEvent(direction: 'sent' | 'received', event: string, detail?: string): void {
    this.#deps.ctx.log.add(
      { carrier: 'twilio', callSid: this.call.sid },
      {
        type: 'media.event',
        streamId: this.sid,
        direction,
        event,
        ...(detail === undefined ? {} : { detail }),
      },
    );
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
