import { z } from 'zod';
import type { LegEndStatus } from '../../src/domain/outcome.js';
import { callIncoming, callStatus, continuation } from '../shared/call-events.js';
import { legAnswered, legEnded, legKey, legRinging } from '../shared/leg-events.js';
import { DIGITS, missing, OWN_IDS_QUERY, validate } from '../shared/webhook-params.js';
import {
  type CallStatus,
  type CarrierEvent,
  WebhookError,
  type WebhookKind,
  type WebhookParams,
} from '../types.js';

/**
 * Exotel's requests validated with zod and normalized into {@link CarrierEvent}s. Applets
 * (Voicebot dynamic URL, Passthru, Connect "dial whom") GET with the call's details in the query
 * (protocols.md §4.6, §4.7); status callbacks POST them as multipart or JSON (§4.5), which the HTTP
 * layer hands over as params. Extra parameters are allowed (Exotel sends many and adds more).
 *
 * The Connect applet dials from the fixed call flow, so its reports cannot name the daemon's leg:
 * they come without `transferId`/`legId`, and the runtime applies them to the call's current dial
 * (providers/types.ts `LegBase`). Dedupe keys come from Exotel's ids: the caller's `CallSid`, and
 * the dialed leg's `DialCallSid` with the phase — the same whether the news came from a Connect
 * event or the Passthru after the dial, so one fact applies once.
 */

const SID = z.string().regex(/^[A-Za-z0-9]{16,64}$/, 'expected an Exotel sid');

/** Call and dial statuses (§4.4, §4.7). */
const EXOTEL_STATUS = z.enum([
  'queued',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
  'answered',
]);
type ExotelStatus = z.infer<typeof EXOTEL_STATUS>;

const CALL_STATUS: Readonly<Record<ExotelStatus, CallStatus>> = {
  queued: 'initiated',
  ringing: 'ringing',
  'in-progress': 'in_progress',
  answered: 'in_progress',
  completed: 'completed',
  busy: 'busy',
  failed: 'failed',
  'no-answer': 'no_answer',
  canceled: 'canceled',
};

/** How a dial ended. `answered` and `completed` both mean the human was bridged and the dial is over. */
const DIAL_END: Readonly<Record<ExotelStatus, LegEndStatus>> = {
  queued: 'failed',
  ringing: 'no_answer',
  'in-progress': 'completed',
  answered: 'completed',
  completed: 'completed',
  busy: 'busy',
  failed: 'failed',
  'no-answer': 'no_answer',
  canceled: 'canceled',
};

const ENDED: ReadonlySet<ExotelStatus> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/**
 * The flow asking "what next?": the Voicebot applet's dynamic URL (§4.1), the Passthru after it,
 * the Connect applet's "dial whom" (§4.7). A known `CallSid` finds the existing call, whose state
 * gives the answer; the dial details Exotel may repeat here are not read.
 */
const VOICEBOT = z.looseObject({
  CallSid: SID,
  CallFrom: z.string().optional(),
  CallTo: z.string().optional(),
  From: z.string().optional(),
  To: z.string().optional(),
  Direction: z.string().optional(),
});

/** A Passthru or the Connect applet's "dial whom" request (§4.6, §4.7). */
const APPLET = z.looseObject({
  CallSid: SID,
  DialCallStatus: z.union([EXOTEL_STATUS, z.literal('')]).optional(),
  DialCallSid: SID.optional(),
  CurrentTime: z.string().optional(),
});

/** The Connect applet's status events: `Dial`, `Ringing`, `Answered`, `Terminal` (§4.7). */
const CONNECT_EVENT = z.looseObject({
  CallSid: SID,
  EventType: z.enum(['Dial', 'Ringing', 'Answered', 'Terminal']),
  DialCallSid: SID.optional(),
  /** The dial's status on `Terminal`. */
  Status: EXOTEL_STATUS.optional(),
  DialCallStatus: EXOTEL_STATUS.optional(),
  /** The caller's own call: `completed` on `Terminal` means the caller hung up. */
  CallStatus: EXOTEL_STATUS.optional(),
});

/** A Calls/connect StatusCallback (§4.5). */
const STATUS_CALLBACK = z.looseObject({
  CallSid: SID,
  Status: EXOTEL_STATUS,
  EventType: z.enum(['terminal', 'answered', 'ringing']).optional(),
  ConversationDuration: DIGITS.optional(),
});

const QUERY = z.looseObject(OWN_IDS_QUERY);
type Query = z.infer<typeof QUERY>;

/** Normalizes one Exotel request; see {@link CarrierEvent} for what each kind can yield. */
export function parseExotelWebhook(
  kind: WebhookKind,
  params: WebhookParams,
  query: WebhookParams,
): CarrierEvent | WebhookError {
  const q = validate(QUERY, query, 'query.', 'params');
  if (q instanceof WebhookError) return q;
  // GET applets carry everything in the query, POST callbacks in the body.
  const fields = { ...query, ...params };
  switch (kind) {
    case 'voice':
      return parseVoicebot(fields, q);
    case 'dial-action':
      return parseApplet(fields, q);
    case 'status':
      return parseStatus(fields, q);
    case 'conference':
      return new WebhookError('kind', 'exotel has no conference events');
  }
}

function parseVoicebot(fields: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(VOICEBOT, fields, '', 'params');
  if (p instanceof WebhookError) return p;
  if (q.callId !== undefined) {
    return continuation('exotel', p.CallSid, q.seq ?? '0', q.callId, q.transferId);
  }
  const from = p.CallFrom ?? p.From;
  const to = p.CallTo ?? p.To;
  if (from === undefined) return missing('CallFrom');
  if (to === undefined) return missing('CallTo');
  // Each return to the Voicebot asks again; a known CallSid finds the existing call.
  const inbound = p.Direction === undefined || p.Direction === 'incoming' || p.Direction === 'inbound';
  return callIncoming('exotel', p.CallSid, from, to, inbound ? 'inbound' : 'outbound');
}

/**
 * The Passthru after a dial nobody answered: with a `DialCallStatus` it reports the dial's end;
 * without one it only asks what next.
 */
function parseApplet(fields: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(APPLET, fields, '', 'params');
  if (p instanceof WebhookError) return p;
  const callId = q.callId ?? p.CallSid;
  if (p.DialCallStatus === undefined) {
    return continuation('exotel', p.CallSid, q.seq ?? p.CurrentTime ?? '0', callId, q.transferId);
  }
  // An empty status: the Connect applet had no number to dial (§4.7).
  const status: LegEndStatus = p.DialCallStatus === '' ? 'failed' : DIAL_END[p.DialCallStatus];
  return {
    type: 'leg.ended',
    dedupeKey: `exotel:dial:${p.CallSid}:${p.DialCallSid ?? q.legId ?? '-'}:ended`,
    callId,
    ...legIds(q),
    ...(p.DialCallSid === undefined ? {} : { carrierCallId: p.DialCallSid }),
    status,
  };
}

function parseStatus(fields: WebhookParams, q: Query): CarrierEvent | WebhookError {
  if (typeof fields['EventType'] === 'string' && /^[A-Z]/.test(fields['EventType'])) {
    return parseConnectEvent(fields, q);
  }
  const p = validate(STATUS_CALLBACK, fields, '', 'params');
  if (p instanceof WebhookError) return p;
  const phase = p.EventType ?? 'terminal';
  if (q.legId === undefined) {
    // The call the daemon placed or the caller's own call (a flow's status callback).
    const status =
      phase === 'terminal' ? CALL_STATUS[p.Status] : phase === 'answered' ? 'in_progress' : 'ringing';
    return callStatus('exotel', p.CallSid, status, q.callId, p.ConversationDuration);
  }
  // A leg the daemon placed with Calls/connect: its StatusCallback URL names it.
  const callId = q.callId ?? p.CallSid;
  const ids = { callId, ...legIds(q) };
  if (phase === 'ringing') return legRinging('exotel', p.CallSid, ids);
  if (phase === 'answered') return legAnswered('exotel', p.CallSid, ids);
  return legEnded(legKey('exotel', p.CallSid, 'ended'), ids, p.CallSid, DIAL_END[p.Status]);
}

/** The Connect applet's own events: the dial's progress, for the call's current dial. */
function parseConnectEvent(fields: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(CONNECT_EVENT, fields, '', 'params');
  if (p instanceof WebhookError) return p;
  const callId = q.callId ?? p.CallSid;
  if (p.EventType === 'Terminal' && p.CallStatus !== undefined && ENDED.has(p.CallStatus)) {
    // The caller's call is over (they hung up while the human rang): that is the news.
    const status = CALL_STATUS[p.CallStatus];
    return callStatus('exotel', p.CallSid, status, callId);
  }
  const dial = p.DialCallSid;
  if (p.EventType === 'Dial' && dial === undefined) {
    return { type: 'event.ignored', dedupeKey: `exotel:dial:${p.CallSid}:-:dial`, detail: 'dial.started' };
  }
  if (dial === undefined) return missing('DialCallSid');
  const base = { callId, ...legIds(q), carrierCallId: dial };
  const key = `exotel:dial:${p.CallSid}:${dial}`;
  // The dial's id, bound to the leg: proof the Connect applet dialed it (src/runtime/webhooks.ts).
  if (p.EventType === 'Dial') return { type: 'leg.dialed', dedupeKey: `${key}:dial`, ...base };
  if (p.EventType === 'Ringing') return { type: 'leg.ringing', dedupeKey: `${key}:ringing`, ...base };
  if (p.EventType === 'Answered') return { type: 'leg.answered', dedupeKey: `${key}:answered`, ...base };
  const status = p.DialCallStatus ?? p.Status;
  if (status === undefined) return missing('Status');
  return { type: 'leg.ended', dedupeKey: `${key}:ended`, ...base, status: DIAL_END[status] };
}

/** The leg the URL names, when the daemon built the URL; absent for the fixed flow's applets. */
function legIds(q: Query): { transferId?: string; legId?: string } {
  return q.transferId !== undefined && q.legId !== undefined
    ? { transferId: q.transferId, legId: q.legId }
    : {};
}
