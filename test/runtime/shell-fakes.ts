import type {
  CallbackIds,
  CallInstructions,
  CarrierAdapter,
  CarrierCapabilities,
  CarrierControl,
  CarrierEvent,
  CreateCallOptions,
  Markup,
  WebhookError,
  WebhookKind,
  WebhookRequest,
} from '../../providers/types.js';
import type { AgentCloseReason, AgentTransport, TransferStatusUpdate } from '../../src/agent/transport.js';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { CarrierError } from '../../src/domain/errors.js';
import { MULAW_8K } from '../../src/domain/media.js';
import type { TransferOutcome } from '../../src/domain/outcome.js';
import { MediaBridge } from '../../src/media/bridge.js';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';
import { type CallInput, type ReduceContext, reduceCall } from '../../src/runtime/call-reducer.js';
import type { CallDispatcher, DispatchOutcome, RunContext } from '../../src/runtime/engine.js';
import type { LocalSession } from '../../src/runtime/sessions.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { EventRef } from '../../src/store/types.js';
import { TransferTagScanner } from '../../src/transfer/tags.js';

/**
 * Fakes of what the runtime shell talks to, passed in through constructors (no module mocking):
 * a carrier adapter whose REST control records commands and fails on demand, an agent transport
 * recording what it was sent, an engine recording what was dispatched. Markup is rendered as
 * JSON naming the document and its options, so a test reads which document was chosen.
 */

export const CALL_ID = 'CA1';
export const CALLER = '+12125550123';
export const OUR_NUMBER = '+14155550100';
export const HUMAN = '+14155550133';
export const T1 = `${CALL_ID}.t1`;
/** The carrier code the fake carrier answers a caller ID it refuses with. */
export const CALLER_ID_REFUSED_CODE = '21210';
/** The code the fake carrier answers a command for a call that is over with (as Twilio's 21220). */
export const CALL_GONE_CODE = '21220';
export const LEG0 = `${T1}:0`;

/** One REST command the fake carrier received. */
export type Command =
  | { readonly op: 'redirectCall'; readonly callId: string; readonly doc: string }
  | { readonly op: 'hangupCall'; readonly callId: string }
  | { readonly op: 'createCall'; readonly to: string; readonly from: string; readonly timeoutSec: number };

type ControlOp = Command['op'];

/** A document as the fake carrier renders it. */
export interface FakeDoc {
  readonly doc: 'stream' | 'dial' | 'hold' | 'whisper' | 'hangup' | 'pause';
  readonly [option: string]: unknown;
}

export function readDoc(markup: Markup | undefined): FakeDoc | undefined {
  return markup === undefined ? undefined : (JSON.parse(markup.body) as FakeDoc);
}

const doc = (d: FakeDoc): Markup => ({ contentType: 'application/x-fake', body: JSON.stringify(d) });

export class FakeCarrier {
  readonly commands: Command[] = [];
  /** Errors the next calls of an operation throw, in order. */
  readonly #failures = new Map<ControlOp, Error[]>();
  #nextCallId = 0;
  /** What `verifyWebhook` answers. */
  signatureValid = true;
  /** What `parseWebhook` answers next; every parse is recorded. */
  event: CarrierEvent | WebhookError | undefined;
  readonly parsed: WebhookKind[] = [];
  /** What `callLive` answers: whether the carrier still has the call live. */
  live = true;
  /** The calls `callLive` was asked about. */
  readonly liveAsked: string[] = [];
  /** What `fallbackOf` answers: a request to a fallback URL naming the request that failed. */
  fallback: { readonly failedUrl: string; readonly errorCode?: string } | undefined;
  readonly adapter: CarrierAdapter;

  constructor(capabilities: Partial<CarrierCapabilities> = {}) {
    const commands: Pick<CarrierControl, 'redirectCall' | 'hangupCall' | 'createCall'> = {
      redirectCall: async (callId: string, next: CallInstructions) => {
        this.#maybeFail('redirectCall');
        this.commands.push({
          op: 'redirectCall',
          callId,
          doc: 'body' in next ? (readDoc(next)?.doc ?? '') : '',
        });
      },
      hangupCall: async (callId: string) => {
        this.#maybeFail('hangupCall');
        this.commands.push({ op: 'hangupCall', callId });
      },
      createCall: async (o: CreateCallOptions) => {
        this.#maybeFail('createCall');
        this.commands.push({ op: 'createCall', to: o.to, from: o.from, timeoutSec: o.timeoutSec ?? 0 });
        this.#nextCallId += 1;
        return { carrierCallId: `CHILD${this.#nextCallId}` };
      },
    };
    // Conference commands: the daemon never calls them (a warm transfer runs on markup).
    const unused = async (): Promise<never> => {
      throw new Error('the daemon does not call conference commands');
    };
    const conference = {
      addParticipant: unused,
      updateParticipant: unused,
      removeParticipant: unused,
      endConference: unused,
    };
    const callLive = async (callId: string): Promise<boolean> => {
      this.liveAsked.push(callId);
      return this.live;
    };
    const control: CarrierControl = { ...commands, ...conference, callLive };
    // The carrier refuses caller ID `CALLER_ID_REFUSED_CODE` on a leg (as Twilio's 21210 does).
    const errors = {
      classifyError: (err: unknown) =>
        err instanceof CarrierError && err.carrierCode === CALLER_ID_REFUSED_CODE
          ? ('caller_id_refused' as const)
          : err instanceof CarrierError && err.carrierCode === CALL_GONE_CODE
            ? ('call_gone' as const)
            : undefined,
    };
    this.adapter = {
      ...errors,
      carrier: 'twilio',
      capabilities: {
        conference: true,
        whisper: true,
        holdAudio: true,
        sipDestinations: true,
        ...capabilities,
      },
      routes: {
        webhooks: (['voice', 'status', 'dial-action', 'conference'] as const).map((kind) => ({
          kind,
          method: 'POST' as const,
          path: `/fake/${kind}`,
          answersWithMarkup: kind === 'voice' || kind === 'dial-action',
        })),
        mediaPath: '/fake/media',
      },
      callbackUrl: (kind: WebhookKind, ids: CallbackIds) =>
        `https://pt.test/fake/${kind}?${new URLSearchParams(Object.entries(ids).map(([k, v]): [string, string] => [k, String(v)]))}`,
      mediaUrl: () => 'wss://pt.test/fake/media',
      verifyWebhook: () => this.signatureValid,
      fallbackOf: () => this.fallback,
      parseWebhook: (kind) => {
        this.parsed.push(kind);
        if (this.event === undefined) throw new Error('the test gave no event to parse');
        return this.event;
      },
      verifyMediaUpgrade: () => true,
      createCodec: () => {
        throw new Error('no media in these tests');
      },
      markup: {
        answerWithStream: (o) => doc({ doc: 'stream', parameters: o.parameters }),
        dialCold: (o) => doc({ doc: 'dial', to: o.to, callerId: o.callerId, timeoutSec: o.timeoutSec }),
        conferenceHold: (o) => doc({ doc: 'hold', room: o.room, holdAudioUrl: o.holdAudioUrl }),
        whisperThenJoin: (o) => doc({ doc: 'whisper', text: o.text, room: o.room }),
        hangup: () => doc({ doc: 'hangup' }),
        pauseThenAsk: (o) => doc({ doc: 'pause', seconds: o.seconds, url: o.continuationUrl }),
      },
      control,
      numberRegion: 'US',
      outboundNext: () => 'not in these tests',
    };
  }

  /** The next `count` calls of `op` throw `err`. */
  fail(op: ControlOp, err: Error, count = 1): void {
    this.#failures.set(op, [...(this.#failures.get(op) ?? []), ...Array.from({ length: count }, () => err)]);
  }

  #maybeFail(op: ControlOp): void {
    const err = this.#failures.get(op)?.shift();
    if (err !== undefined) throw err;
  }
}

/** One message the fake agent transport was sent. */
export type AgentSent =
  | { readonly kind: 'status'; readonly update: TransferStatusUpdate }
  | { readonly kind: 'summary_request'; readonly transferId: string }
  | { readonly kind: 'say'; readonly transferId: string; readonly text: string }
  | { readonly kind: 'resume'; readonly transferId: string; readonly outcome: TransferOutcome }
  | { readonly kind: 'tool_result'; readonly id: string; readonly ok: boolean }
  | { readonly kind: 'close'; readonly reason: AgentCloseReason | undefined };

export class FakeAgent implements AgentTransport {
  readonly format = MULAW_8K;
  readonly sent: AgentSent[] = [];
  readonly isOpen = true;

  connect(): Promise<boolean> {
    return Promise.resolve(true);
  }
  sendTransferStatus(update: TransferStatusUpdate): void {
    this.sent.push({ kind: 'status', update });
  }
  sendSummaryRequest(transferId: string): void {
    this.sent.push({ kind: 'summary_request', transferId });
  }
  sendSay(transferId: string, text: string): void {
    this.sent.push({ kind: 'say', transferId, text });
  }
  sendResume(transferId: string, outcome: TransferOutcome): void {
    this.sent.push({ kind: 'resume', transferId, outcome });
  }
  sendToolResult(id: string, result: { readonly ok: boolean }): void {
    this.sent.push({ kind: 'tool_result', id, ok: result.ok });
  }
  close(reason?: AgentCloseReason): Promise<void> {
    this.sent.push({ kind: 'close', reason });
    return Promise.resolve();
  }
  stats() {
    return { heldFrames: 0, droppedFrames: 0 };
  }
  sendAudio(): void {}
  sendDtmf(): void {}
  sendMark(): void {}
  backlogBytes(): number {
    return 0;
  }
  setMediaSink(): void {}
}

/** A call's local parts held by this worker: the fake agent behind a real media bridge. */
export function fakeSession(callId = CALL_ID): {
  session: LocalSession;
  agent: FakeAgent;
  closedCarrier: () => number;
} {
  const agent = new FakeAgent();
  let closed = 0;
  const session: LocalSession = {
    callId,
    agent,
    bridge: new MediaBridge({ agent }),
    scanner: new TransferTagScanner(),
    closeCarrier: () => {
      closed += 1;
    },
    resumed: new Set(),
    statusesTold: new Set(),
  };
  return { session, agent, closedCarrier: () => closed };
}

/** One `dispatch` the fake engine received. */
export interface Dispatched {
  readonly callId: string;
  readonly input: CallInput;
  readonly dedupeKey: string | undefined;
  readonly hadReply: boolean;
}

/**
 * The engine as the webhook side sees it: records it holds, every dispatch recorded (with its
 * dedupe key), and an optional reaction that stands in for the executor offering markup into
 * the webhook's reply slot.
 */
export class FakeEngine implements CallDispatcher {
  readonly records = new Map<string, CallRecord>();
  readonly dispatched: Dispatched[] = [];
  readonly created: string[] = [];
  readonly store = new MemoryStore<CallRecord>({ sweepIntervalMs: 0 });
  /** Runs on each dispatch of a known call, with the dispatch's run context. */
  onDispatch: ((callId: string, input: CallInput, context: RunContext) => void) | undefined;
  /** What a dispatch of a known call answers; default `applied`. */
  statusOf: (input: CallInput) => DispatchOutcome['status'] = () => 'applied';

  get(callId: string): Promise<CallRecord | undefined> {
    return Promise.resolve(this.records.get(callId));
  }

  createCall(input: Parameters<CallDispatcher['createCall']>[0]) {
    const existing = this.records.get(input.callId);
    if (existing !== undefined) return Promise.resolve({ created: false, record: existing });
    const record = newCallRecord({ ...input, nowMs: NOW });
    this.records.set(input.callId, record);
    this.created.push(input.callId);
    return Promise.resolve({ created: true, record });
  }

  dispatch(
    callId: string,
    input: CallInput,
    ref: EventRef | undefined,
    context: RunContext = {},
  ): Promise<DispatchOutcome> {
    const dedupeKey =
      typeof ref === 'string' ? ref : ref !== undefined && 'dedupeKey' in ref ? ref.dedupeKey : undefined;
    this.dispatched.push({ callId, input, dedupeKey, hadReply: context.reply !== undefined });
    const record = this.records.get(callId);
    if (record === undefined) return Promise.resolve({ status: 'missing', effects: [] });
    this.onDispatch?.(callId, input, context);
    return Promise.resolve({ status: this.statusOf(input), record, effects: [] });
  }
}

export const NOW = 1_700_000_000_000;

export const AGENT: AgentConfig = parseAgentConfig(
  {
    id: 'front-desk',
    numbers: [OUR_NUMBER],
    agent: { url: 'ws://127.0.0.1:1/agent' },
    handoffConfig: {
      transferDestination: HUMAN,
      holdAudio: 'https://audio.example.com/hold.mp3',
      whisper: 'A caller from the front desk.',
    },
    callControl: { onNoResponseAction: 'none' },
  },
  { defaultRegion: 'US' },
);

export const reduceContext = (extra: Partial<ReduceContext> = {}): ReduceContext => ({
  nowMs: NOW,
  agent: AGENT,
  defaultRegion: 'US',
  ...extra,
});

/** Applies inputs in order through the real reducer; each must change something. */
export function through(record: CallRecord, ...inputs: CallInput[]): CallRecord {
  let current = record;
  for (const input of inputs) {
    const result = reduceCall(current, input, reduceContext());
    if (result === null) throw new Error(`setup input ${input.type} changed nothing`);
    current = result.record;
  }
  return current;
}

export const transferEvent = (
  event: Extract<CallInput, { type: 'transfer.event' }>['event'],
  bind?: { legId: string; carrierLegId: string },
): CallInput => ({ type: 'transfer.event', transferId: T1, event, ...(bind === undefined ? {} : { bind }) });

/** Where a call can be, each built through the reducer from a new inbound call. */
export const RECORDS = {
  ai: (): CallRecord =>
    newCallRecord({
      callId: CALL_ID,
      carrier: 'twilio',
      agentId: AGENT.id,
      agentVersion: 1,
      direction: 'inbound',
      from: CALLER,
      to: OUR_NUMBER,
      nowMs: NOW,
    }),
  /** A cold transfer dialing its first leg. */
  coldDialing: (): CallRecord =>
    through(
      RECORDS.ai(),
      { type: 'transfer.request', trigger: { type: 'default' } },
      transferEvent({ type: 'handoff.played' }),
    ),
  /** A warm transfer dialing, its leg bound to the carrier's `CHILD9`. */
  warm: (): CallRecord =>
    through(
      RECORDS.ai(),
      { type: 'transfer.request', trigger: { type: 'default' }, mode: 'warm' },
      transferEvent({ type: 'leg.ringing', legId: LEG0 }, { legId: LEG0, carrierLegId: 'CHILD9' }),
    ),
  /** A warm transfer with the caller on hold. */
  warmHeld: (): CallRecord => through(RECORDS.warm(), transferEvent({ type: 'handoff.played' })),
  /**
   * A warm transfer whose only human was busy: the caller belongs with the AI again (once the
   * carrier said the caller, sent to hold, is still on the line).
   */
  warmBusy: (): CallRecord =>
    through(
      RECORDS.warmHeld(),
      transferEvent({ type: 'leg.ended', legId: LEG0, status: 'busy' }),
      transferEvent({ type: 'caller.present' }),
    ),
  ended: (): CallRecord => through(RECORDS.ai(), { type: 'call.ended' }),
} satisfies Record<string, () => CallRecord>;

export type RecordName = keyof typeof RECORDS;

export function webhookRequest(params: WebhookRequest['params'] = {}): WebhookRequest {
  return { method: 'POST', url: 'https://pt.test/fake/voice', headers: {}, rawBody: '', params };
}
