import type { WebSocket } from 'ws';
import type { CarrierAdapter, MediaCodec } from '../../providers/types.js';
import { CodecError, STOP_CALL_ENDED } from '../../providers/types.js';
import type { AgentEvent, AgentListener } from '../agent/events.js';
import type { AgentTransport, AgentTransportSecrets } from '../agent/transport.js';
import { createAgentTransport } from '../agent/transports.js';
import type { AgentConfig } from '../config/agent-types.js';
import type { Carrier } from '../domain/carrier.js';
import { type AudioFormat, type InboundMediaEvent, MULAW_8K } from '../domain/media.js';
import type { Base64Payload } from '../lib/base64-payload.js';
import { backgroundTime, every, type Time } from '../lib/time.js';
import { type FrameSocket, sendTextFrame, serverHeadroom } from '../lib/ws-text-frame.js';
import type { Log } from '../log.js';
import { MediaBridge } from '../media/bridge.js';
import type { RechunkRule } from '../media/rechunk.js';
import type { TransferTrigger } from '../transfer/plan-types.js';
import { TransferTagScanner } from '../transfer/tags.js';
import { isEndCallTool, parseToolCall } from '../transfer/tools.js';
import type { AgentDirectory } from './agent-directory.js';
import type { BriefingSessions, BriefingStream } from './briefings.js';
import { type CallRecord, owedResume } from './call-record.js';
import type { CallInput } from './call-reducer.js';
import type { DestinationLookups } from './destination-lookup.js';
import type { CallEngine } from './engine.js';
import { errorSummary } from './executor.js';
import { BRIEFING_ROLE } from './replies.js';
import {
  firstTelling,
  type LocalSession,
  type SessionRegistry,
  STREAM_LOST_GRACE_MS,
  tellResume,
} from './sessions.js';
import { SilenceWatch } from './silence.js';
import type { TakeOver } from './socket-commands.js';
import { readForStreamStart, type StreamStartDeps } from './stream-start.js';
import { TagChain } from './tag-chain.js';

/** A codec's base64 audio frame builder, leaving `headroom(the frame's length)` bytes free at the front. */
type EncodeBase64 = (payload: Base64Payload, headroom: (length: number) => number) => Buffer;

/** How often a session checks for caller silence, ms. */
const SILENCE_CHECK_MS = 250;

export interface MediaSessionOptions {
  readonly engine: CallEngine;
  readonly agents: AgentDirectory;
  readonly sessions: SessionRegistry;
  readonly log: Log;
  /**
   * Checks the per-call media token carried in the stream's custom parameters and admits it once:
   * a second socket with the same token is refused.
   */
  readonly verifyToken: (callId: string, token: string | undefined) => Promise<boolean> | false;
  readonly workerId: string;
  readonly onFrame?: (direction: 'in' | 'out') => void;
  /** Audio the bridge dropped because a peer did not keep up, in frames of 20 ms (metrics). */
  readonly onDrop?: (direction: 'in' | 'out', frames: number) => void;
  /** Caller frames held until the agent socket opened, then delivered (metrics). */
  readonly onHeld?: (frames: number) => void;
  /** A caller began hearing the wait audio (metrics). */
  readonly onWaitAudio?: () => void;
  /**
   * Takes the call's agent session over from the worker holding it, if another one does;
   * `holder`, when given, is that worker as read with the stream's other start reads.
   */
  readonly takeOver?: (callId: string, holder?: string | null) => Promise<TakeOver>;
  /** The worker holding the call's agent socket, read with the token's claim (stream-start.ts). */
  readonly socketHolder?: (callId: string) => Promise<string | null>;
  /** Streams of a human's leg being briefed by the agent (`role: briefing`); refused without. */
  readonly briefings?: BriefingSessions;
  /**
   * Clock and timers of every session (bridge, pacing, tag chain, silence, agent socket).
   * Default the system's (a pending timer never keeps the process alive).
   */
  readonly time?: Time;
  /** Transport credentials from the environment (LiveKit's key pair). */
  readonly transportSecrets?: AgentTransportSecrets;
  /** Asks skills' lookup webhooks (flowyte's dynamic destination); absent: no lookups. */
  readonly lookups?: DestinationLookups;
}

/**
 * One carrier media socket: decode frames, check the per-call token at `start`, join the stream
 * to the call's session (agent socket + bridge), and feed everything else to the bridge. A
 * caller who comes back from a failed transfer lands on the same session, so the agent's
 * conversation simply goes on.
 */
export class MediaSessions {
  readonly #o: MediaSessionOptions;
  readonly #time: Time;
  readonly #startReads: StreamStartDeps;

  constructor(options: MediaSessionOptions) {
    this.#o = options;
    this.#time = options.time ?? backgroundTime;
    this.#startReads = {
      verifyToken: options.verifyToken,
      read: (callId) => options.engine.get(callId),
      hasSession: (callId) => options.sessions.get(callId) !== undefined,
      ...(options.socketHolder === undefined ? {} : { holder: options.socketHolder }),
    };
  }

  /** A carrier port's base64 audio sends: the straight one, and the one that only needs the socket open. */
  #base64Sends(ws: WebSocket, socket: FrameSocket | undefined, encodeBase64: EncodeBase64) {
    const trySendAudioBase64 = (payload: Base64Payload, underBytes: number): boolean => {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount >= underBytes) return false;
      // The frame's bytes, built in one buffer with room for its header: framed there and written
      // to the socket at once, or given to ws when ws has to send it (src/lib/ws-text-frame.ts).
      sendTextFrame(ws, socket, encodeBase64(payload, serverHeadroom), 'server');
      this.#o.onFrame?.('out');
      return true;
    };
    return {
      trySendAudioBase64,
      sendAudioBase64: (payload: Base64Payload): void => {
        trySendAudioBase64(payload, Number.POSITIVE_INFINITY);
      },
    };
  }

  /**
   * A carrier's media stream on `ws`. `socket`, the TCP socket the upgrade came on (ws's own), lets
   * audio frames be written in place (src/lib/ws-text-frame.ts); without it ws sends them.
   */
  accept(adapter: CarrierAdapter, ws: WebSocket, socket?: FrameSocket): void {
    const codec = adapter.createCodec();
    // How to close this particular socket: the session keeps it while this stream is its current one.
    let closedHere = false;
    const closeThis = (): void => {
      closedHere = true;
      ws.close(1000, 'done');
    };
    let session: (LocalSession & { silence?: SilenceWatch }) | undefined;
    let refused = false;
    const pending: InboundMediaEvent[] = [];
    let starting = false;
    // The stream's own encoding (from `start`): the silence watch measures audio in it.
    let streamFormat: AudioFormat = MULAW_8K;
    let briefing: BriefingStream | undefined;

    ws.on('message', (data, isBinary) => {
      // Binary frames only from a carrier that sends them (Vonage's L16 audio); a Buffer then.
      if (refused || (isBinary && codec.binaryFrames !== true)) return;
      // The fast path, 50 frames a second per call: a plain media frame read in place in its
      // bytes, its base64 payload handed on as a span of them (no string, no decoding). The
      // silence watch measures the payload where it lies, before the span is handed on.
      if (!isBinary && session !== undefined && Buffer.isBuffer(data)) {
        const payload = codec.scanAudio?.(data);
        if (payload !== undefined) {
          this.#o.onFrame?.('in');
          session.silence?.callerAudioBase64(payload, streamFormat, this.#time.nowMs());
          session.bridge.handleCarrierAudioBase64(payload);
          return;
        }
      }
      const event = codec.decode(isBinary ? toBuffer(data) : data.toString());
      if (event === null) return;
      if (event instanceof CodecError) {
        this.#o.log.warn({ carrier: adapter.carrier, field: event.field }, 'media.bad_frame');
        return;
      }
      if (event.type === 'start' && event.customParameters['role'] === BRIEFING_ROLE) {
        // A human's leg being briefed: its own stream and agent socket, never the caller's session.
        starting = true;
        const briefings = this.#o.briefings;
        const started =
          briefings === undefined
            ? Promise.resolve(undefined)
            : briefings.start(adapter, ws, event, codec.encode.bind(codec), codec.rechunk);
        started.then(
          (b) => {
            starting = false;
            if (b === undefined) {
              refused = true;
              ws.close(1008, 'refused');
              return;
            }
            briefing = b;
            for (const queued of pending.splice(0)) b.handle(queued);
          },
          (err: unknown) => {
            starting = false;
            refused = true;
            this.#o.log.error({ carrier: adapter.carrier, err: errorSummary(err) }, 'briefing.start_failed');
            ws.close(1011, 'unavailable');
          },
        );
        return;
      }
      if (briefing !== undefined) {
        briefing.handle(event);
        return;
      }
      if (event.type === 'start') {
        starting = true;
        streamFormat = event.format;
        this.#start(
          adapter,
          ws,
          closeThis,
          event,
          codec.encode.bind(codec),
          codec.encodeAudioBase64?.bind(codec),
          socket,
          codec.rechunk,
        ).then(
          (s) => {
            starting = false;
            if (s === undefined) {
              refused = true;
              ws.close(1008, 'refused');
              return;
            }
            session = s;
            for (const queued of pending.splice(0)) s.bridge.handleCarrierEvent(queued);
          },
          (err: unknown) => {
            // The store did not answer: close the stream so the carrier follows the document's
            // continuation and asks again (invariant 1), rather than leave the caller on a dead socket.
            starting = false;
            refused = true;
            this.#o.log.error({ carrier: adapter.carrier, err: errorSummary(err) }, 'media.start_failed');
            ws.close(1011, 'unavailable');
          },
        );
        return;
      }
      this.#o.onFrame?.('in');
      if (event.type === 'audio')
        session?.silence?.callerAudio(event.payload, streamFormat, this.#time.nowMs());
      if (session === undefined) {
        if (starting && pending.length < 500) pending.push(event);
        return;
      }
      if (event.type === 'stop' && event.reason === STOP_CALL_ENDED) {
        // The carrier says the call itself is over (Exotel `callended`), not only this stream.
        const callId = session.callId;
        void this.#o.engine
          .dispatch(callId, { type: 'call.ended' }, `media:${callId}:call_ended`)
          .catch((err: unknown) =>
            this.#o.log.error({ callId, err: errorSummary(err) }, 'call.dispatch_failed'),
          );
      }
      session.bridge.handleCarrierEvent(event);
    });
    ws.on('close', () => {
      briefing?.closed();
      if (session !== undefined && session.closeCarrier === closeThis) {
        session.bridge.detachCarrier();
        session.closeCarrier = undefined;
        if (!closedHere) this.#watchLostStream(session);
      }
    });
    ws.on('error', (err) => this.#o.log.warn({ err: errorSummary(err) }, 'media.socket_error'));
  }

  /**
   * The session's stream closed without the daemon closing it. A transfer moving the caller does
   * that (the record is then past `ai`, and `stream.lost` changes nothing), and so does the caller
   * hanging up — whose status callback normally ends the call within moments. If, after
   * {@link STREAM_LOST_GRACE_MS}, the session is still here with no stream, the record is told
   * (`stream.lost`) and the carrier asked: a lost status callback would otherwise leave the call
   * `ai` until the liveness sweep.
   */
  #watchLostStream(session: LocalSession): void {
    const { callId } = session;
    this.#time.setTimeout(() => {
      if (this.#o.sessions.get(callId) !== session || session.bridge.carrierAttached) return;
      this.#o.engine
        .dispatch(callId, { type: 'stream.lost' }, undefined)
        .catch((err: unknown) =>
          this.#o.log.error({ callId, err: errorSummary(err) }, 'call.dispatch_failed'),
        );
    }, STREAM_LOST_GRACE_MS);
  }

  async #start(
    adapter: CarrierAdapter,
    ws: WebSocket,
    closeThis: () => void,
    start: Extract<InboundMediaEvent, { type: 'start' }>,
    encode: MediaCodec['encode'],
    encodeBase64: EncodeBase64 | undefined,
    socket: FrameSocket | undefined,
    rechunk: RechunkRule | undefined,
  ): Promise<LocalSession | undefined> {
    const callId = start.customParameters['callId'] ?? start.carrierCallId;
    const reads = await readForStreamStart(this.#startReads, callId, start.customParameters['mediaToken']);
    if (!reads.admitted) {
      this.#o.log.warn({ carrier: adapter.carrier }, 'media.token_refused');
      return undefined;
    }
    const record = reads.record;
    if (record === undefined || record.phase === 'ended') return undefined;
    let session = this.#o.sessions.get(callId);
    if (session === undefined) {
      const handed = (await this.#o.takeOver?.(callId, reads.holder)) ?? { resumed: false };
      session = await this.#newSession(adapter.carrier, record, handed);
      if (session === undefined) return undefined;
    }
    session.bridge.attachCarrier({
      port: {
        send: (ev) => {
          if (ws.readyState === ws.OPEN) {
            ws.send(encode(ev));
            this.#o.onFrame?.('out');
          }
        },
        ...(encodeBase64 === undefined ? {} : this.#base64Sends(ws, socket, encodeBase64)),
        bufferedBytes: () => ws.bufferedAmount,
      },
      format: start.format,
      ...(rechunk === undefined ? {} : { rechunk }),
    });
    if (record.phase === 'ai') session.bridge.resumeAgentAudio();
    const back = session.onCallerBack;
    session.onCallerBack = undefined;
    back?.();
    // A failed transfer's `resume` that never reached the agent (the worker that applied the
    // transfer's end died before telling it): the saved state says it is owed; tell it now, with
    // the transfer's end (`transfer_status: failed`) on this new socket first.
    const owed = back === undefined ? owedResume(record, session.resumed) : undefined;
    if (owed !== undefined) {
      this.#o.log.warn({ callId, transferId: owed.transferId }, 'agent.resume_owed');
      // This socket never heard how the transfer ended (the worker that had it died first).
      if (firstTelling(session, owed.transferId, 'failed'))
        session.agent.sendTransferStatus({ transferId: owed.transferId, status: 'failed' });
      tellResume(session, owed, (input) => this.#o.engine.dispatch(callId, input, undefined), this.#o.log);
    }
    session.closeCarrier = closeThis;
    await this.#o.engine.store.sockets.claim(callId, this.#o.workerId);
    this.#o.log.info({ callId, carrier: adapter.carrier }, 'media.stream_started');
    return session;
  }

  async #newSession(
    carrier: Carrier,
    record: CallRecord,
    handed: TakeOver,
  ): Promise<LocalSession | undefined> {
    const published = await this.#o.agents.get(record.agentId, record.agentVersion);
    if (published === undefined) return undefined;
    const agentConfig = published.agent;
    const callId = record.callId;
    const scanner = new TransferTagScanner();
    // The tags of one agent turn are one fallback chain, dispatched when the turn ends.
    const chain = new TagChain({
      timers: this.#time,
      onChain: (destinations) =>
        dispatch({ type: 'transfer.request', trigger: { type: 'tag', destinations: [...destinations] } }),
    });
    const dispatch = (input: CallInput, dedupeKey?: string): void => {
      void this.#o.engine.dispatch(callId, input, dedupeKey).catch((err: unknown) => {
        this.#o.log.error({ callId, input: input.type, err: errorSummary(err) }, 'call.dispatch_failed');
      });
    };
    const listener = {
      onAgentEvent: (event: AgentEvent): void =>
        this.#onAgentEvent(callId, agentConfig, { scanner, chain }, session, event, dispatch),
    };
    const log = this.#o.log.child({ callId });
    let agent: AgentTransport;
    try {
      agent = this.#createAgent(carrier, record, agentConfig, listener, log, handed.resumed);
    } catch (err) {
      // A stored configuration naming a transport this worker does not have (registered kinds
      // are checked when a configuration is saved, so only a worker of another build gets here).
      this.#o.log.error({ callId, err: errorSummary(err) }, 'agent.transport_unavailable');
      return undefined;
    }
    const { onDrop, onWaitAudio } = this.#o;
    const bridge = new MediaBridge({
      agent,
      clock: this.#time,
      timers: this.#time,
      waitAudio: agentConfig.agent.waitAudio,
      metrics: {
        // 160 bytes is 20 ms of μ-law; toward the carrier is 'out', toward the agent 'in'.
        audioDropped: (direction, bytes) =>
          onDrop?.(direction === 'to_carrier' ? 'out' : 'in', Math.max(1, Math.round(bytes / 160))),
        waitAudioStarted: () => onWaitAudio?.(),
      },
    });
    const session: LocalSession & { silence?: SilenceWatch } = {
      callId,
      agent,
      bridge,
      scanner,
      stopTimers: () => chain.stop(),
      // What the previous holder's session told stays told: the record may not say so yet.
      resumed: new Set(handed.resumesTold),
      statusesTold: new Set(),
    };
    const owed = handed.resume;
    if (owed !== undefined) {
      // The previous worker's `resume`, told once this stream is joined (as it would have been there).
      session.pendingResume = owed;
      session.onCallerBack = () =>
        tellResume(session, owed, (input) => this.#o.engine.dispatch(callId, input, undefined), this.#o.log);
    }
    const control = agentConfig.callControl;
    if (control.onNoResponseAction !== 'none') {
      const silence = new SilenceWatch(control.noResponseTimeoutSec * 1000, this.#time.nowMs());
      session.silence = silence;
      let awaitingAgent = true;
      const stopWatch = every(this.#time, SILENCE_CHECK_MS, () => {
        // Only while the caller is with the AI: a transfer under way is not silence.
        if (bridge.paused || !bridge.carrierAttached) return;
        // Nor before the agent is there (still accepting, or reconnecting): nobody has asked the
        // caller anything, so the silence counts from the first check that finds it there.
        if (!agent.isOpen || awaitingAgent) {
          awaitingAgent = !agent.isOpen;
          silence.restart(this.#time.nowMs());
          return;
        }
        const agentAt = bridge.lastAgentFrameAtMs;
        if (agentAt !== undefined) silence.agentSpoke(agentAt);
        if (silence.due(this.#time.nowMs())) dispatch({ type: 'caller.silent' });
      });
      session.stopTimers = () => {
        stopWatch();
        chain.stop();
      };
    }
    this.#o.sessions.set(session);
    // Until the agent's first audio the caller may hear the wait audio.
    bridge.agentAway();
    // Never rejects: a socket that does not open reaches the listener as `agent.failed`.
    agent
      .connect()
      .catch((err: unknown) => this.#o.log.error({ callId, err: errorSummary(err) }, 'agent.connect_failed'));
    return session;
  }

  #createAgent(
    carrier: Carrier,
    record: CallRecord,
    agentConfig: AgentConfig,
    listener: AgentListener,
    log: Log,
    resumed: boolean,
  ): AgentTransport {
    return createAgentTransport(
      {
        endpoint: agentConfig.agent,
        callId: record.callId,
        agentId: agentConfig.id,
        carrier,
        direction: record.direction,
        format: {
          encoding: agentConfig.agent.audio.encoding,
          sampleRate: agentConfig.agent.audio.sampleRate,
        },
        clock: this.#time,
        timers: this.#time,
        log,
        resumed,
        ...(this.#o.transportSecrets === undefined ? {} : { secrets: this.#o.transportSecrets }),
      },
      {
        listener,
        log,
        clock: this.#time,
        // Caller audio waits for the agent to be reachable, bounded by the connect timeout's worth.
        onAudioHeld: (frames) => this.#o.onHeld?.(frames),
        onAudioDropped: (frames) => this.#o.onDrop?.('in', frames),
      },
    );
  }

  #onAgentEvent(
    callId: string,
    agentConfig: AgentConfig,
    tags: { readonly scanner: TransferTagScanner; readonly chain: TagChain },
    session: LocalSession,
    event: AgentEvent,
    dispatch: (input: CallInput, dedupeKey?: string) => void,
  ): void {
    switch (event.type) {
      case 'agent.text': {
        const found = [...tags.scanner.push(event.text).tags];
        if (event.final) found.push(...tags.scanner.endTurn().tags);
        tags.chain.text(found, event.final);
        return;
      }
      case 'agent.transfer': {
        const trigger: TransferTrigger =
          event.rule !== undefined
            ? { type: 'rule', label: event.rule }
            : event.skill !== undefined
              ? {
                  type: 'skill',
                  name: event.skill,
                  confirmed: event.confirmed ?? false,
                  ...(event.destination === undefined ? {} : { dynamicDestination: event.destination }),
                }
              : event.destination !== undefined
                ? { type: 'tag', destinations: [event.destination] }
                : { type: 'default' };
        this.#request(callId, agentConfig, dispatch, {
          type: 'transfer.request',
          trigger,
          ...(event.requestId === undefined ? {} : { requestId: event.requestId }),
          ...(event.reason === undefined ? {} : { reason: event.reason }),
          ...(event.mode === undefined ? {} : { mode: event.mode }),
          ...(event.summary === undefined ? {} : { summary: event.summary }),
        });
        return;
      }
      case 'agent.tool_call': {
        if (isEndCallTool(agentConfig, event.name)) {
          // VoiceDock's end_call: the call ends cleanly, `ended_reason: agent_hangup`.
          session.agent.sendToolResult(event.id, { ok: true, result: { ended: true } });
          dispatch({ type: 'agent.hangup', reason: 'end_call' });
          return;
        }
        const parsed = parseToolCall(agentConfig, event.name, event.args);
        if (!parsed.ok) {
          session.agent.sendToolResult(event.id, {
            ok: false,
            error: { code: parsed.error.code, message: parsed.error.message },
          });
          return;
        }
        this.#request(callId, agentConfig, dispatch, {
          type: 'transfer.request',
          trigger: parsed.trigger,
          requestId: event.id,
          tool: event.name,
          ...(parsed.reason === undefined ? {} : { reason: parsed.reason }),
        });
        return;
      }
      case 'agent.summary':
        this.#summary(callId, event.text, dispatch, event.transferId);
        return;
      case 'agent.said':
        session.said?.get(event.transferId)?.();
        return;
      case 'agent.hangup':
        dispatch({ type: 'agent.hangup', ...(event.reason === undefined ? {} : { reason: event.reason }) });
        return;
      case 'agent.failed':
        dispatch({ type: 'agent.failed' });
        return;
      case 'agent.connected':
      case 'agent.reconnecting':
        // The wait audio stops at the agent's first audio, not when its socket opens.
        if (event.type === 'agent.reconnecting') session.bridge.agentAway();
        this.#o.log.info({ callId, event: event.type }, 'agent.connection');
        return;
    }
  }

  /**
   * Dispatches a transfer request, once a skill whose destination is looked up has its answer
   * (destination-lookup.ts: bounded by the lookup's own timeout).
   */
  #request(
    callId: string,
    agentConfig: AgentConfig,
    dispatch: (input: CallInput) => void,
    input: Extract<CallInput, { type: 'transfer.request' }>,
  ): void {
    const lookups = this.#o.lookups;
    if (lookups === undefined || !lookups.wants(agentConfig, input.trigger)) {
      dispatch(input);
      return;
    }
    this.#o.engine
      .get(callId)
      .then(async (record) => {
        if (record === undefined) return;
        const trigger = await lookups.resolve(agentConfig, input.trigger, record, input.reason);
        dispatch({ ...input, trigger });
      })
      .catch((err: unknown) => {
        this.#o.log.error({ callId, err: errorSummary(err) }, 'lookup.dispatch_failed');
      });
  }

  #summary(callId: string, text: string, dispatch: (input: CallInput) => void, transferId?: string): void {
    this.#o.engine.get(callId).then(
      (record) => {
        const current = record?.transfer;
        if (current === undefined || current === null) return;
        if (transferId !== undefined && transferId !== current.transferId) return;
        dispatch({
          type: 'transfer.event',
          transferId: current.transferId,
          event: { type: 'summary.received', text },
        });
      },
      // The `summary` timer bounds the wait: the whisper falls back to the template.
      (err: unknown) => this.#o.log.error({ callId, err: errorSummary(err) }, 'agent.summary_dropped'),
    );
  }
}

/** A `ws` message as one Buffer (it may arrive as fragments or an ArrayBuffer). */
function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
