/**
 * The carrier-neutral media-stream client: on Twilio, Plivo and Exotel alike the carrier is the
 * WebSocket client. This is the part the three share: the socket's life (connect, `stop` then a
 * close with a 2 s wait, an abrupt drop, a failure before start), one caller frame every 20 ms
 * (`route` phase) with the `media.drop` fault checked after each inbound message, an optional
 * outbound track (what the caller hears), the server's audio played to the caller at 8000 bytes/s
 * through a {@link PlayoutQueue} (`produce` phase), markers acknowledged once the audio queued
 * before them has played, `clear` dropping queued audio, DTMF forwarded, counters and
 * `media.event` log entries. Each front-end supplies a {@link MediaWire}: its message shapes,
 * field names and types, ids and error text.
 */
import WebSocket from 'ws';
import type { Carrier } from '../src/domain/carrier.js';
import { SILENCE_FRAME } from './audio.js';
import { ulawToLinear } from './codec.js';
import type { SimContext } from './front-end.js';
import { type AudioLabel, type AudioLevel, QUIET_DBFS } from './heard.js';
import type { Leg } from './leg.js';
import { PlayoutQueue } from './playout.js';

const STOP_CLOSE_WAIT_MS = 2000;

/** How a stream ended; `R` are the carrier's own reasons (server closed, stopped…). */
export interface MediaEnd<R extends string> {
  readonly reason: R | 'dropped' | 'failed';
  readonly detail?: string;
}

/** Counters every front-end's stream has; a front-end adds its marker counter. */
export interface MediaClientStats {
  mediaSent: number;
  mediaReceived: number;
  bytesReceived: number;
  bytesPlayed: number;
  rejected: number;
  /**
   * The first caller frame (μ-law 8 kHz, 20 ms) this stream sent after `start`: where a server that
   * lost nothing must begin. Exotel batches frames; this is the first frame of its first message.
   */
  firstInboundFrame: Buffer | undefined;
}

/** Counters at zero. */
export function newMediaClientStats(): MediaClientStats {
  return {
    mediaSent: 0,
    mediaReceived: 0,
    bytesReceived: 0,
    bytesPlayed: 0,
    rejected: 0,
    firstInboundFrame: undefined,
  };
}

/** A message to send, with the event name it is logged under. */
export interface OutgoingMessage {
  readonly event: string;
  readonly message: object;
  readonly detail?: string;
}

/** A server message in the simulator's media vocabulary, `event` as the carrier names it. */
export type IncomingMessage =
  /** `payload` as received (counted in `bytesReceived`), `mulaw` as played (μ-law 8 kHz). */
  | { readonly type: 'audio'; readonly event: string; readonly payload: Buffer; readonly mulaw: Buffer }
  | { readonly type: 'mark'; readonly event: string; readonly name: string }
  | { readonly type: 'clear'; readonly event: string }
  /** Accepted and only logged (Plivo `sendDTMF`). */
  | { readonly type: 'notice'; readonly event: string; readonly detail?: string }
  /** Ignored by the carrier; the simulator logs why. */
  | { readonly type: 'rejected'; readonly detail: string };

/** One carrier's wire: message shapes, ids, counters and numbering belong to it. */
export interface MediaWire {
  readonly carrier: Carrier;
  /** The call's id in log entries and for `media.drop` rules. */
  readonly callSid: string;
  /** The stream's id in log entries and fault details. */
  readonly streamId: string;
  /** A `media` message for one 20 ms μ-law frame, or `undefined` while batching (Exotel). */
  media(track: 'inbound' | 'outbound', frame: Buffer, tick: number): object | undefined;
  dtmf(digit: string): object;
  /** The acknowledgement of a marker whose audio has played (counts it in the stats). */
  markPlayed(name: string): OutgoingMessage;
  /** Sent after the pending markers on `clear`, if the carrier answers it (Plivo `clearedAudio`). */
  clearAck?(): OutgoingMessage;
  decode(text: string | undefined): IncomingMessage;
  /** The `markup.error` logged when the stream cannot start. */
  failure(detail: string): { readonly code: number; readonly message: string };
}

export interface MediaClientOptions<R extends string> {
  readonly ctx: SimContext;
  readonly wire: MediaWire;
  /** The call's leg: its audio is streamed, the server's audio is played to it. */
  readonly leg: Leg;
  readonly stats: MediaClientStats;
  /** The end when the server closes the socket after `start`. */
  readonly closedReason: R;
  /** Acknowledge pending markers on `clear` (Twilio, Exotel: UNCONFIRMED; Plivo: checkpoints). */
  readonly clearAcksMarks: boolean;
  /** The socket is open: send the opening messages, then call {@link MediaClient.start}. */
  readonly onOpen: () => void;
  /** Once, when the stream ends (status callbacks). */
  readonly onEnd?: (end: MediaEnd<R>) => void;
}

/** What runs once the stream has started. */
export interface MediaTracks {
  /** Send the caller's audio (silence when nothing is heard). */
  readonly inbound: boolean;
  /** Send what the caller hears. */
  readonly outbound: boolean;
  /** Play the server's audio to the caller. */
  readonly playout: boolean;
  /** Forward the caller's digits. */
  readonly dtmf: boolean;
}

export class MediaClient<R extends string> {
  readonly ended: Promise<MediaEnd<R>>;
  readonly #opts: MediaClientOptions<R>;
  readonly #label: AudioLabel;
  readonly #playout = new PlayoutQueue();
  readonly #offs: Array<() => void> = [];
  #ws: WebSocket | undefined;
  #resolveEnded!: (end: MediaEnd<R>) => void;
  #end: MediaEnd<R> | undefined;
  #started = false;
  #outboundFrame: Buffer | undefined;

  constructor(opts: MediaClientOptions<R>) {
    this.#opts = opts;
    this.#label = { source: `stream:${opts.wire.streamId}` };
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  get isEnded(): boolean {
    return this.#end !== undefined;
  }

  get isStarted(): boolean {
    return this.#started;
  }

  /** Bytes of server audio (μ-law, as heard) queued and not yet played. */
  get queuedBytes(): number {
    return this.#playout.queuedBytes;
  }

  /**
   * Opens the socket. `refusedUpgradeFails`: an HTTP answer to the upgrade fails the stream with
   * its status (Exotel); otherwise the socket's own error does.
   */
  connect(url: string, headers: Record<string, string>, refusedUpgradeFails = false): void {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.#ws = ws;
    ws.on('open', () => {
      if (this.#end) {
        ws.terminate();
        return;
      }
      this.#opts.onOpen();
    });
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    if (refusedUpgradeFails) {
      ws.on('unexpected-response', (_req, res) => {
        this.fail(`upgrade refused with HTTP ${res.statusCode}`);
        ws.terminate();
      });
    }
    ws.on('error', (err) => {
      if (!this.#started) this.fail(err.message);
    });
    ws.on('close', () => {
      if (!this.#started) this.fail('closed before start');
      else this.#finish({ reason: this.#opts.closedReason });
    });
  }

  /** After the opening messages: the stream is started and its tracks run. */
  start(tracks: MediaTracks): void {
    this.#started = true;
    const { ticker } = this.#opts.ctx;
    const leg = this.#opts.leg;
    if (tracks.inbound) this.#offs.push(ticker.add('route', (tick) => this.#sendInbound(tick)));
    if (tracks.outbound) {
      this.#offs.push(
        leg.onHear((_label, frame) => {
          this.#outboundFrame ??= frame;
        }),
      );
      this.#offs.push(ticker.add('route', (tick) => this.#sendOutbound(tick)));
    }
    if (tracks.playout) this.#offs.push(ticker.add('produce', () => this.#playOut()));
    if (tracks.dtmf) {
      this.#offs.push(
        leg.on((e) => {
          if (e.type === 'leg.dtmf') this.#sendDtmf(e.digit);
        }),
      );
    }
  }

  /** Runs `off` when the stream ends (timers of the carrier's own). */
  own(off: () => void): void {
    if (this.#end) off();
    else this.#offs.push(off);
  }

  /**
   * The carrier ends the stream: `stop` (if given and the stream started) then a close; resolves
   * once closed, or after a 2 s wait the socket is terminated.
   */
  async stop(end: MediaEnd<R>, stop: OutgoingMessage | undefined): Promise<void> {
    const ws = this.#ws;
    if (this.#end || !ws) {
      this.#finish(end);
      return;
    }
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (stop && this.#started && ws.readyState === WebSocket.OPEN) this.sendLogged(stop);
    this.#finish(end);
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000);
    const cancel = this.#opts.ctx.timers.after(STOP_CLOSE_WAIT_MS, () => ws.terminate());
    await closed;
    cancel();
  }

  /** Closes the socket abruptly: no `stop`, no close frame (a network failure). */
  drop(): void {
    if (this.#end) return;
    this.#finish({ reason: 'dropped' });
    this.#ws?.terminate();
  }

  /** The stream could not start: a `markup.error`, then the end. */
  fail(detail: string): void {
    if (this.#end) return;
    const { wire, ctx } = this.#opts;
    ctx.log.add(
      { carrier: wire.carrier, callSid: wire.callSid },
      { type: 'markup.error', ...wire.failure(detail) },
    );
    this.#finish({ reason: 'failed', detail });
    this.#ws?.terminate();
  }

  /** Sends a message if the socket is open. */
  send(message: object): void {
    const ws = this.#ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  /** Sends a message and logs it as `sent`. */
  sendLogged(out: OutgoingMessage): void {
    this.send(out.message);
    this.logEvent('sent', out.event, out.detail);
  }

  logEvent(direction: 'sent' | 'received', event: string, detail?: string): void {
    const { wire, ctx } = this.#opts;
    ctx.log.add(
      { carrier: wire.carrier, callSid: wire.callSid },
      {
        type: 'media.event',
        streamId: wire.streamId,
        direction,
        event,
        ...(detail === undefined ? {} : { detail }),
      },
    );
  }

  #sendInbound(tick: number): void {
    if (this.#end) return;
    const frame = this.#opts.leg.frameAt(tick) ?? SILENCE_FRAME;
    this.#opts.stats.firstInboundFrame ??= frame;
    const message = this.#opts.wire.media('inbound', frame, tick);
    if (!message) return;
    this.send(message);
    this.#opts.stats.mediaSent++;
    this.#checkDrop();
  }

  #sendOutbound(tick: number): void {
    if (this.#end) return;
    const frame = this.#outboundFrame ?? SILENCE_FRAME;
    this.#outboundFrame = undefined;
    const message = this.#opts.wire.media('outbound', frame, tick);
    if (!message) return;
    this.send(message);
    this.#opts.stats.mediaSent++;
  }

  #checkDrop(): void {
    const { wire, ctx, stats } = this.#opts;
    const sent = stats.mediaSent;
    const rule = ctx.faults.take(
      'media.drop',
      (r) => (r.callSid === undefined || r.callSid === wire.callSid) && sent >= (r.afterFrames ?? 0),
      { carrier: wire.carrier, callSid: wire.callSid, detail: wire.streamId },
    );
    if (rule) this.drop();
  }

  #sendDtmf(digit: string): void {
    if (this.#end) return;
    this.send(this.#opts.wire.dtmf(digit));
    this.logEvent('sent', 'dtmf');
  }

  /** One tick of playout: acknowledge markers whose audio has played, then play up to 160 bytes. */
  #playOut(): void {
    if (this.#end) return;
    const { marks, frame } = this.#playout.tick();
    for (const name of marks) this.sendLogged(this.#opts.wire.markPlayed(name));
    if (!frame) return;
    this.#opts.stats.bytesPlayed += frame.length;
    const level = levelOf(frame);
    this.#opts.leg.hear(level === undefined ? this.#label : { ...this.#label, level }, frame);
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#end) return;
    const { wire, stats } = this.#opts;
    const msg = wire.decode(isBinary ? undefined : data.toString());
    switch (msg.type) {
      case 'rejected':
        stats.rejected++;
        this.logEvent('received', 'rejected', msg.detail);
        return;
      case 'audio':
        if (stats.mediaReceived === 0) this.logEvent('received', msg.event);
        stats.mediaReceived++;
        stats.bytesReceived += msg.payload.length;
        this.#playout.pushAudio(msg.mulaw);
        return;
      case 'mark':
        this.logEvent('received', msg.event, msg.name);
        this.#playout.pushMark(msg.name);
        return;
      case 'clear': {
        this.logEvent('received', msg.event);
        const pending = this.#playout.clear();
        if (this.#opts.clearAcksMarks) for (const name of pending) this.sendLogged(wire.markPlayed(name));
        const ack = wire.clearAck?.();
        if (ack) this.sendLogged(ack);
        return;
      }
      case 'notice':
        this.logEvent('received', msg.event, msg.detail);
        return;
    }
  }

  #finish(end: MediaEnd<R>): void {
    if (this.#end) return;
    this.#end = end;
    for (const off of this.#offs) off();
    this.#offs.length = 0;
    this.#playout.clear();
    this.logEvent('sent', `ended.${end.reason}`, end.detail);
    this.#opts.onEnd?.(end);
    this.#resolveEnded(end);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A base64 payload's bytes, or `undefined` if it is not a string of whole base64 quads. */
export function decodeBase64(payload: unknown): Buffer | undefined {
  if (typeof payload !== 'string' || payload.length % 4 !== 0 || !BASE64.test(payload)) return undefined;
  return Buffer.from(payload, 'base64');
}

/**
 * A text frame parsed as a JSON object with its `event`, or why it was rejected. `acceptArrays`:
 * an array passes as an object (Twilio's decoder then rejects it by its missing fields).
 */
export function readJsonFrame(
  text: string | undefined,
  acceptArrays = false,
): { readonly message: Record<string, unknown>; readonly event: string } | { readonly rejected: string } {
  if (text === undefined) return { rejected: 'binary frame' };
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { rejected: 'invalid JSON' };
  }
  if (typeof msg !== 'object' || msg === null || (!acceptArrays && Array.isArray(msg)))
    return { rejected: 'not an object' };
  const message = msg as Record<string, unknown>;
  return { message, event: String(message['event']) };
}

/** Each μ-law byte's sample, squared. */
const SQUARED = Float64Array.from({ length: 256 }, (_, code) => ulawToLinear(code) ** 2);
const QUIET_MEAN_SQUARE = (32768 * 10 ** (QUIET_DBFS / 20)) ** 2;

/** A frame's {@link AudioLevel}; undefined when it is audible sound. */
function levelOf(frame: Buffer): AudioLevel | undefined {
  let sum = 0;
  for (let i = 0; i < frame.length; i++) sum += SQUARED[frame[i] as number] as number;
  if (sum === 0) return 'silence';
  return sum / frame.length < QUIET_MEAN_SQUARE ? 'quiet' : undefined;
}
