import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { DaemonError } from '../domain/errors.js';
import { type AudioFormat, MULAW_8K } from '../domain/media.js';
import type { TransferMode } from '../domain/outcome.js';
import { systemTime, type Time, type Timers } from '../lib/time.js';
import type { Clock } from '../media/clock.js';
import { bytesPerMs } from '../media/formats.js';
import { tone } from '../media/tone.js';
import type { DaemonFrameEvent } from './websocket/frames.js';

/**
 * A stand-in AI agent for the demo, the end-to-end tests and anyone trying transfers offline.
 * It accepts the daemon's connection like any agent, then plays a script — data, one step
 * after another — and records every frame it receives with a timestamp.
 *
 * ```ts
 * [{ say: 600 }, { text: ['Let me put you ', 'through [TRANS', 'FER:+14155550111]'] },
 *  { awaitEvent: 'resume' }, { say: 300 }]
 * ```
 */
export type ScriptStep =
  /**
   * Speak for `say` ms: a tone (default 440 Hz; 0 for silence) in 20 ms media frames, then a
   * mark (`say-<n>` unless named; `false` sends none).
   */
  | { readonly say: number; readonly toneHz?: number; readonly mark?: string | false }
  /** Send `text` deltas (one `text` event each); the last is `final` unless `final: false`. */
  | { readonly text: readonly string[]; readonly final?: boolean }
  /** Send a `transfer` event. */
  | {
      readonly transfer: {
        readonly destination?: string;
        readonly rule?: string;
        readonly skill?: string;
        readonly reason?: string;
        readonly summary?: string;
        readonly mode?: TransferMode;
        readonly confirmed?: boolean;
      };
    }
  /** Send a `tool_call` (id defaults to `call_<n>`). */
  | { readonly toolCall: { readonly name: string; readonly arguments?: unknown; readonly id?: string } }
  /** Wait for the next frame of this event not yet consumed by an earlier wait. */
  | { readonly awaitEvent: DaemonFrameEvent }
  /** Wait for the echo of a mark this agent sent. */
  | { readonly awaitMark: string }
  | { readonly waitMs: number }
  /** Barge-in: send `clear`. */
  | { readonly clear: true }
  /** A briefing socket's decision: send `briefing_result`. */
  | { readonly briefingResult: { readonly accepted: boolean; readonly reason?: string } }
  /** Send a `hangup` event (the socket stays open). */
  | { readonly hangup: string | true }
  /** Close the socket: `normal` (1000, a hang-up) or `abrupt` (dropped, no close frame). */
  | { readonly close: 'normal' | 'abrupt' }
  /**
   * Stop reading the socket, as a stuck agent would: it stays open, nothing more it is sent is
   * read, and the daemon's close frame is never answered.
   */
  | { readonly stall: true };

/** What the agent learned from `start`. */
export interface ScriptStart {
  readonly callId: string | undefined;
  readonly streamSid: string;
  readonly resumed: boolean;
  readonly customParameters: Readonly<Record<string, string>>;
  readonly format: AudioFormat;
}

export interface ScriptedAgentOptions {
  /** One script for every call, or a choice per call (e.g. by `callId`, or `resumed` after a reconnect). */
  readonly script: readonly ScriptStep[] | ((start: ScriptStart) => readonly ScriptStep[]);
  /** The answer to `summary_request`; `null` never answers (to exercise the fallback). */
  readonly summary?: string | null;
  /**
   * Answer `say` (a transfer's caller message, for an agent with `speaksMessages`): speak it as a
   * tone of this frequency, 20 ms per character, then send `said`. Absent: `say` is ignored, as a
   * bot that does not know the event would.
   */
  readonly sayToneHz?: number;
  /** Where `atMs` stamps come from; default `time`'s monotonic clock. */
  readonly clock?: Clock;
  /** Times `waitMs` steps and `acceptDelayMs`; default the system's. */
  readonly time?: Time;
  /**
   * How long to wait before accepting each connection, in ms, by connection index (0 first): an
   * agent slow to answer (a cold start, a far region). Default 0.
   */
  readonly acceptDelayMs?: number | ((index: number, url: string) => number);
  /**
   * Drop a session's socket (no close frame, as a crashed agent or a cut network would) this
   * long after its `start`, given that `start`; undefined: never. Default never.
   */
  readonly dropAfterMs?: (start: ScriptStart) => number | undefined;
}

/** A frame received by the agent, with when it arrived (injected clock, ms). */
export interface ReceivedFrame {
  readonly atMs: number;
  readonly frame: Readonly<Record<string, unknown>> & { readonly event: string };
}

const DEFAULT_SUMMARY = 'The caller needs help from a person; details are in the conversation so far.';
const FRAME_MS = 20;

/** One connection from the daemon. */
export class ScriptedSession {
  readonly received: ReceivedFrame[] = [];
  readonly headers: IncomingHttpHeaders;
  /** Marks whose echo arrived, in order. */
  readonly markEchoes: string[] = [];
  start: ScriptStart | undefined;
  closeCode: number | undefined;
  /** When the socket closed (injected clock, ms), like `atMs` of received frames. */
  closedAtMs: number | undefined;
  /** Resolves when the script ran to its end, or the socket closed under it. */
  readonly finished: Promise<void>;
  readonly #socket: WebSocket;
  readonly #clock: Clock;
  readonly #timers: Timers;
  #cursor = 0;
  #toolCalls = 0;
  #says = 0;
  #closed = false;
  #wake: (() => void)[] = [];
  #finish: () => void = () => {};

  readonly #raw: Socket | undefined;

  constructor(socket: WebSocket, headers: IncomingHttpHeaders, clock: Clock, timers: Timers, raw?: Socket) {
    this.#socket = socket;
    this.#raw = raw;
    this.headers = headers;
    this.#clock = clock;
    this.#timers = timers;
    this.finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /** Frames of one event, in order. */
  frames(event: DaemonFrameEvent): ReceivedFrame[] {
    return this.received.filter((r) => r.frame.event === event);
  }

  /** Resolves with the first received frame (from the start) matching `predicate`. */
  async waitFor(predicate: (frame: ReceivedFrame['frame']) => boolean): Promise<ReceivedFrame> {
    for (;;) {
      const found = this.received.find((r) => predicate(r.frame));
      if (found !== undefined) return found;
      if (this.#closed) throw new DaemonError('agent_socket_closed', 'the socket closed first');
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
  }

  /** Sends any frame as it is (tests use this to send what no script step covers). */
  send(frame: Readonly<Record<string, unknown>>): void {
    if (!this.#closed) this.#socket.send(JSON.stringify(frame));
  }

  /** @internal */
  onFrame(frame: ReceivedFrame['frame'], summary: string | null, sayToneHz?: number): void {
    this.received.push({ atMs: this.#clock.nowMs(), frame });
    if (frame.event === 'mark') this.markEchoes.push(String((frame.mark as { name?: unknown })?.name));
    if (frame.event === 'summary_request' && summary !== null) {
      this.send({ event: 'summary', text: summary, transferId: frame.transferId });
    }
    if (frame.event === 'say' && sayToneHz !== undefined) {
      const text = typeof frame['text'] === 'string' ? frame['text'] : '';
      this.#say(Math.max(200, text.length * 20), sayToneHz, false);
      this.send({ event: 'said', transferId: frame.transferId });
    }
    this.#notify();
  }

  /** Drops the socket: no close frame, as a crashed agent or a cut network would. */
  drop(): void {
    if (!this.#closed) this.#socket.terminate();
  }

  /** @internal */
  onClose(code: number): void {
    this.closeCode = code;
    this.closedAtMs ??= this.#clock.nowMs();
    this.#closed = true;
    this.#notify();
    this.#finish();
  }

  /** @internal */
  async run(steps: readonly ScriptStep[]): Promise<void> {
    try {
      for (const step of steps) {
        if (this.#closed) break;
        await this.#step(step);
      }
    } catch {
      // The socket closed while a step waited: the script ends there.
    }
    this.#finish();
  }

  async #step(step: ScriptStep): Promise<void> {
    if ('say' in step) return this.#say(step.say, step.toneHz ?? 440, step.mark);
    if ('text' in step) {
      step.text.forEach((text, i) => {
        const last = i === step.text.length - 1;
        this.send(
          last && step.final !== false ? { event: 'text', text, final: true } : { event: 'text', text },
        );
      });
      return;
    }
    if ('transfer' in step) return this.send({ event: 'transfer', ...step.transfer });
    if ('toolCall' in step) {
      this.#toolCalls += 1;
      const { id = `call_${this.#toolCalls}`, name, arguments: args = {} } = step.toolCall;
      return this.send({ event: 'tool_call', id, name, arguments: args });
    }
    if ('awaitEvent' in step) {
      await this.#consume(step.awaitEvent);
      return;
    }
    if ('awaitMark' in step) {
      await this.waitFor(
        (f) => f.event === 'mark' && (f.mark as { name?: unknown })?.name === step.awaitMark,
      );
      return;
    }
    if ('waitMs' in step) return new Promise((resolve) => this.#timers.setTimeout(resolve, step.waitMs));
    if ('clear' in step) return this.send({ event: 'clear' });
    if ('briefingResult' in step) return this.send({ event: 'briefing_result', ...step.briefingResult });
    if ('hangup' in step) {
      return this.send(step.hangup === true ? { event: 'hangup' } : { event: 'hangup', reason: step.hangup });
    }
    if ('stall' in step) {
      this.#raw?.pause();
      return;
    }
    if (step.close === 'normal') this.#socket.close(1000, 'agent hung up');
    else this.drop();
  }

  #say(durationMs: number, toneHz: number, markName: string | false | undefined): void {
    const format = this.start?.format ?? MULAW_8K;
    this.#says += 1;
    const audio = tone(format, { frequencyHz: toneHz, durationMs });
    const frameBytes = bytesPerMs(format) * FRAME_MS;
    for (let offset = 0; offset < audio.length; offset += frameBytes) {
      const payload = audio.subarray(offset, offset + frameBytes).toString('base64');
      this.send({ event: 'media', streamSid: this.start?.streamSid, media: { payload } });
    }
    if (markName === false) return;
    this.send({
      event: 'mark',
      streamSid: this.start?.streamSid,
      mark: { name: markName ?? `say-${this.#says}` },
    });
  }

  /** Waits for the next unconsumed frame of `event`; frames that arrived earlier count. */
  async #consume(event: DaemonFrameEvent): Promise<void> {
    for (;;) {
      for (; this.#cursor < this.received.length; this.#cursor++) {
        if (this.received[this.#cursor]?.frame.event === event) {
          this.#cursor += 1;
          return;
        }
      }
      if (this.#closed) throw new DaemonError('agent_socket_closed', 'the socket closed first');
      await new Promise<void>((resolve) => this.#wake.push(resolve));
    }
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }
}

/** A WebSocket server on 127.0.0.1 (a free port) that runs a script per connection. */
export class ScriptedAgentServer {
  readonly url: string;
  readonly sessions: ScriptedSession[] = [];
  readonly #server: WebSocketServer;
  readonly #waiters: (() => void)[] = [];

  private constructor(server: WebSocketServer, options: ScriptedAgentOptions) {
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/agent`;
    const time = options.time ?? systemTime;
    const clock = options.clock ?? time;
    const summary = options.summary === undefined ? DEFAULT_SUMMARY : options.summary;
    server.on('connection', (socket, request) => {
      const session = new ScriptedSession(socket, request.headers, clock, time, request.socket);
      this.sessions.push(session);
      for (const wake of this.#waiters.splice(0)) wake();
      socket.on('message', (data) => {
        let frame: ReceivedFrame['frame'];
        try {
          frame = JSON.parse(data.toString());
        } catch {
          return;
        }
        session.onFrame(frame, summary, options.sayToneHz);
        if (frame.event === 'start' && session.start === undefined) {
          session.start = readStart(frame);
          const steps = typeof options.script === 'function' ? options.script(session.start) : options.script;
          // `run` ends the script itself on a closed socket; anything else ends the session.
          session.run(steps).catch(() => session.onClose(1011));
          const dropMs = options.dropAfterMs?.(session.start);
          if (dropMs !== undefined) time.setTimeout(() => session.drop(), dropMs);
        }
      });
      socket.on('close', (code) => session.onClose(code));
    });
  }

  static async start(options: ScriptedAgentOptions): Promise<ScriptedAgentServer> {
    const delay = options.acceptDelayMs ?? 0;
    const time = options.time ?? systemTime;
    let upgrades = 0;
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: false,
      verifyClient: (info, accept) => {
        const delayMs = typeof delay === 'number' ? delay : delay(upgrades, info.req.url ?? '/');
        upgrades += 1;
        if (delayMs <= 0) accept(true);
        else time.setTimeout(() => accept(true), delayMs);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    return new ScriptedAgentServer(server, options);
  }

  /** The `index`-th connection (0 first), once it has arrived. */
  async session(index = 0): Promise<ScriptedSession> {
    for (;;) {
      const session = this.sessions[index];
      if (session !== undefined) return session;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const client of this.#server.clients) client.terminate();
      this.#server.close(() => resolve());
    });
  }
}

function readStart(frame: Readonly<Record<string, unknown>>): ScriptStart {
  const start = (frame.start ?? {}) as {
    streamSid?: string;
    customParameters?: Record<string, string>;
    mediaFormat?: { encoding?: string; sampleRate?: number };
  };
  const customParameters = start.customParameters ?? {};
  const media = start.mediaFormat;
  const format: AudioFormat =
    media?.encoding === 'audio/x-l16'
      ? { encoding: 'pcm16', sampleRate: media.sampleRate ?? 8000 }
      : MULAW_8K;
  return {
    callId: customParameters.callId,
    streamSid: start.streamSid ?? String(frame.streamSid ?? ''),
    resumed: customParameters.resumed === 'true',
    customParameters,
    format,
  };
}
