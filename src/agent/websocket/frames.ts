import type { AudioFormat } from '../../domain/media.js';
import type { TransferOutcome } from '../../domain/outcome.js';
import { decimalLength, framePart, putDecimal, putPart } from '../../lib/ascii-frame.js';
import { type Base64Payload, base64Length, putBase64 } from '../../lib/base64-payload.js';
import { wireEncoding } from '../../media/formats.js';
import type { DaemonControl, ToolResult } from '../control-events.js';

/**
 * What the daemon sends an agent over a WebSocket (docs/agent-protocol.md): Twilio's Media Streams
 * frames, Twilio → server direction, field for field (protocols.md §2.3) — `sequenceNumber`,
 * `chunk` and `timestamp` are strings — plus the control messages of control-events.ts in the
 * same numbered envelope, which a plain Twilio bot ignores.
 */

export interface ConnectedFrame {
  readonly event: 'connected';
  readonly protocol: 'Call';
  readonly version: '1.0.0';
}

export interface StartFrame {
  readonly event: 'start';
  readonly sequenceNumber: string;
  readonly streamSid: string;
  readonly start: {
    readonly streamSid: string;
    readonly accountSid: string;
    readonly callSid: string;
    readonly tracks: readonly ['inbound'];
    readonly customParameters: Readonly<Record<string, string>>;
    readonly mediaFormat: {
      readonly encoding: 'audio/x-mulaw' | 'audio/x-l16';
      readonly sampleRate: number;
      readonly channels: 1;
    };
  };
}

interface Sequenced {
  readonly sequenceNumber: string;
  readonly streamSid: string;
}

export interface MediaFrame extends Sequenced {
  readonly event: 'media';
  readonly media: {
    readonly track: 'inbound';
    readonly chunk: string;
    readonly timestamp: string;
    readonly payload: string;
  };
}

export interface DtmfFrame extends Sequenced {
  readonly event: 'dtmf';
  readonly dtmf: { readonly track: 'inbound_track'; readonly digit: string };
}

export interface MarkFrame extends Sequenced {
  readonly event: 'mark';
  readonly mark: { readonly name: string };
}

export interface StopFrame extends Sequenced {
  readonly event: 'stop';
  readonly stop: { readonly accountSid: string; readonly callSid: string; readonly reason?: string };
}

/** The agent's last frame was rejected; nothing changed. */
export interface ErrorFrame extends Sequenced {
  readonly event: 'error';
  readonly code: string;
  readonly message: string;
}

/** A control message (control-events.ts) as a Twilio-dialect extension frame. */
export type ControlFrame = Sequenced & DaemonControl;

export type DaemonFrame =
  | ConnectedFrame
  | StartFrame
  | MediaFrame
  | DtmfFrame
  | MarkFrame
  | StopFrame
  | ControlFrame
  | ErrorFrame;

export type DaemonFrameEvent = DaemonFrame['event'];

export interface StreamIdentity {
  /** `MZ` + 32 hex, like Twilio's. */
  readonly streamSid: string;
  readonly accountSid: string;
  readonly callSid: string;
}

const MEDIA_HEAD = framePart('{"event":"media","sequenceNumber":"');
const MEDIA_TIMESTAMP = framePart('","timestamp":"');
const MEDIA_PAYLOAD = framePart('","payload":"');
const MEDIA_TAIL = framePart('"}}');

/**
 * Serializes frames for one agent socket. `sequenceNumber` counts every frame after `connected`
 * (`start` is "1"), `chunk` counts media frames from "1", as Twilio does; both restart on a new
 * socket. Media frames are written by hand — the payload is base64 and the ids are ours, so
 * nothing needs escaping — straight into the buffer that goes to the socket: no object, no
 * `JSON.stringify`, no intermediate string per 20 ms frame.
 */
export class FrameWriter {
  readonly #ids: StreamIdentity;
  /** `","streamSid":"MZ…","media":{"track":"inbound","chunk":"`, precomputed for the media fast path. */
  readonly #sidField: Buffer;
  #seq = 0;
  #chunk = 0;

  constructor(ids: StreamIdentity) {
    this.#ids = ids;
    this.#sidField = framePart(
      `","streamSid":${JSON.stringify(ids.streamSid)},"media":{"track":"inbound","chunk":"`,
    );
  }

  get streamSid(): string {
    return this.#ids.streamSid;
  }

  /** A new socket: numbering starts over. */
  reset(): void {
    this.#seq = 0;
    this.#chunk = 0;
  }

  connected(): string {
    const frame: ConnectedFrame = { event: 'connected', protocol: 'Call', version: '1.0.0' };
    return JSON.stringify(frame);
  }

  start(customParameters: Readonly<Record<string, string>>, format: AudioFormat): string {
    const { streamSid, accountSid, callSid } = this.#ids;
    const frame: StartFrame = {
      event: 'start',
      sequenceNumber: this.#next(),
      streamSid,
      start: {
        streamSid,
        accountSid,
        callSid,
        tracks: ['inbound'],
        customParameters,
        mediaFormat: { encoding: wireEncoding(format), sampleRate: format.sampleRate, channels: 1 },
      },
    };
    return JSON.stringify(frame);
  }

  /** `timestampMs`: ms since the stream started on this socket. The frame's bytes (ASCII). */
  media(payload: Buffer, timestampMs: number): Buffer {
    return this.mediaBase64(payload.toString('base64'), timestampMs);
  }

  /**
   * The same from the payload's base64 (text, or a span of the carrier's frame), passed on as it
   * is, written straight into the frame's buffer (src/lib/ascii-frame.ts): the same bytes as
   * concatenating the JSON. With `headroom`, the buffer starts with `headroom(the frame's length)`
   * bytes left free for the WebSocket header (src/lib/ws-text-frame.ts).
   */
  mediaBase64(payload: Base64Payload, timestampMs: number, headroom?: (length: number) => number): Buffer {
    this.#seq += 1;
    this.#chunk += 1;
    const seq = this.#seq;
    const chunk = this.#chunk;
    const timestamp = Math.max(0, Math.round(timestampMs));
    const length =
      MEDIA_HEAD.length +
      decimalLength(seq) +
      this.#sidField.length +
      decimalLength(chunk) +
      MEDIA_TIMESTAMP.length +
      decimalLength(timestamp) +
      MEDIA_PAYLOAD.length +
      base64Length(payload) +
      MEDIA_TAIL.length;
    const room = headroom === undefined ? 0 : headroom(length);
    const out = Buffer.allocUnsafe(room + length);
    let at = putPart(out, room, MEDIA_HEAD);
    at = putDecimal(out, at, seq);
    at = putPart(out, at, this.#sidField);
    at = putDecimal(out, at, chunk);
    at = putPart(out, at, MEDIA_TIMESTAMP);
    at = putDecimal(out, at, timestamp);
    at = putPart(out, at, MEDIA_PAYLOAD);
    at = putBase64(out, at, payload);
    putPart(out, at, MEDIA_TAIL);
    return out;
  }

  dtmf(digit: string): string {
    return this.#stringify({ event: 'dtmf', dtmf: { track: 'inbound_track', digit } });
  }

  mark(name: string): string {
    return this.#stringify({ event: 'mark', mark: { name } });
  }

  stop(reason?: string): string {
    const { accountSid, callSid } = this.#ids;
    return this.#stringify({
      event: 'stop',
      stop: reason === undefined ? { accountSid, callSid } : { accountSid, callSid, reason },
    });
  }

  /** A control message, in this stream's numbering. */
  control(message: DaemonControl): string {
    return this.#stringify(message);
  }

  transferStatus(body: Omit<Extract<DaemonControl, { event: 'transfer_status' }>, 'event'>): string {
    return this.control({ event: 'transfer_status', ...body });
  }

  summaryRequest(transferId: string, timeoutMs: number): string {
    return this.control({ event: 'summary_request', transferId, timeoutMs });
  }

  resume(transferId: string, outcome: TransferOutcome, carrierCode?: string): string {
    return this.control(
      carrierCode === undefined
        ? { event: 'resume', transferId, outcome }
        : { event: 'resume', transferId, outcome, carrierCode },
    );
  }

  toolResult(id: string, result: ToolResult): string {
    return this.control({ event: 'tool_result', id, ...result });
  }

  error(code: string, message: string): string {
    return this.#stringify({ event: 'error', code, message });
  }

  #stringify(body: { readonly event: DaemonFrameEvent } & Record<string, unknown>): string {
    const { event, ...rest } = body;
    return JSON.stringify({ event, sequenceNumber: this.#next(), streamSid: this.#ids.streamSid, ...rest });
  }

  #next(): string {
    this.#seq += 1;
    return String(this.#seq);
  }
}
