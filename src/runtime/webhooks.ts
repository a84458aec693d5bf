import type {
  CarrierAdapter,
  CarrierEvent,
  Markup,
  WebhookKind,
  WebhookRequest,
} from '../../providers/types.js';
import { WebhookError } from '../../providers/types.js';
import type { Carrier } from '../domain/carrier.js';
import { DaemonError } from '../domain/errors.js';
import type { Log } from '../log.js';
import { normalizeInboundNumber } from '../phone/destination.js';
import type { ModeRegistry } from '../transfer/mode.js';
import { TRANSFER_MODES } from '../transfer/modes.js';
import type { AgentDirectory } from './agent-directory.js';
import type { CallRecord } from './call-record.js';
import type { CallInput } from './call-reducer.js';
import type { CallDispatcher, DispatchOutcome, ReplyBody, ReplySlot } from './engine.js';
import { applyCallEnd, bindPlaced, endStatus } from './placed-calls.js';
import { type LegReplies, type MediaParameters, renderPauseThenAsk, renderReply } from './replies.js';
import { pushIfRestControlled } from './rest-control.js';
import { answerFallback, ownRoute } from './webhook-fallback.js';

/** What the HTTP layer answers a webhook with. */
export type WebhookAnswer =
  | { readonly status: 200; readonly markup?: Markup }
  | { readonly status: 400 | 403 | 404 | 413 | 415 | 503; readonly code: string; readonly field?: string };

/**
 * A body the HTTP layer could not read once the request was verified (too deep, not JSON, an
 * unknown media type): answered with its status and code, `field: 'body'`.
 */
export interface BodyRefusal {
  readonly statusCode: 400 | 413 | 415;
  readonly code: string;
  readonly field: string;
}

/** How the handler reads a webhook's body: only after its signature was checked. */
export interface WebhookBodyReader {
  /** The body's parameters (JSON, multipart, form), or why they cannot be read. */
  readonly readBody: () => Promise<WebhookRequest['params'] | BodyRefusal>;
}

export interface WebhookHandlerOptions {
  readonly engine: CallDispatcher;
  readonly agents: AgentDirectory;
  readonly adapters: ReadonlyMap<Carrier, CarrierAdapter>;
  readonly legReplies: LegReplies;
  readonly media: MediaParameters;
  readonly log: Log;
  /** Counted when a webhook is refused (metrics). */
  readonly onReject?: (carrier: Carrier, reason: string) => void;
  /** New calls refused (503, for the balancer to retry elsewhere) while draining. */
  readonly accepting: () => boolean;
  /** Counted when a new call's record is created (metrics). */
  readonly onCallStarted?: (carrier: Carrier) => void;
  /** Counted when the carrier asks a fallback URL (metrics). */
  readonly onMarkupFallback?: (carrier: Carrier) => void;
  /** The daemon's public URL: a fallback request names the failed URL on it. */
  readonly publicUrl: string;
  /** The carrier reported a human's leg ended (by its carrier id): a hang-up of it in flight stops retrying. */
  readonly onLegEnded?: (carrierCallId: string) => void;
}

/** Upper bound on how long a human's answer webhook waits for the whisper text, ms. */
const LEG_REPLY_SLACK_MS = 1500;

/**
 * Turns verified carrier webhooks into call inputs and answers the ones the carrier waits on
 * with markup. Carrier-neutral: everything carrier-specific is behind the adapter.
 */
export class WebhookHandler {
  readonly #o: WebhookHandlerOptions;
  /** New calls told to wait for the store, by call id: how many times (bounded). */
  readonly #newCallWaits = new Map<string, number>();

  constructor(options: WebhookHandlerOptions) {
    this.#o = options;
  }

  async handle(
    carrier: Carrier,
    kind: WebhookKind,
    req: WebhookRequest,
    query: WebhookRequest['params'],
    body?: WebhookBodyReader,
  ): Promise<WebhookAnswer> {
    const adapter = this.#o.adapters.get(carrier);
    if (adapter === undefined) return { status: 404, code: 'carrier_not_configured' };
    // The signature first, on the bytes as received: nothing else of the body is read before.
    if (!this.verified(adapter, kind, req)) return { status: 403, code: 'signature_invalid' };
    const params = body === undefined ? req.params : await body.readBody();
    if (isBodyRefusal(params)) {
      this.#o.onReject?.(carrier, 'invalid');
      this.#o.log.warn({ carrier, kind, field: params.field, code: params.code }, 'webhook.body_refused');
      return { status: params.statusCode, code: params.code, field: params.field };
    }
    const fallback = adapter.fallbackOf?.({ ...req, params });
    const target =
      fallback === undefined ? undefined : ownRoute(adapter, this.#o.publicUrl, fallback.failedUrl);
    const routeKind = target?.kind ?? kind;
    const event = adapter.parseWebhook(routeKind, params, target?.query ?? query);
    if (event instanceof WebhookError) {
      this.#o.onReject?.(carrier, 'invalid');
      this.#o.log.warn({ carrier, kind, field: event.field }, 'webhook.invalid');
      return { status: 400, code: event.code, field: event.field };
    }
    if (fallback === undefined)
      return pushIfRestControlled(
        adapter,
        event,
        routeKind,
        await this.#route(adapter, event, routeKind),
        this.#o.log,
      );
    this.#o.onMarkupFallback?.(carrier);
    this.#o.log.warn({ carrier, kind: routeKind, errorCode: fallback.errorCode }, 'webhook.fallback');
    return answerFallback(this.#o.engine, event, fallback.errorCode, () =>
      this.#route(adapter, event, routeKind),
    );
  }

  /**
   * Whether the carrier signed `req` (a webhook, or an asset the carrier signs its fetch of);
   * a refusal is counted and logged.
   */
  verified(adapter: CarrierAdapter, kind: string, req: WebhookRequest): boolean {
    if (adapter.verifyWebhook(req)) return true;
    this.#o.onReject?.(adapter.carrier, 'signature');
    this.#o.log.warn({ carrier: adapter.carrier, kind }, 'webhook.signature_refused');
    return false;
  }

  /**
   * The call's record; while Redis does not answer (a restart, a failover), a pause and a new ask
   * instead: the caller must not be dropped for it (the carrier plays its application error and
   * hangs up on a failed ask). Throws where the carrier cannot be told to wait.
   */
  async #readThroughOutage(
    adapter: CarrierAdapter,
    callId: string,
  ): Promise<{ readonly record: CallRecord | undefined } | { readonly wait: Markup }> {
    try {
      return { record: await this.#o.engine.get(callId) };
    } catch (err) {
      const away = err instanceof DaemonError && err.code === 'store_unavailable';
      const wait = away ? renderPauseThenAsk(adapter, callId, STORE_AWAY_PAUSE_S) : undefined;
      if (wait === undefined) throw err;
      this.#o.log.warn({ callId, carrier: adapter.carrier }, 'webhook.store_away_wait');
      return { wait };
    }
  }

  /**
   * The dial was claimed for a REST command that is on its way (the caller's stream ended while
   * it was being sent, soak seed 30719): a second `<Dial>` in this answer would cancel the first
   * and ring the human again. The carrier waits a second and asks again; the REST command,
   * landing, replaces that document. Undefined when the dial should go out in this answer.
   * `claim`: this continuation's `caller.dial_sent`, with the record it was refused on.
   */
  #restDialing(adapter: CarrierAdapter, callId: string, claim: DispatchOutcome): Markup | undefined {
    if (claim.status === 'applied') return undefined;
    // Where the flow's ask, or the redirect's own ask, is the delivery: answer with the dial.
    if (adapter.capabilities.streamCloseMovesCaller || adapter.capabilities.redirectAsksContinuation)
      return undefined;
    if (claim.record?.callerDial?.via !== 'rest') return undefined; // this continuation's own, asked again
    return renderPauseThenAsk(adapter, callId, 1);
  }

  async #route(adapter: CarrierAdapter, event: CarrierEvent, kind: WebhookKind): Promise<WebhookAnswer> {
    const engine = this.#o.engine;
    switch (event.type) {
      case 'call.incoming':
        return this.#incoming(adapter, event);
      case 'stream.continuation': {
        const read = await this.#readThroughOutage(adapter, event.callId);
        if ('wait' in read) return { status: 200, markup: read.wait };
        const record = read.record;
        if (record === undefined) return { status: 200, markup: adapter.markup.hangup() };
        const body = callerNow(record);
        // The dial goes out in this answer: the REST command the transfer would send is not sent.
        if (body.type === 'dial') {
          const claim = await engine.dispatch(
            record.callId,
            { type: 'caller.dial_sent', legId: body.legId, via: 'webhook' },
            undefined,
          );
          const wait = this.#restDialing(adapter, record.callId, claim);
          if (wait !== undefined) return { status: 200, markup: wait };
        }
        return { status: 200, markup: this.#render(adapter, record, body) };
      }
      case 'call.status': {
        const status = endStatus(event.status);
        if (status !== undefined) await applyCallEnd(engine, event, status);
        return { status: 200 };
      }
      case 'leg.dialed': {
        const leg = await this.#resolveLeg(event);
        if (leg !== undefined)
          await engine.dispatch(
            event.callId,
            { type: 'leg.bound', legId: leg.legId, carrierLegId: event.carrierCallId },
            leg.dedupeKey,
          );
        return { status: 200 };
      }
      case 'leg.ringing':
      case 'leg.answered':
      case 'leg.ended':
        return this.#leg(adapter, event, kind);
      case 'leg.verdict': {
        // Asynchronous answering-machine detection's verdict (Plivo machine_detection_url).
        const leg = await this.#resolveLeg(event);
        if (leg !== undefined)
          await engine.dispatch(
            event.callId,
            {
              type: 'transfer.event',
              transferId: leg.transferId,
              event: { type: 'leg.verdict', legId: leg.legId, machine: event.answeredBy === 'machine' },
              bind: { legId: leg.legId, carrierLegId: event.carrierCallId },
            },
            leg.dedupeKey,
          );
        return { status: 200 };
      }
      case 'conference.joined':
      case 'conference.left': {
        const input = participantInput(event);
        if (input !== undefined) await engine.dispatch(event.callId, input, event.dedupeKey);
        return { status: 200 };
      }
      case 'conference.started':
      case 'conference.ended':
      case 'conference.held':
      case 'conference.unheld':
      case 'conference.announced':
      case 'event.ignored':
        return { status: 200 };
    }
  }

  /**
   * A new call while Redis does not answer (a restart, a failover): its record cannot be made, so
   * the carrier is told to pause and ask again, as a continuation would be, up to
   * {@link STORE_AWAY_NEW_CALL_ASKS} times (about 12 s). Then the error goes to the carrier, whose
   * fallback URL takes the call (the operator's own backup), rather than silence without end.
   */
  async #incoming(
    adapter: CarrierAdapter,
    event: Extract<CarrierEvent, { type: 'call.incoming' }>,
  ): Promise<WebhookAnswer> {
    const callId = event.carrierCallId;
    try {
      const answer = await this.#incomingHere(adapter, event);
      this.#newCallWaits.delete(callId);
      return answer;
    } catch (err) {
      const asked = this.#newCallWaits.get(callId) ?? 0;
      const away = err instanceof DaemonError && err.code === 'store_unavailable';
      const wait =
        away && asked < STORE_AWAY_NEW_CALL_ASKS
          ? adapter.markup.pauseThenAsk?.({
              seconds: STORE_AWAY_PAUSE_S,
              continuationUrl: entryUrl(adapter),
            })
          : undefined;
      if (wait === undefined) {
        this.#newCallWaits.delete(callId);
        throw err;
      }
      if (this.#newCallWaits.size >= MAX_NEW_CALL_WAITS) this.#newCallWaits.clear();
      this.#newCallWaits.set(callId, asked + 1);
      this.#o.log.warn({ callId, carrier: adapter.carrier, asked: asked + 1 }, 'webhook.store_away_wait');
      return { status: 200, markup: wait };
    }
  }

  async #incomingHere(
    adapter: CarrierAdapter,
    event: Extract<CarrierEvent, { type: 'call.incoming' }>,
  ): Promise<WebhookAnswer> {
    const first = await this.#createFirst(adapter, event);
    if (first !== undefined && first !== NO_AGENT) return first;
    const existing = await this.#o.engine.get(event.carrierCallId);
    if (existing !== undefined) {
      if (adapter.capabilities.entryFollowsDial === true) {
        const ended = await this.#dialEndedUnreported(existing);
        if (ended !== undefined)
          return { status: 200, markup: this.#render(adapter, ended.record, ended.answer) };
      }
      return { status: 200, markup: this.#render(adapter, existing, callerNow(existing)) };
    }
    // A call the daemon placed, answered under a new id (Plivo): it goes on under that id.
    const placed =
      event.placementId === undefined
        ? undefined
        : await bindPlaced(this.#o.engine, event.carrierCallId, event.placementId);
    if (placed === 'gone') return { status: 200, markup: adapter.markup.hangup() };
    if (placed !== undefined) {
      if (placed.created) this.#o.onCallStarted?.(adapter.carrier);
      this.#o.log.info({ callId: event.carrierCallId, carrier: adapter.carrier }, 'outbound.bound');
      return { status: 200, markup: this.#render(adapter, placed.record, callerNow(placed.record)) };
    }
    // A draining worker takes no new call, but must not hang it up either: until the balancer's
    // health check takes this worker out (a few seconds), new calls still reach it. A 503 is what
    // the balancer retries on another worker (deploy/haproxy.cfg `retry-on … 503`), and what the
    // carrier's fallback URL takes over from.
    if (!this.#o.accepting()) return { status: 503, code: 'draining' };
    const { to } = numbersOf(adapter, event);
    // Looked up already when the create came first and found no agent for the number.
    const published = first === NO_AGENT ? undefined : await this.#o.agents.byNumber(to);
    if (published === undefined) {
      this.#o.log.warn({ carrier: adapter.carrier, pii: { to } }, 'call.no_agent_for_number');
      return { status: 200, markup: adapter.markup.hangup() };
    }
    return this.#create(adapter, event, published);
  }

  /**
   * A new call's record made without reading first (one round trip, not two: the create itself
   * says whether the call exists, and then reads it), where nothing else must come first: not a
   * call the daemon placed (Plivo binds it), not a carrier whose entry request also follows a
   * dial (Exotel: `#dialEndedUnreported`), not while draining, and only for a number with an
   * agent. Undefined or {@link NO_AGENT} (the number has none: not looked up again): the call is
   * answered the long way (read first). A call the store already knows to exist (its known copy:
   * a carrier's retry of the first webhook, on the worker that took it) is read first too: one
   * read, where the create would cost the agent's look-up, a refused create and then the read.
   */
  async #createFirst(
    adapter: CarrierAdapter,
    event: Extract<CarrierEvent, { type: 'call.incoming' }>,
  ): Promise<WebhookAnswer | typeof NO_AGENT | undefined> {
    if (event.placementId !== undefined || adapter.capabilities.entryFollowsDial === true) return undefined;
    if (!this.#o.accepting()) return undefined;
    if (this.#o.engine.store.calls.known?.(event.carrierCallId) !== undefined) return undefined;
    const published = await this.#o.agents.byNumber(numbersOf(adapter, event).to);
    return published === undefined ? NO_AGENT : this.#create(adapter, event, published);
  }

  async #create(
    adapter: CarrierAdapter,
    event: Extract<CarrierEvent, { type: 'call.incoming' }>,
    published: { readonly agent: { readonly id: string }; readonly version: number },
  ): Promise<WebhookAnswer> {
    const { to, from } = numbersOf(adapter, event);
    const { created, record } = await this.#o.engine.createCall({
      callId: event.carrierCallId,
      carrier: adapter.carrier,
      agentId: published.agent.id,
      agentVersion: published.version,
      direction: event.direction,
      from,
      to,
    });
    // The call existed (a retried webhook): where its caller belongs now, as a read would say.
    if (!created) return { status: 200, markup: this.#render(adapter, record, callerNow(record)) };
    this.#o.onCallStarted?.(adapter.carrier);
    this.#o.log.info(
      { callId: record.callId, carrier: adapter.carrier, agentId: record.agentId },
      'call.incoming',
    );
    return { status: 200, markup: this.#render(adapter, record, { type: 'agent' }) };
  }

  /**
   * A carrier whose call flow comes back to its entry request only once a dial of the caller's
   * call has ended (Exotel: Connect → Passthru → Voicebot) says so by asking: when the dial's own
   * reports were lost (a status callback that failed, a Passthru that never reached a worker),
   * this request is the only news of its end. A dial the carrier had started (it rang, or
   * reported its dial id) is then over, and nobody was bridged — the caller is here asking — so
   * the leg ends `failed` (how is unknown) and the transfer goes on as after any failed leg,
   * instead of answering "dial" again and ringing the same human a second time.
   */
  async #dialEndedUnreported(
    record: CallRecord,
  ): Promise<{ readonly record: CallRecord; readonly answer: ReplyBody } | undefined> {
    const transfer = record.transfer;
    if (record.phase !== 'transferring' || transfer === null) return undefined;
    const leg = transfer.legs.find(
      (l) =>
        l.status === 'ringing' ||
        l.status === 'whispering' ||
        (l.status === 'dialing' && record.legCarrierIds[l.legId] !== undefined),
    );
    if (leg === undefined) return undefined;
    this.#o.log.warn(
      { callId: record.callId, transferId: transfer.transferId, legId: leg.legId },
      'transfer.leg_end_unreported',
    );
    const slot = new OneReply();
    const outcome = await this.#o.engine.dispatch(
      record.callId,
      {
        type: 'transfer.event',
        transferId: transfer.transferId,
        event: { type: 'leg.ended', legId: leg.legId, status: 'failed' },
      },
      `${record.carrier}:entry-after-dial:${record.callId}:${leg.legId}`,
      { reply: slot },
    );
    const now = outcome.record ?? (await this.#o.engine.get(record.callId));
    if (now === undefined) return undefined;
    return { record: now, answer: slot.body('caller') ?? callerNow(now) };
  }

  async #leg(
    adapter: CarrierAdapter,
    event: Extract<CarrierEvent, { type: 'leg.ringing' | 'leg.answered' | 'leg.ended' }>,
    kind: WebhookKind,
  ): Promise<WebhookAnswer> {
    const engine = this.#o.engine;
    const { callId } = event;
    if (event.type === 'leg.ended' && event.carrierCallId !== undefined)
      this.#o.onLegEnded?.(event.carrierCallId);
    // Only a webhook the carrier waits on for markup may take markup effects into its reply.
    const answersWithMarkup = kind === 'voice' || kind === 'dial-action';
    const leg = await this.#resolveLeg(event);
    if (leg === undefined) {
      // No transfer leg to apply it to: a carrier waiting for markup still learns where the caller belongs.
      if (!answersWithMarkup) return { status: 200 };
      const record = await engine.get(callId);
      return {
        status: 200,
        markup:
          record === undefined ? adapter.markup.hangup() : this.#render(adapter, record, callerNow(record)),
      };
    }
    const { transferId, legId, dedupeKey } = leg;
    const verdictDueMs =
      event.type === 'leg.answered' && event.answeredBy === undefined
        ? await this.#verdictDue(adapter, callId, transferId)
        : undefined;
    // The leg's carrier id is bound in the same transition as the event (one commit, not two).
    const bind =
      event.carrierCallId === undefined ? {} : { bind: { legId, carrierLegId: event.carrierCallId } };
    const input: CallInput =
      event.type === 'leg.ended'
        ? {
            type: 'transfer.event',
            transferId,
            event: {
              type: 'leg.ended',
              legId,
              status: event.status,
              ...(event.carrierCode === undefined ? {} : { carrierCode: event.carrierCode }),
            },
            ...bind,
          }
        : {
            type: 'transfer.event',
            transferId,
            event:
              event.type === 'leg.answered' && event.answeredBy === 'machine'
                ? { type: 'leg.answered', legId, machine: true }
                : event.type === 'leg.answered' && verdictDueMs !== undefined
                  ? { type: 'leg.answered', legId, verdictDueMs }
                  : { type: event.type, legId },
            ...bind,
          };
    // A human's answer URL waits for the whisper; register before dispatching so a whisper
    // decided by a later event (the agent's summary, detection's verdict) still answers this very request.
    const expected =
      event.type === 'leg.answered' && kind === 'voice'
        ? await this.#expectWhisper(callId, transferId, legId, verdictDueMs ?? 0)
        : undefined;
    // A human leg's answer URL (`voice`) answers for the leg; a dial-action for the caller's call.
    const slot = new OneReply(kind === 'voice' ? ['leg'] : ['caller', 'leg']);
    const reply = answersWithMarkup ? { reply: slot } : {};
    const callerStatus = event.type === 'leg.ended' ? event.callerStatus : undefined;
    // A dial-action says where the caller's own call stands; a caller gone is applied as the
    // caller's own status (which may still be on its way), so nothing is sent to the finished call.
    // Before the leg's end when the human was never bridged (the leg's cancel is part of the
    // hang-up); after it when they were (the transfer did connect, its answer callback was lost).
    const endCaller =
      callerStatus !== undefined && CALLER_GONE.has(callerStatus)
        ? () => engine.dispatch(callId, { type: 'call.ended' }, `${dedupeKey}:caller-${callerStatus}`)
        : undefined;
    const bridged = event.type === 'leg.ended' && event.status === 'completed';
    if (endCaller !== undefined && !bridged) await endCaller();
    let outcome = await engine.dispatch(callId, input, dedupeKey, reply);
    if (endCaller !== undefined && bridged) outcome = await endCaller();
    if (callerStatus === 'in_progress') {
      // The caller is still there: a leg's unasked cancel was not their hang-up (cold `confirming`).
      const present = await engine.dispatch(
        callId,
        { type: 'transfer.event', transferId, event: { type: 'caller.present' } },
        undefined,
        reply,
      );
      if (present.record !== undefined) outcome = present;
    }
    const record = outcome.record ?? (await engine.get(callId));
    if (record === undefined) {
      expected?.cancel();
      return { status: 200, markup: adapter.markup.hangup() };
    }
    if (expected !== undefined) {
      const immediate = slot.body('leg');
      if (immediate !== undefined) expected.cancel();
      const live = record.transfer?.legs.find((l) => l.legId === legId);
      const gone = live === undefined || live.status === 'canceling' || live.status === 'ended';
      if (gone && immediate === undefined) expected.cancel();
      const answer = immediate ?? (gone ? { type: 'hangup' as const } : await expected.reply);
      return { status: 200, markup: this.#render(adapter, record, answer) };
    }
    if (event.type === 'leg.ended' && kind === 'dial-action') {
      // A dial-action: the caller's call waits for its next document.
      return { status: 200, markup: this.#render(adapter, record, slot.body('caller') ?? callerNow(record)) };
    }
    return { status: 200 };
  }

  /**
   * The leg an event is about. Most carriers name it in the callback URL; one whose fixed call
   * flow dialed it (Exotel's Connect applet) cannot, and reports the call's current dial: the leg
   * already bound to that carrier call id, else the transfer's current leg. The dedupe key is
   * then qualified with the leg, so one carrier fact applies once per leg.
   */
  async #resolveLeg(
    event: Extract<
      CarrierEvent,
      { type: 'leg.dialed' | 'leg.ringing' | 'leg.answered' | 'leg.verdict' | 'leg.ended' }
    >,
  ): Promise<{ transferId: string; legId: string; dedupeKey: string } | undefined> {
    if (event.transferId !== undefined && event.legId !== undefined) {
      return { transferId: event.transferId, legId: event.legId, dedupeKey: event.dedupeKey };
    }
    const record = await this.#o.engine.get(event.callId);
    const transfer = record?.transfer;
    if (record === undefined || transfer === null || transfer === undefined) return undefined;
    const carrierId = event.carrierCallId;
    const bound =
      carrierId === undefined
        ? undefined
        : Object.entries(record.legCarrierIds).find(([, id]) => id === carrierId)?.[0];
    const legId = bound ?? transfer.legs[transfer.index]?.legId;
    if (legId === undefined) return undefined;
    // Leg ids are `${transferId}:${index}` (src/transfer/machine-state.ts).
    const transferId = legId.slice(0, legId.lastIndexOf(':'));
    return { transferId, legId, dedupeKey: `${event.dedupeKey}:${legId}` };
  }

  /**
   * With the carrier's asynchronous answering-machine detection on (the plan asked for it), how
   * long an answered leg may wait for the verdict: the carrier's bound plus the callback's way.
   */
  async #verdictDue(
    adapter: CarrierAdapter,
    callId: string,
    transferId: string,
  ): Promise<number | undefined> {
    const async = adapter.capabilities.asyncMachineDetection;
    if (async === undefined || adapter.capabilities.machineDetection !== true) return undefined;
    const transfer = await this.#startedWith(callId, transferId);
    if (transfer?.plan.machineDetection !== true) return undefined;
    return async.verdictWithinMs + LEG_REPLY_SLACK_MS;
  }

  /**
   * What transfer `transferId` was started with (its mode and plan: never changed after its
   * start, machine-start.ts): from the store's known copy of the call when that copy holds this
   * transfer — no read —, else from a read. Only those fixed parts are taken from a known copy,
   * which may be behind the stored state.
   */
  async #startedWith(callId: string, transferId: string): Promise<StartedWith | undefined> {
    const known = this.#o.engine.store.calls.known?.(callId)?.record.transfer;
    if (known?.transferId === transferId) return known;
    return (await this.#o.engine.get(callId))?.transfer ?? undefined;
  }

  async #expectWhisper(
    callId: string,
    transferId: string,
    legId: string,
    verdictDueMs: number,
  ): Promise<{ reply: Promise<ReplyBody>; cancel: () => void }> {
    const transfer = await this.#startedWith(callId, transferId);
    const whisper = transfer?.plan.whisper;
    const fallback =
      whisper === undefined
        ? ''
        : whisper.kind === 'summary'
          ? whisper.fallbackText
          : whisper.kind === 'static'
            ? whisper.text
            : '';
    const waitMs =
      verdictDueMs +
      (whisper === undefined || whisper.kind === 'none'
        ? 0
        : (whisper.kind === 'summary' ? whisper.timeoutMs : 0) + LEG_REPLY_SLACK_MS);
    // A mode that briefs (agentic) streams the human's leg to the agent rather than speak to it.
    const briefs =
      transfer != null &&
      (TRANSFER_MODES.find(transfer.mode)?.briefs === true || transfer.plan.whisperVoice === 'agent');
    const body: ReplyBody = briefs ? { type: 'brief', legId } : { type: 'whisper', legId, text: fallback };
    return this.#o.legReplies.expect(legId, waitMs, body);
  }

  #render(adapter: CarrierAdapter, record: CallRecord, body: ReplyBody): Markup {
    return renderReply(adapter, record.callId, record.transfer?.transferId, body, this.#o.media);
  }
}

/** Numbers as the carrier writes them, read in its home region (Exotel: `08069891522`, India). */
function numbersOf(
  adapter: CarrierAdapter,
  event: Extract<CarrierEvent, { type: 'call.incoming' }>,
): { readonly to: string; readonly from: string } {
  return {
    to: normalizeInboundNumber(event.to, adapter.numberRegion) ?? event.to,
    from: normalizeInboundNumber(event.from, adapter.numberRegion) ?? event.from,
  };
}

/** `#createFirst` found no agent for the called number. */
const NO_AGENT = 'no_agent';

/** The parts of a transfer fixed at its start. */
type StartedWith = Pick<NonNullable<CallRecord['transfer']>, 'mode' | 'plan'>;

function isBodyRefusal(value: WebhookRequest['params'] | BodyRefusal): value is BodyRefusal {
  return typeof value['statusCode'] === 'number' && typeof value['code'] === 'string';
}

/** The caller's call statuses that mean it is over. */
const CALLER_GONE: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no_answer', 'canceled']);

/**
 * A participant's arrival or departure as the transfer's event: the caller's arrival is
 * `caller.held` and departure `caller.left` (the daemon's own moves of the caller come after the
 * transfer ended, where the machine ignores it); a human's (labelled with its leg) is
 * `human.joined`, and a human leaving the room ends that leg (before `connected` that is a failed
 * attempt; after, the machine ignores it).
 */
function participantInput(
  event: Extract<CarrierEvent, { type: 'conference.joined' | 'conference.left' }>,
): CallInput | undefined {
  const { transferId, label } = event;
  if (label === undefined) return undefined;
  if (label === 'caller') {
    const type = event.type === 'conference.left' ? 'caller.left' : 'caller.held';
    return { type: 'transfer.event', transferId, event: { type } };
  }
  if (event.type === 'conference.joined')
    return { type: 'transfer.event', transferId, event: { type: 'human.joined', legId: label } };
  return {
    type: 'transfer.event',
    transferId,
    event: { type: 'leg.ended', legId: label, status: 'completed' },
  };
}

/** Collects at most one reply per kind. */
class OneReply implements ReplySlot {
  readonly #bodies = new Map<'caller' | 'leg', ReplyBody>();
  readonly #takes: ReadonlySet<'caller' | 'leg'>;

  /**
   * `takes`: the bodies this webhook's reply can carry. A human leg's answer URL answers for that
   * leg only: the caller's markup then goes by REST (the executor's fallback when refused).
   */
  constructor(takes: readonly ('caller' | 'leg')[] = ['caller', 'leg']) {
    this.#takes = new Set(takes);
  }

  offer(kind: 'caller' | 'leg', body: ReplyBody): boolean {
    if (!this.#takes.has(kind) || this.#bodies.has(kind)) return false;
    this.#bodies.set(kind, body);
    return true;
  }

  body(kind: 'caller' | 'leg'): ReplyBody | undefined {
    return this.#bodies.get(kind);
  }
}

/**
 * Where the caller's call should be now, from the saved state alone: the answer to a
 * continuation (a dropped stream, a restarted worker, a finished dial). Invariant 1: the answer
 * is never silence — the AI, the transfer in progress, or a hang-up once the call is over.
 */
/** How long a carrier waits before asking again while Redis does not answer, s. */
const STORE_AWAY_PAUSE_S = 2;
/** The carrier's voice URL without the daemon's ids: a call asking there is a new call. */
function entryUrl(adapter: CarrierAdapter): string {
  const url = new URL(adapter.callbackUrl('voice', { callId: '-' }));
  url.search = '';
  return url.toString();
}

/** How many times a new call is told to wait for the store before its carrier's fallback takes it. */
const STORE_AWAY_NEW_CALL_ASKS = 6;
/** New calls waiting for the store remembered at once (a bound, not a target). */
const MAX_NEW_CALL_WAITS = 10_000;

export function callerNow(record: CallRecord, modes: ModeRegistry = TRANSFER_MODES): ReplyBody {
  if (record.phase === 'ended' || record.phase === 'human') return { type: 'hangup' };
  const transfer = record.transfer;
  if (record.phase !== 'transferring' || transfer === null) return { type: 'agent' };
  return modes.get(transfer.mode).callerPlace(transfer);
}
