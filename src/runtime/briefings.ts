import type { WebSocket } from 'ws';
import type { CarrierAdapter, MediaCodec } from '../../providers/types.js';
import type { AgentEvent } from '../agent/events.js';
import type { AgentTransport, AgentTransportSecrets } from '../agent/transport.js';
import { createAgentTransport } from '../agent/transports.js';
import type { InboundMediaEvent } from '../domain/media.js';
import { backgroundTime, type Time } from '../lib/time.js';
import type { Log } from '../log.js';
import type { AgentMediaPort } from '../media/agent-port.js';
import { MediaBridge } from '../media/bridge.js';
import type { RechunkRule } from '../media/rechunk.js';
import type { BriefingEndReason, TransferEvent } from '../transfer/machine-types.js';
import type { AgentDirectory } from './agent-directory.js';
import type { CallEngine } from './engine.js';
import { errorSummary } from './executor.js';
import { audioLevel, SPEECH_LEVEL } from './silence.js';

/**
 * Agentic transfers: the human's leg streams to the daemon (its answer document is a stream with
 * `role: briefing`), and the daemon opens a second socket to the call's agent URL with a normal
 * `start` whose parameters say it is a briefing (docs/agent-protocol.md, "Briefing session").
 * Audio flows between the human and that socket only: the caller, on hold in the transfer's room,
 * is on neither. The decision — the agent's `briefing_result`, its `accept_transfer` /
 * `decline_transfer` tool call, or the human's key — goes to the call's machine; the machine's
 * `briefing.end` closes the socket with `stop` and the reason.
 */

/** How long a briefing socket outlives its human's stream, waiting for the machine to say why. */
const ORPHAN_CLOSE_MS = 1000;

/** Tool names a briefing socket may call to decide. */
export const BRIEFING_TOOLS = { accept: 'accept_transfer', decline: 'decline_transfer' } as const;

export interface BriefingOptions {
  readonly engine: Pick<CallEngine, 'get' | 'dispatch'>;
  readonly agents: AgentDirectory;
  readonly log: Log;
  readonly verifyToken: (callId: string, token: string | undefined) => Promise<boolean> | false;
  readonly time?: Time;
  /** Transport credentials from the environment (LiveKit's key pair). */
  readonly transportSecrets?: AgentTransportSecrets;
}

/** One briefing stream, as the media socket that carries it sees it. */
export interface BriefingStream {
  handle(event: InboundMediaEvent): void;
  /** The human's stream closed (released, or the leg hung up). */
  closed(): void;
}

interface Briefing {
  readonly agent: AgentTransport;
  readonly bridge: MediaBridge;
  readonly closeHuman: () => void;
  ended: boolean;
}

type StartEvent = Extract<InboundMediaEvent, { type: 'start' }>;

export class BriefingSessions {
  readonly #o: BriefingOptions;
  readonly #time: Time;
  readonly #live = new Map<string, Briefing>();
  /** Briefing sockets ended and still closing (their close handshake). */
  readonly #closing = new Set<Promise<void>>();

  constructor(options: BriefingOptions) {
    this.#o = options;
    this.#time = options.time ?? backgroundTime;
  }

  /** Briefings held here (tests, metrics). */
  get size(): number {
    return this.#live.size;
  }

  /**
   * A stream whose `start` says `role: briefing`: checks its token and that the named leg is being
   * briefed, then opens the briefing socket. Undefined: refused (the caller closes the socket).
   */
  async start(
    adapter: CarrierAdapter,
    ws: WebSocket,
    start: StartEvent,
    encode: MediaCodec['encode'],
    rechunk: RechunkRule | undefined,
  ): Promise<BriefingStream | undefined> {
    const p = start.customParameters;
    const callId = p['callId'] ?? start.carrierCallId;
    const { legId, transferId } = p;
    if (!(await this.#o.verifyToken(callId, p['mediaToken'])) || legId === undefined) {
      this.#o.log.warn({ carrier: adapter.carrier }, 'briefing.token_refused');
      return undefined;
    }
    const record = await this.#o.engine.get(callId);
    const transfer = record?.transfer;
    const leg = transfer?.legs.find((l) => l.legId === legId);
    if (
      record === undefined ||
      transfer == null ||
      transfer.transferId !== transferId ||
      leg?.status !== 'briefing'
    ) {
      this.#o.log.warn({ callId, legId }, 'briefing.not_briefing');
      return undefined;
    }
    const published = await this.#o.agents.get(record.agentId, record.agentVersion);
    if (published === undefined) return undefined;
    const config = published.agent;
    const { plan, flags } = transfer;
    // A warm whisper in the agent's voice rather than an agentic briefing: no decision is asked.
    const sayMode = plan.whisperVoice === 'agent';
    let said = false;
    const summary =
      flags.summaryText ??
      (plan.whisper.kind === 'static'
        ? plan.whisper.text
        : plan.whisper.kind === 'summary'
          ? plan.whisper.fallbackText
          : '');
    const log = this.#o.log.child({ callId, legId });
    let decided = false;
    const decide = (event: TransferEvent): void => {
      if (decided) return;
      decided = true;
      void this.#o.engine
        .dispatch(
          callId,
          { type: 'transfer.event', transferId: transfer.transferId, event },
          `briefing:${legId}:decision`,
        )
        .catch((err: unknown) => log.error({ err: errorSummary(err) }, 'briefing.dispatch_failed'));
    };
    const result = (accepted: boolean, by: 'agent' | 'digit'): void =>
      decide({ type: 'briefing.result', legId, accepted, by });
    let agent: AgentTransport | undefined;
    const onEvent = (event: AgentEvent): void => {
      switch (event.type) {
        case 'agent.connected':
          // `whisperVoice: agent` (warm): the agent speaks the whisper; its mark's echo ends it.
          if (sayMode && !said) {
            said = true;
            agent?.sendSay(transfer.transferId, summary);
          }
          return;
        case 'agent.said':
          // The agent says it spoke the whisper (`said`), as it may instead of a mark.
          if (sayMode && said) result(true, 'agent');
          return;
        case 'agent.briefing_result':
          result(event.accepted, 'agent');
          return;
        case 'agent.tool_call': {
          const accepted =
            event.name === BRIEFING_TOOLS.accept
              ? true
              : event.name === BRIEFING_TOOLS.decline
                ? false
                : undefined;
          if (accepted === undefined) {
            agent?.sendToolResult(event.id, {
              ok: false,
              error: {
                code: 'unknown_tool',
                message: 'a briefing takes accept_transfer or decline_transfer',
              },
            });
            return;
          }
          agent?.sendToolResult(event.id, { ok: true, result: { accepted } });
          result(accepted, 'agent');
          return;
        }
        case 'agent.failed':
        case 'agent.hangup':
          // Gone before deciding: the human gets the static whisper instead (the machine's call).
          if (!briefing.ended) decide({ type: 'briefing.failed', legId });
          return;
        default:
          return;
      }
    };
    agent = createAgentTransport(
      {
        endpoint: config.agent,
        callId,
        agentId: config.id,
        carrier: adapter.carrier,
        direction: record.direction,
        format: { encoding: config.agent.audio.encoding, sampleRate: config.agent.audio.sampleRate },
        clock: this.#time,
        timers: this.#time,
        log,
        parameters: {
          role: 'briefing',
          callId,
          transferId: transfer.transferId,
          legId,
          reason: plan.reason,
          destinationLabel: plan.label ?? '',
          summary,
        },
        ...(this.#o.transportSecrets === undefined ? {} : { secrets: this.#o.transportSecrets }),
      },
      { listener: { onAgentEvent: onEvent }, log, clock: this.#time },
    );
    const transport = agent;
    // In say mode the first echo of an agent mark says the carrier played its words.
    const port: AgentMediaPort = sayMode
      ? {
          format: transport.format,
          sendAudio: (payload) => transport.sendAudio(payload),
          sendDtmf: (digit) => transport.sendDtmf(digit),
          sendMark: (name) => {
            transport.sendMark(name);
            if (said) result(true, 'agent');
          },
          backlogBytes: () => transport.backlogBytes(),
          setMediaSink: (sink) => transport.setMediaSink(sink),
        }
      : transport;
    const bridge = new MediaBridge({ agent: port, clock: this.#time, timers: this.#time });
    bridge.attachCarrier({
      port: {
        send: (ev) => {
          if (ws.readyState === ws.OPEN) ws.send(encode(ev));
        },
        bufferedBytes: () => ws.bufferedAmount,
      },
      format: start.format,
      ...(rechunk === undefined ? {} : { rechunk }),
    });
    const briefing: Briefing = { agent, bridge, closeHuman: () => ws.close(1000, 'done'), ended: false };
    this.#live.set(legId, briefing);
    const { acceptDigit, declineDigit, waitForHumanSpeechMs } = config.handoffConfig;
    // The agent is reached once the human spoke ("hello?"), or after a bounded wait: it never
    // talks over the human's own greeting, and never leaves them in silence for long.
    let open = false;
    let waiting: unknown;
    const begin = (why: 'speech' | 'wait' | 'at_once'): void => {
      if (open || briefing.ended) return;
      open = true;
      this.#time.clearTimeout(waiting);
      agent
        ?.connect()
        .catch((err: unknown) => log.error({ err: errorSummary(err) }, 'briefing.connect_failed'));
      log.info({ carrier: adapter.carrier, why }, 'briefing.started');
    };
    if (waitForHumanSpeechMs === 0) begin('at_once');
    else waiting = this.#time.setTimeout(() => begin('wait'), waitForHumanSpeechMs);
    return {
      handle: (event) => {
        if (!open && event.type === 'audio') {
          // Before the human spoke only their first words matter: they open the briefing.
          if (audioLevel(event.payload, start.format) < SPEECH_LEVEL) return;
          begin('speech');
        }
        if (event.type === 'dtmf' && !sayMode) {
          // The human's own answer: a bot that only speaks still gets a decision.
          if (event.digit === acceptDigit) result(true, 'digit');
          else if (event.digit === declineDigit) result(false, 'digit');
        }
        if (event.type !== 'stop') bridge.handleCarrierEvent(event);
      },
      closed: () => {
        bridge.detachCarrier();
        // The human's stream ended under the briefing: the machine's `briefing.end` says why
        // (the leg's hang-up); should none come (a stream dropped), the socket is closed anyway.
        if (!briefing.ended) {
          this.#time.setTimeout(() => {
            this.end(legId, 'failed', false).catch((err: unknown) =>
              log.warn({ err: errorSummary(err) }, 'briefing.close_failed'),
            );
          }, ORPHAN_CLOSE_MS);
        }
      },
    };
  }

  /**
   * Ends the briefing on `legId` held here: `stop` with the reason, then the human's stream if
   * `release`. The socket's close handshake goes on in the background (`closed()` waits for it):
   * the effects after this one — the leg's hang-up, the next destination's dial — do not wait for
   * the agent's close frame, which a far agent takes a round trip to send and a stuck one never
   * sends (then the wire's close timeout ends it).
   */
  async end(legId: string, reason: BriefingEndReason, release: boolean): Promise<void> {
    const briefing = this.#live.get(legId);
    if (briefing === undefined || briefing.ended) return;
    briefing.ended = true;
    this.#live.delete(legId);
    briefing.bridge.close();
    if (release) briefing.closeHuman();
    const closing: Promise<void> = briefing.agent
      .close(`briefing ${reason}`)
      .catch((err: unknown) => this.#o.log.warn({ legId, err: errorSummary(err) }, 'briefing.close_failed'))
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  /** Settles once every briefing socket closing now has closed (a stopping worker's last step). */
  async closed(): Promise<void> {
    await Promise.allSettled([...this.#closing]);
  }
}
