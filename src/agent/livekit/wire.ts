import type { LivekitAgentConfig } from '../../config/agent-types.js';
import type { Carrier } from '../../domain/carrier.js';
import { DaemonError } from '../../domain/errors.js';
import type { AudioFormat } from '../../domain/media.js';
import { type Log, silentLogger } from '../../log.js';
import { systemTimers, type Timers } from '../../media/clock.js';
import { type DaemonControl, parseControlMessage } from '../control-events.js';
import type { AgentCloseReason, AgentWire, AgentWireEvents } from '../transport.js';
import { errorSummary, fromAgentAudio, toCallerSamples } from './audio.js';
import type {
  LivekitLeave,
  LivekitParticipant,
  LivekitPort,
  LivekitRoom,
  LivekitRoomEvents,
} from './port.js';
import {
  AGENT_STATE_ATTRIBUTE,
  attributesFor,
  dispatchMetadata,
  dtmfCode,
  EVENTS_TOPIC,
  parseEventPacket,
  RPC_LEAVING,
  roomName,
  TRANSCRIPTION_TOPIC,
} from './protocol.js';
import { LivekitRpcs } from './rpcs.js';
import { readTranscript } from './transcripts.js';

/**
 * How long leaving the room waits for the agent to have what it was told last, in ms: the data
 * packets handed to LiveKit, then the agent's answer to `patchthrough.leaving` (#flush).
 */
const FLUSH_MS = 2000;

export interface LivekitWireOptions {
  readonly config: LivekitAgentConfig;
  /** The LiveKit port, loaded when the wire opens (the real one imports rtc-node then). */
  readonly port: () => Promise<LivekitPort>;
  readonly callId: string;
  readonly agentId: string;
  readonly carrier: Carrier;
  readonly direction: 'inbound' | 'outbound';
  readonly format: AudioFormat;
  /** More dispatch metadata (a briefing's `role`…); the daemon's own keys win. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Another worker held this call's link: the room and its agent exist, nothing is dispatched. */
  readonly resumed?: boolean;
  /** How long the agent may take to join the room (room creation and dispatch included), in ms. */
  readonly connectTimeoutMs: number;
  /**
   * After the agent left abnormally, how long to wait for one to join again (LiveKit re-dispatches
   * a job whose worker died) before the link fails, in ms. Default `connectTimeoutMs`.
   */
  readonly redispatchWaitMs?: number;
  /** After the agent joined, how long to wait for it to subscribe to the caller before opening anyway, in ms. Default 1 000. */
  readonly subscribeGraceMs?: number;
  /** Seconds an empty room lives on the server (a room left behind by a dead worker). Default 60. */
  readonly emptyTimeoutSec?: number;
  readonly timers?: Timers;
  readonly log?: Log;
}

/**
 * One call's LiveKit room (docs/livekit.md). The daemon creates the room with a dispatch of the
 * configured agent, joins it as the caller's participant, publishes the caller's audio and plays
 * the agent's audio to the caller, both at the agent format's rate (Opus stays inside LiveKit).
 * The link is open while an agent is in the room (and hears the caller, or a short grace passed).
 *
 * Control: the agent's RPC methods (rpcs.ts) and data packets on `patchthrough.events` come in;
 * the daemon's control bodies go out as reliable data packets on the same topic, a transfer's
 * progress is mirrored in the daemon participant's attributes, and what the agent says (its
 * transcription text streams) is scanned for `[TRANSFER:…]` tags. The agent leaving normally is a
 * hang-up; abnormally, a bounded wait for another, then failure (the default destination).
 */
export class LivekitWire implements AgentWire {
  readonly format: AudioFormat;
  readonly holdMs: number;
  readonly #o: LivekitWireOptions;
  readonly #timers: Timers;
  readonly #log: Log;
  readonly #roomName: string;
  readonly #rpcs: LivekitRpcs;
  #events: AgentWireEvents | undefined;
  #port: LivekitPort | undefined;
  #room: LivekitRoom | undefined;
  #agent: string | undefined;
  #agentSpeaking = false;
  #subscribed = false;
  #open = false;
  #everOpened: boolean;
  #closing = false;
  #done = false;
  #deadline: unknown;
  #grace: unknown;
  #audio: Promise<void> = Promise.resolve();
  /** Data packets handed to LiveKit and not yet sent. */
  readonly #inflight = new Set<Promise<void>>();
  /** Control was published that the agent has not been shown to have (#flush). */
  #unconfirmed = false;
  #backlog = 0;
  #settleClosed: () => void = () => {};
  readonly #closed: Promise<void>;

  constructor(options: LivekitWireOptions) {
    this.#o = options;
    this.format = options.format;
    this.#timers = options.timers ?? systemTimers;
    this.#log = options.log ?? silentLogger();
    this.#everOpened = options.resumed ?? false;
    this.holdMs = options.connectTimeoutMs;
    this.#roomName = roomName(options.config, options.callId, options.parameters);
    this.#rpcs = new LivekitRpcs({
      control: (event) => {
        if (this.#open) this.#events?.control(event);
        return this.#open;
      },
      isAgent: (identity) => identity === this.#agent,
      timers: this.#timers,
      log: this.#log,
    });
    this.#closed = new Promise((resolve) => {
      this.#settleClosed = resolve;
    });
  }

  /** The room this link lives in (`${roomPrefix}${callId}`). */
  get roomName(): string {
    return this.#roomName;
  }

  open(events: AgentWireEvents): void {
    if (this.#events !== undefined) return;
    this.#events = events;
    this.#deadline = this.#timers.setTimeout(() => {
      this.#deadline = undefined;
      if (!this.#open) this.#fail('agent_unreachable', 'no LiveKit agent joined the room in time');
    }, this.#o.connectTimeoutMs);
    this.#start().catch((err: unknown) => {
      this.#log.warn({ err: errorSummary(err) }, 'agent.livekit_join_failed');
      this.#fail('agent_unreachable', 'the LiveKit room could not be joined', err);
    });
  }

  sendAudio(payload: Buffer): boolean {
    const room = this.#sendable();
    if (room === undefined) return false;
    const samples = toCallerSamples(payload, this.format);
    this.#backlog += payload.length;
    const done = (): void => {
      this.#backlog -= payload.length;
    };
    this.#audio = this.#audio
      .then(() => room.captureAudio(samples))
      .then(done, (err: unknown) => {
        done();
        this.#log.warn({ err: errorSummary(err) }, 'agent.livekit_audio_failed');
      });
    return true;
  }

  sendDtmf(digit: string): boolean {
    const room = this.#sendable();
    if (room === undefined) return false;
    const code = dtmfCode(digit);
    if (code !== undefined) {
      room.publishDtmf(code, digit).catch((err: unknown) => this.#warn('agent.livekit_dtmf_failed', err));
    }
    return true;
  }

  /** LiveKit audio is real time: there is no playout queue on the agent's side to mark. */
  sendMark(): boolean {
    return this.#sendable() !== undefined;
  }

  sendControl(message: DaemonControl): boolean {
    const room = this.#sendable();
    if (room === undefined) return false;
    if (message.event === 'tool_result' && this.#rpcs.answer(message)) return true;
    if (message.event === 'transfer_status') this.#rpcs.noteStatus(message.transferId, message.status);
    const attributes = attributesFor(message);
    if (attributes !== undefined) {
      room
        .setAttributes(attributes)
        .catch((err: unknown) => this.#warn('agent.livekit_attributes_failed', err));
    }
    const sent = room
      .publishData(Buffer.from(JSON.stringify(message)), EVENTS_TOPIC)
      .catch((err: unknown) => this.#warn('agent.livekit_data_failed', err));
    // Kept until sent: the last status of a transfer is often followed at once by the close.
    this.#inflight.add(sent);
    this.#unconfirmed = true;
    sent.then(
      () => this.#inflight.delete(sent),
      () => this.#inflight.delete(sent),
    );
    if (message.event === 'summary_request') this.#summarize(room, message.transferId, message.timeoutMs);
    return true;
  }

  backlogBytes(): number {
    return this.#backlog;
  }

  /** Leaves the room and deletes it (the agent's job ends with it). */
  close(reason: AgentCloseReason): Promise<void> {
    if (this.#closing || this.#done) return this.#closed;
    this.#closing = true;
    this.#open = false;
    this.#clearTimers();
    this.#rpcs.close();
    this.#log.info({ reason, room: this.#roomName }, 'agent.livekit_closing');
    // A call handed to another worker (or to whichever takes the carrier's continuation) keeps
    // its room and agent; the next worker joins the same room.
    const keepRoom = reason === 'handed over' || reason === 'worker stopping';
    this.#teardown(reason, keepRoom).then(
      () => this.#end(),
      () => this.#end(),
    );
    return this.#closed;
  }

  async #start(): Promise<void> {
    const port = await this.#o.port();
    if (this.#closing || this.#done) return;
    this.#port = port;
    const own = {
      callId: this.#o.callId,
      agentId: this.#o.agentId,
      carrier: this.#o.carrier,
      direction: this.#o.direction,
      ...(this.#everOpened ? { resumed: 'true' } : {}),
    };
    const metadata = dispatchMetadata(this.#o.config, own, this.#o.parameters);
    const agentName = this.#o.config.agentName;
    await port.createRoom({
      name: this.#roomName,
      metadata,
      emptyTimeoutSec: this.#o.emptyTimeoutSec ?? 60,
      ...(agentName === undefined || this.#everOpened ? {} : { dispatch: { agentName, metadata } }),
    });
    if (this.#closing || this.#done) return;
    const room = await port.connect(
      {
        roomName: this.#roomName,
        identity: `patchthrough-${this.#o.callId.replace(/[^A-Za-z0-9_-]/g, '_')}`,
        name: 'caller',
        sampleRate: this.format.sampleRate,
        attributes: { 'patchthrough.call_id': this.#o.callId },
      },
      this.#roomEvents(),
    );
    if (this.#closing || this.#done) {
      await room.disconnect();
      return;
    }
    this.#room = room;
    this.#rpcs.register(room);
    for (const participant of room.participants()) this.#joined(participant);
    // The agent may have joined (and subscribed) while the daemon was still connecting.
    this.#maybeOpen();
  }

  #roomEvents(): LivekitRoomEvents {
    return {
      participantJoined: (p) => this.#joined(p),
      participantLeft: (identity, leave) => this.#left(identity, leave),
      attributesChanged: (identity, attributes) => this.#attributes(identity, attributes),
      callerTrackSubscribed: () => {
        this.#subscribed = true;
        this.#maybeOpen();
      },
      audio: (identity, samples) => {
        if (this.#open && identity === this.#agent) this.#events?.audio(fromAgentAudio(samples, this.format));
      },
      data: (identity, topic, payload) => this.#data(identity, topic, payload),
      textStream: (identity, topic, chunks) => {
        if (topic !== TRANSCRIPTION_TOPIC || identity !== this.#agent) return;
        readTranscript(chunks, (event) => {
          if (this.#open) this.#events?.control(event);
        }).catch((err: unknown) => this.#warn('agent.livekit_transcript_failed', err));
      },
      reconnecting: () => {
        if (this.#closing || this.#done) return;
        this.#log.warn({ room: this.#roomName }, 'agent.reconnecting');
        this.#open = false;
        this.#events?.lost('dropped');
      },
      reconnected: () => this.#maybeOpen(),
      disconnected: (leave) => {
        if (this.#closing || this.#done) return;
        if (leave === 'normal') {
          // The room was deleted or closed on purpose (LiveKit Agents ends a call by deleting it).
          this.#hangup();
          return;
        }
        if (leave === 'replaced') {
          // Another worker joined as the daemon: the call was handed over. Nothing to tell.
          this.#log.info({ room: this.#roomName }, 'agent.livekit_replaced');
          this.#closing = true;
          this.#open = false;
          this.#clearTimers();
          this.#rpcs.close();
          const events = this.#events;
          this.#teardown('replaced', true).then(
            () => this.#end(),
            () => this.#end(),
          );
          events?.ended({ type: 'closed' });
          return;
        }
        this.#fail('agent_failed', 'the daemon lost its LiveKit room');
      },
    };
  }

  #joined(participant: LivekitParticipant): void {
    if (!participant.isAgent || this.#agent !== undefined || this.#closing || this.#done) return;
    this.#agent = participant.identity;
    this.#agentSpeaking = participant.attributes[AGENT_STATE_ATTRIBUTE] === 'speaking';
    this.#log.info({ room: this.#roomName }, 'agent.livekit_joined');
    this.#maybeOpen();
  }

  #left(identity: string, leave: LivekitLeave): void {
    if (identity !== this.#agent || this.#closing || this.#done) return;
    this.#agent = undefined;
    this.#subscribed = false;
    this.#clearGrace();
    const wasOpen = this.#open;
    this.#open = false;
    this.#room?.clearAudio();
    if (leave === 'normal') {
      this.#hangup();
      return;
    }
    this.#log.warn({ room: this.#roomName }, 'agent.reconnecting');
    if (wasOpen) this.#events?.lost('dropped');
    this.#clearDeadline();
    this.#deadline = this.#timers.setTimeout(() => {
      this.#deadline = undefined;
      if (!this.#open) this.#fail('agent_failed', 'the LiveKit agent left and none came back in time');
    }, this.#o.redispatchWaitMs ?? this.#o.connectTimeoutMs);
  }

  /** The agent stopped speaking (LiveKit Agents' `lk.agent.state`): what is queued for the caller goes (barge-in). */
  #attributes(identity: string, attributes: Readonly<Record<string, string>>): void {
    if (identity !== this.#agent) return;
    const state = attributes[AGENT_STATE_ATTRIBUTE];
    if (state === undefined) return;
    const wasSpeaking = this.#agentSpeaking;
    this.#agentSpeaking = state === 'speaking';
    if (wasSpeaking && !this.#agentSpeaking && this.#open) this.#events?.clear();
  }

  /** The agent's control bodies as data packets (`said`, `summary`, `transfer`…), the WebSocket dialect's. */
  #data(identity: string, topic: string, payload: Uint8Array): void {
    if (topic !== EVENTS_TOPIC || identity !== this.#agent || !this.#open) return;
    const raw = parseEventPacket(payload);
    if (raw === undefined) {
      this.#log.warn({ code: 'invalid_frame' }, 'agent.bad_frame');
      return;
    }
    const parsed = parseControlMessage(raw);
    if (parsed.type === 'ok') this.#events?.control(parsed.event);
    else if (parsed.type === 'invalid') this.#log.warn({ code: 'invalid_event' }, 'agent.bad_frame');
    else this.#log.info({ event: parsed.event.slice(0, 64) }, 'agent.unknown_event');
  }

  /** Asks the agent for the whisper summary; an agent without the method gets the template at once. */
  #summarize(room: LivekitRoom, transferId: string, timeoutMs: number): void {
    const agent = this.#agent;
    if (agent === undefined) return;
    this.#rpcs.summarize(room, agent, transferId, timeoutMs).then(
      (text) => {
        if (this.#open) this.#events?.control({ type: 'agent.summary', text, transferId });
      },
      (err: unknown) => this.#warn('agent.livekit_summary_failed', err),
    );
  }

  #maybeOpen(): void {
    if (this.#open || this.#closing || this.#done) return;
    if (this.#room === undefined || this.#agent === undefined) return;
    if (this.#subscribed) {
      this.#openNow();
      return;
    }
    if (this.#grace !== undefined) return;
    this.#grace = this.#timers.setTimeout(() => {
      this.#grace = undefined;
      this.#openNow();
    }, this.#o.subscribeGraceMs ?? 1000);
  }

  #openNow(): void {
    if (this.#open || this.#closing || this.#done) return;
    if (this.#room === undefined || this.#agent === undefined) return;
    this.#clearTimers();
    this.#open = true;
    const resumed = this.#everOpened;
    this.#everOpened = true;
    this.#events?.opened(resumed);
  }

  /** The agent ended the call: the daemon leaves and deletes the room (no `close` follows an end). */
  #hangup(): void {
    this.#log.info({ room: this.#roomName }, 'agent.hangup');
    this.#leave({ type: 'hangup' });
  }

  /** Stops everything here, leaves (and deletes) the room, and tells the link how the agent ended. */
  #leave(end: Parameters<AgentWireEvents['ended']>[0]): void {
    this.#closing = true;
    this.#open = false;
    this.#clearTimers();
    this.#rpcs.close();
    const events = this.#events;
    this.#teardown(end.type).then(
      () => this.#end(),
      () => this.#end(),
    );
    events?.ended(end);
  }

  #fail(code: 'agent_unreachable' | 'agent_failed', message: string, cause?: unknown): void {
    if (this.#closing || this.#done) return;
    this.#log.warn({ code, room: this.#roomName }, 'agent.failed');
    this.#leave({ type: 'failed', error: new DaemonError(code, message, { cause }) });
  }

  /** Leaves and deletes the room; failures are logged (the room's empty timeout removes it anyway). */
  async #teardown(reason: string, keepRoom = false): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    if (room !== undefined) {
      await this.#flush(room, reason);
      await room.disconnect().catch((err: unknown) => this.#warn('agent.livekit_leave_failed', err));
    }
    const port = this.#port;
    if (port !== undefined && !keepRoom) {
      await port
        .deleteRoom(this.#roomName)
        .catch((err: unknown) => this.#warn('agent.livekit_delete_failed', err));
    }
  }

  /**
   * What was told last (a cold transfer's `connected`, sent just before the daemon leaves)
   * reaches the agent first, bounded by {@link FLUSH_MS}. LiveKit's `publishData` resolves once
   * the packet is handed to the data channel, not once it arrived, and leaving closes the peer
   * connection with whatever is still in its send buffer — on a loaded machine, that packet. So:
   * wait for the hand-offs, then for the agent's answer to `patchthrough.leaving`, which travels
   * the same reliable, ordered channel behind them (the WebSocket transport gets the same from
   * TCP and its close handshake). An agent that left, or never answers, only costs the bound.
   */
  async #flush(room: LivekitRoom, reason: string): Promise<void> {
    if (this.#inflight.size === 0 && !this.#unconfirmed) return;
    const agent = this.#agent;
    const flushed = (async () => {
      await Promise.allSettled([...this.#inflight]);
      if (agent === undefined) return;
      // Any answer will do, a failure ("unsupported method") included: it came after the packets.
      await room.performRpc(agent, RPC_LEAVING, JSON.stringify({ reason }), FLUSH_MS).catch(() => undefined);
      this.#unconfirmed = false;
    })();
    let timer: unknown;
    await Promise.race([
      flushed,
      new Promise<void>((resolve) => {
        timer = this.#timers.setTimeout(resolve, FLUSH_MS);
      }),
    ]);
    this.#timers.clearTimeout(timer);
  }

  #end(): void {
    this.#done = true;
    this.#open = false;
    this.#clearTimers();
    this.#settleClosed();
  }

  #sendable(): LivekitRoom | undefined {
    return this.#open && !this.#closing && !this.#done ? this.#room : undefined;
  }

  #clearGrace(): void {
    if (this.#grace !== undefined) this.#timers.clearTimeout(this.#grace);
    this.#grace = undefined;
  }

  #clearDeadline(): void {
    if (this.#deadline !== undefined) this.#timers.clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  #clearTimers(): void {
    this.#clearGrace();
    this.#clearDeadline();
  }

  #warn(message: string, err: unknown): void {
    this.#log.warn({ err: errorSummary(err) }, message);
  }
}
