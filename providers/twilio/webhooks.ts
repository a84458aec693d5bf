import { z } from 'zod';
import type { LegEndStatus } from '../../src/domain/outcome.js';
import { callIncoming, callStatus, continuation } from '../shared/call-events.js';
import { legAnswered, legEnded, legInitiated, legKey, legRinging } from '../shared/leg-events.js';
import { DIGITS, missing, OWN_IDS_QUERY, requireLegIds, validate } from '../shared/webhook-params.js';
import {
  type AnsweredBy,
  type CallStatus,
  type CarrierEvent,
  WebhookError,
  type WebhookKind,
  type WebhookParams,
} from '../types.js';

/**
 * Twilio webhooks (protocols.md §2.1, §2.5, §2.6) validated with zod and normalized into
 * {@link CarrierEvent}s. Extra parameters are allowed (Twilio adds geo fields and more over
 * time); the ones the daemon relies on are checked strictly.
 *
 * Dedupe keys come from Twilio's ids: a leg reaches each phase (ringing, answered, ended) once,
 * so its key is its CallSid plus the phase — the same whether the news came from a call-progress
 * callback, a `<Dial action>` or an answer URL, so two sources of one fact apply once.
 */

const CALL_SID = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'expected CA followed by 32 hex digits');
const ACCOUNT_SID = z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected AC followed by 32 hex digits');
const CONFERENCE_SID = z.string().regex(/^CF[0-9a-fA-F]{32}$/, 'expected CF followed by 32 hex digits');

const TWILIO_CALL_STATUS = z.enum([
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);
type TwilioCallStatus = z.infer<typeof TWILIO_CALL_STATUS>;

const CALL_STATUS: Readonly<Record<TwilioCallStatus, CallStatus>> = {
  // UNCONFIRMED (protocols.md §2.6): the `initiated` callback may say `queued`; both mean initiated.
  queued: 'initiated',
  initiated: 'initiated',
  ringing: 'ringing',
  'in-progress': 'in_progress',
  completed: 'completed',
  busy: 'busy',
  failed: 'failed',
  'no-answer': 'no_answer',
  canceled: 'canceled',
};

/** `DialCallStatus` (§2.5). `answered` and `completed` both mean the human was bridged and the dial is over. */
const DIAL_CALL_STATUS = z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']);
const DIAL_END: Readonly<Record<z.infer<typeof DIAL_CALL_STATUS>, LegEndStatus>> = {
  completed: 'completed',
  answered: 'completed',
  busy: 'busy',
  'no-answer': 'no_answer',
  failed: 'failed',
  canceled: 'canceled',
};

const VOICE = z.object({
  CallSid: CALL_SID,
  AccountSid: ACCOUNT_SID,
  From: z.string(),
  To: z.string(),
  Direction: z.enum(['inbound', 'outbound-api', 'outbound-dial']),
  AnsweredBy: z.string().optional(),
});

const STATUS = z.object({
  CallSid: CALL_SID,
  AccountSid: ACCOUNT_SID,
  CallStatus: TWILIO_CALL_STATUS,
  SequenceNumber: DIGITS.optional(),
  CallDuration: DIGITS.optional(),
  SipResponseCode: DIGITS.optional(),
  AnsweredBy: z.string().optional(),
});

const DIAL_ACTION = z.object({
  CallSid: CALL_SID,
  AccountSid: ACCOUNT_SID,
  CallStatus: TWILIO_CALL_STATUS,
  DialCallStatus: DIAL_CALL_STATUS,
  DialCallSid: CALL_SID.optional(),
  DialSipResponseCode: DIGITS.optional(),
});

const CONFERENCE = z.object({
  AccountSid: ACCOUNT_SID,
  ConferenceSid: CONFERENCE_SID,
  FriendlyName: z.string().min(1),
  SequenceNumber: DIGITS,
  // Unknown future events are ignored rather than refused (Twilio adds events over time).
  StatusCallbackEvent: z.string().min(1),
  CallSid: CALL_SID.optional(),
  ParticipantLabel: z.string().optional(),
  ReasonConferenceEnded: z.string().optional(),
  ReasonParticipantLeft: z.string().optional(),
});

const QUERY = z.object(OWN_IDS_QUERY);
type Query = z.infer<typeof QUERY>;

/** Normalizes one Twilio webhook; see {@link CarrierEvent} for what each kind can yield. */
export function parseTwilioWebhook(
  kind: WebhookKind,
  params: WebhookParams,
  query: WebhookParams,
): CarrierEvent | WebhookError {
  const q = validate(QUERY, query, 'query.');
  if (q instanceof WebhookError) return q;
  switch (kind) {
    case 'voice':
      return parseVoice(params, q);
    case 'status':
      return parseStatus(params, q);
    case 'dial-action':
      return parseDialAction(params, q);
    case 'conference':
      return parseConference(params, q);
  }
}

function parseVoice(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(VOICE, params, '');
  if (p instanceof WebhookError) return p;
  if (q.legId !== undefined) {
    // A leg placed with an answer URL fetches it when the human picks up.
    const ids = requireLegIds(q);
    if (ids instanceof WebhookError) return ids;
    return legAnswered('twilio', p.CallSid, ids, answeredBy(p.AnsweredBy));
  }
  if (q.callId !== undefined) {
    // A `<Redirect>` after a stream, dial or conference: the document ran out (invariant 1).
    return continuation('twilio', p.CallSid, q.seq ?? '0', q.callId, q.transferId);
  }
  return callIncoming('twilio', p.CallSid, p.From, p.To, p.Direction === 'inbound' ? 'inbound' : 'outbound');
}

function parseStatus(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(STATUS, params, '');
  if (p instanceof WebhookError) return p;
  const status = CALL_STATUS[p.CallStatus];
  if (q.legId === undefined && q.transferId === undefined) {
    // A call reaches each status once, so the status itself dedupes callbacks from any source.
    return {
      ...callStatus('twilio', p.CallSid, status, q.callId, p.CallDuration),
      ...(p.SipResponseCode === undefined ? {} : { sipCode: Number(p.SipResponseCode) }),
    };
  }
  const ids = requireLegIds(q);
  if (ids instanceof WebhookError) return ids;
  switch (status) {
    case 'initiated':
      return legInitiated('twilio', p.CallSid);
    case 'ringing':
      return legRinging('twilio', p.CallSid, ids);
    case 'in_progress':
      return legAnswered('twilio', p.CallSid, ids, answeredBy(p.AnsweredBy));
    default:
      return legEnded(legKey('twilio', p.CallSid, 'ended'), ids, p.CallSid, status, p.SipResponseCode);
  }
}

function parseDialAction(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(DIAL_ACTION, params, '');
  if (p instanceof WebhookError) return p;
  const ids = requireLegIds(q);
  if (ids instanceof WebhookError) return ids;
  return {
    ...legEnded(
      // Same key as the leg's own `completed`/`busy`/… callback: one end per leg.
      p.DialCallSid === undefined
        ? `twilio:dial:${p.CallSid}:${ids.legId}:ended`
        : legKey('twilio', p.DialCallSid, 'ended'),
      ids,
      p.DialCallSid,
      DIAL_END[p.DialCallStatus],
      p.DialSipResponseCode,
    ),
    callerStatus: CALL_STATUS[p.CallStatus],
  };
}

function parseConference(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(CONFERENCE, params, '');
  if (p instanceof WebhookError) return p;
  if (q.callId === undefined) return missing('query.callId');
  if (q.transferId === undefined) return missing('query.transferId');
  const dedupeKey = `twilio:conference:${p.ConferenceSid}:${p.SequenceNumber}`;
  const base = {
    dedupeKey,
    callId: q.callId,
    transferId: q.transferId,
    room: p.FriendlyName,
    carrierConferenceId: p.ConferenceSid,
  };
  const event = p.StatusCallbackEvent;
  switch (event) {
    case 'conference-start':
      return { type: 'conference.started', ...base };
    case 'conference-end':
      return {
        type: 'conference.ended',
        ...base,
        ...(p.ReasonConferenceEnded === undefined ? {} : { reason: p.ReasonConferenceEnded }),
      };
    case 'announcement-end':
    case 'announcement-fail':
      return {
        type: 'conference.announced',
        ...base,
        ...(p.CallSid === undefined ? {} : { carrierCallId: p.CallSid }),
        failed: event === 'announcement-fail',
      };
    case 'participant-join':
    case 'participant-leave':
    case 'participant-hold':
    case 'participant-unhold': {
      if (p.CallSid === undefined) return missing('CallSid');
      const participant = {
        ...base,
        carrierCallId: p.CallSid,
        ...(p.ParticipantLabel === undefined ? {} : { label: p.ParticipantLabel }),
      };
      if (event === 'participant-join') return { type: 'conference.joined', ...participant };
      if (event === 'participant-hold') return { type: 'conference.held', ...participant };
      if (event === 'participant-unhold') return { type: 'conference.unheld', ...participant };
      return {
        type: 'conference.left',
        ...participant,
        ...(p.ReasonParticipantLeft === undefined ? {} : { reason: p.ReasonParticipantLeft }),
      };
    }
    default:
      return { type: 'event.ignored', dedupeKey, detail: `conference.${event}` };
  }
}

/**
 * Twilio's `AnsweredBy` (present only when answering-machine detection ran): `human`;
 * `machine_start`, `machine_end_beep`, `machine_end_silence`, `machine_end_other` and `fax` are a
 * machine; `unknown` (or anything new) is not known to be one.
 */
function answeredBy(value: string | undefined): AnsweredBy | undefined {
  if (value === undefined) return undefined;
  if (value === 'human') return 'human';
  return value.startsWith('machine') || value === 'fax' ? 'machine' : 'unknown';
}
