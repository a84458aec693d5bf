import { z } from 'zod';
import type { LegEndStatus } from '../../src/domain/outcome.js';
import { callIncoming, callStatus, continuation } from '../shared/call-events.js';
import { legAnswered, legEnded, legInitiated, legKey, legRinging } from '../shared/leg-events.js';
import { DIGITS, missing, OWN_ID, OWN_IDS_QUERY, requireLegIds, validate } from '../shared/webhook-params.js';
import {
  type CallStatus,
  type CarrierEvent,
  WebhookError,
  type WebhookKind,
  type WebhookParams,
} from '../types.js';
import { fromPlivoAddress } from './addresses.js';

/**
 * Plivo webhooks (protocols.md §3.1, §3.5) validated with zod and normalized into the same
 * {@link CarrierEvent}s as every carrier. Extra parameters are allowed (Plivo sends many, and
 * adds more); the ones the daemon relies on are checked strictly.
 *
 * What arrives where (the daemon's own ids ride in the signed query string):
 * - `voice`: `answer_url` of a new call (no ids); a `<Redirect>` or a `calls.transfer` back to the
 *   daemon (`callId`, `seq`): a continuation; the `answer_url` of a leg the daemon placed (`legId`).
 * - `status`: `hangup_url` of the caller's call; `ring_url`/`hangup_url` of a placed leg; the
 *   `<Dial callbackUrl>` of a cold transfer (`DialAction` = `answer` / `hangup`, UNCONFIRMED names);
 *   a placed leg's `machine_detection_url` (`Event=MachineDetection`, `Machine`).
 * - `dial-action`: `<Dial action>` with `DialStatus`.
 * - `conference`: `<Conference callbackUrl>` with `ConferenceAction` (`enter`, `exit`, … UNCONFIRMED
 *   names); the member's label is the `label` the daemon put in that member's callback URL.
 *
 * Dedupe keys come from Plivo's ids: a leg reaches each phase once, so its key is its CallUUID
 * (the B-leg's for a dial) plus the phase, whichever webhook brought the news.
 */

const UUID = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a UUID');
/** FreeSWITCH-style cause names (`NORMAL_CLEARING`, `USER_BUSY`, …): safe as a carrier code. */
const CAUSE = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'expected a hangup cause name');

/** `CallStatus` (§3.1); `cancel` is from the dial-status page. */
const PLIVO_CALL_STATUS = z.enum([
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'timeout',
  'no-answer',
  'cancel',
]);
type PlivoCallStatus = z.infer<typeof PLIVO_CALL_STATUS>;

const CALL_STATUS: Readonly<Record<PlivoCallStatus, CallStatus>> = {
  ringing: 'ringing',
  'in-progress': 'in_progress',
  completed: 'completed',
  busy: 'busy',
  failed: 'failed',
  timeout: 'no_answer',
  'no-answer': 'no_answer',
  cancel: 'canceled',
};

/** `DialStatus` (§3.5). */
const DIAL_STATUS = z.enum(['completed', 'busy', 'failed', 'timeout', 'no-answer', 'cancel']);
const DIAL_END: Readonly<Record<z.infer<typeof DIAL_STATUS>, LegEndStatus>> = {
  completed: 'completed',
  busy: 'busy',
  failed: 'failed',
  timeout: 'no_answer',
  'no-answer': 'no_answer',
  cancel: 'canceled',
};

/** A callee who rejects the call: Plivo reports `busy` with this cause. */
const DECLINED_CAUSE = 'CALL_REJECTED';

const VOICE = z.object({
  CallUUID: UUID,
  From: z.string(),
  To: z.string(),
  Direction: z.enum(['inbound', 'outbound']),
  CallStatus: PLIVO_CALL_STATUS.optional(),
  /** A call placed with `POST /Call/`: the `request_uuid` its create answered with. */
  RequestUUID: UUID.optional(),
});

const CALL_PROGRESS = z.object({
  CallUUID: UUID,
  CallStatus: PLIVO_CALL_STATUS,
  HangupCause: CAUSE.optional(),
  Duration: DIGITS.optional(),
  RequestUUID: UUID.optional(),
});

/**
 * The asynchronous machine-detection callback (`machine_detection_url`, Plivo's "Asynchronous
 * machine detection" page): `Event=MachineDetection`, `Machine` `true` when a machine answered,
 * `IfMachine` `continue`/`hangup`, `CallStatus` `in-progress`, and the call's usual ids.
 */
const MACHINE_DETECTION = z.object({
  CallUUID: UUID,
  Event: z.literal('MachineDetection'),
  Machine: z.enum(['true', 'false']),
  IfMachine: z.enum(['continue', 'hangup']).optional(),
});

/** `<Dial callbackUrl>` (UNCONFIRMED parameter names, §3.5). */
const DIAL_CALLBACK = z.object({
  DialAction: z.string().min(1),
  DialALegUUID: UUID,
  DialBLegUUID: UUID.optional(),
  DialBLegHangupCause: CAUSE.optional(),
});

const DIAL_ACTION = z.object({
  CallUUID: UUID,
  DialStatus: DIAL_STATUS,
  // Empty when no B-leg was answered (§3.5).
  DialBLegUUID: z.union([UUID, z.literal('')]).optional(),
  DialHangupCause: z.union([CAUSE, z.literal('')]).optional(),
  CallStatus: PLIVO_CALL_STATUS.optional(),
});

const CONFERENCE = z.object({
  ConferenceAction: z.string().min(1),
  ConferenceName: z.string().min(1),
  ConferenceUUID: UUID,
  ConferenceMemberID: DIGITS.optional(),
  CallUUID: UUID.optional(),
});

const QUERY = z.object({ ...OWN_IDS_QUERY, label: OWN_ID.optional() });
type Query = z.infer<typeof QUERY>;

/** Normalizes one Plivo webhook; see {@link CarrierEvent} for what each kind can yield. */
export function parsePlivoWebhook(
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
      if (params['Event'] === 'MachineDetection') return parseMachineDetection(params, q);
      return params['DialAction'] === undefined ? parseProgress(params, q) : parseDialCallback(params, q);
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
    // A leg placed with `answer_url` requests it when the human picks up.
    const ids = requireLegIds(q);
    if (ids instanceof WebhookError) return ids;
    return legAnswered('plivo', p.CallUUID, ids);
  }
  if (q.callId !== undefined) {
    // A `<Redirect>` after a stream, dial or conference, or a `calls.transfer` (invariant 1).
    return continuation('plivo', p.CallUUID, q.seq ?? '0', q.callId, q.transferId);
  }
  const incoming = callIncoming(
    'plivo',
    p.CallUUID,
    fromPlivoAddress(p.From),
    fromPlivoAddress(p.To),
    p.Direction,
  );
  // A call the daemon placed is known by its create's `request_uuid` until it is answered (§3.4).
  return placed(incoming, p.CallUUID, p.RequestUUID);
}

/** The event with the create's id when it is not the call's own. */
function placed<T extends object>(event: T, callUuid: string, requestUuid: string | undefined): T {
  return requestUuid === undefined || requestUuid === callUuid
    ? event
    : { ...event, placementId: requestUuid };
}

function parseProgress(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(CALL_PROGRESS, params, '');
  if (p instanceof WebhookError) return p;
  const status = CALL_STATUS[p.CallStatus];
  if (q.legId === undefined && q.transferId === undefined) {
    // The caller's `hangup_url`: a call reaches each status once.
    return placed(callStatus('plivo', p.CallUUID, status, q.callId, p.Duration), p.CallUUID, p.RequestUUID);
  }
  const ids = requireLegIds(q);
  if (ids instanceof WebhookError) return ids;
  switch (status) {
    case 'ringing':
      return legRinging('plivo', p.CallUUID, ids);
    case 'in_progress':
      return legAnswered('plivo', p.CallUUID, ids);
    case 'initiated':
      return legInitiated('plivo', p.CallUUID);
    default:
      return legEnded(
        legKey('plivo', p.CallUUID, 'ended'),
        ids,
        p.CallUUID,
        endStatus(status, p.HangupCause),
        p.HangupCause,
      );
  }
}

/** The verdict on a leg the daemon placed with `machine_detection` (its status URL, ids in the query). */
function parseMachineDetection(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(MACHINE_DETECTION, params, '');
  if (p instanceof WebhookError) return p;
  const ids = requireLegIds(q);
  if (ids instanceof WebhookError) return ids;
  return {
    type: 'leg.verdict',
    dedupeKey: legKey('plivo', p.CallUUID, 'verdict'),
    ...ids,
    carrierCallId: p.CallUUID,
    answeredBy: p.Machine === 'true' ? 'machine' : 'human',
  };
}

function parseDialCallback(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(DIAL_CALLBACK, params, '');
  if (p instanceof WebhookError) return p;
  const ids = requireLegIds(q);
  if (ids instanceof WebhookError) return ids;
  const action = p.DialAction.toLowerCase();
  if (action !== 'answer' && action !== 'hangup') {
    return {
      type: 'event.ignored',
      dedupeKey: `plivo:dial:${p.DialALegUUID}:${ids.legId}:${action}`,
      detail: `dial.${action}`,
    };
  }
  if (p.DialBLegUUID === undefined) return missing('DialBLegUUID');
  if (action === 'answer') return legAnswered('plivo', p.DialBLegUUID, ids);
  const cause = p.DialBLegHangupCause;
  return legEnded(
    legKey('plivo', p.DialBLegUUID, 'ended'),
    ids,
    p.DialBLegUUID,
    causeStatus(cause) ?? 'completed',
    cause,
  );
}

function parseDialAction(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(DIAL_ACTION, params, '');
  if (p instanceof WebhookError) return p;
  const ids = requireLegIds(q);
  if (ids instanceof WebhookError) return ids;
  const bLeg = p.DialBLegUUID === '' ? undefined : p.DialBLegUUID;
  const cause = p.DialHangupCause === '' ? undefined : p.DialHangupCause;
  const status = p.DialStatus === 'busy' && cause === DECLINED_CAUSE ? 'declined' : DIAL_END[p.DialStatus];
  return {
    // Same key as the B-leg's own hang-up callback when there was a B-leg: one end per leg.
    ...legEnded(
      bLeg === undefined ? `plivo:dial:${p.CallUUID}:${ids.legId}:ended` : legKey('plivo', bLeg, 'ended'),
      ids,
      bLeg,
      status,
      cause,
    ),
    ...(p.CallStatus === undefined ? {} : { callerStatus: CALL_STATUS[p.CallStatus] }),
  };
}

function parseConference(params: WebhookParams, q: Query): CarrierEvent | WebhookError {
  const p = validate(CONFERENCE, params, '');
  if (p instanceof WebhookError) return p;
  if (q.callId === undefined) return missing('query.callId');
  if (q.transferId === undefined) return missing('query.transferId');
  const action = p.ConferenceAction.toLowerCase();
  const dedupeKey = `plivo:conference:${p.ConferenceUUID}:${p.ConferenceMemberID ?? p.CallUUID ?? '-'}:${action}`;
  if (action !== 'enter' && action !== 'exit')
    return { type: 'event.ignored', dedupeKey, detail: `conference.${action}` };
  if (p.CallUUID === undefined) return missing('CallUUID');
  const member = {
    dedupeKey,
    callId: q.callId,
    transferId: q.transferId,
    room: p.ConferenceName,
    carrierConferenceId: p.ConferenceUUID,
    carrierCallId: p.CallUUID,
    ...(q.label === undefined ? {} : { label: q.label }),
  };
  return action === 'enter'
    ? { type: 'conference.joined', ...member }
    : { type: 'conference.left', ...member };
}

/** The end of a placed leg from its `CallStatus`, refined by the hang-up cause. */
function endStatus(status: CallStatus, cause: string | undefined): LegEndStatus {
  if (cause === DECLINED_CAUSE) return 'declined';
  switch (status) {
    case 'busy':
    case 'no_answer':
    case 'failed':
    case 'canceled':
    case 'completed':
      return status;
    default:
      return 'failed';
  }
}

/** A B-leg's end from its hang-up cause alone (`<Dial callbackUrl>` carries no status). */
function causeStatus(cause: string | undefined): LegEndStatus | undefined {
  switch (cause) {
    case 'USER_BUSY':
      return 'busy';
    case 'NO_ANSWER':
    case 'NO_USER_RESPONSE':
      return 'no_answer';
    case DECLINED_CAUSE:
      return 'declined';
    case 'ORIGINATOR_CANCEL':
      return 'canceled';
    default:
      return undefined;
  }
}
