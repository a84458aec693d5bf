import { describe, expect, it } from 'vitest';
import { parseTwilioWebhook } from '../../providers/twilio/webhooks.js';
import {
  type CarrierEvent,
  WebhookError,
  type WebhookKind,
  type WebhookParams,
} from '../../providers/types.js';

const AC = `AC${'1'.repeat(32)}`;
const CALLER = `CA${'a'.repeat(32)}`;
const HUMAN = `CA${'b'.repeat(32)}`;
const CF = `CF${'c'.repeat(32)}`;

/** Voice webhook as in protocols.md §2.1. */
const VOICE = {
  CallSid: CALLER,
  AccountSid: AC,
  From: '+15550001111',
  To: '+15550002222',
  Caller: '+15550001111',
  Called: '+15550002222',
  CallStatus: 'ringing',
  Direction: 'inbound',
  ApiVersion: '2010-04-01',
  FromCity: 'SPRINGFIELD',
  FromCountry: 'US',
};

/** Call-progress callback as in §2.6. */
function progress(callSid: string, status: string, extra: Record<string, string> = {}) {
  return {
    CallSid: callSid,
    AccountSid: AC,
    From: '+15550002222',
    To: '+15550003333',
    Direction: 'outbound-api',
    ApiVersion: '2010-04-01',
    CallStatus: status,
    CallbackSource: 'call-progress-events',
    SequenceNumber: '1',
    Timestamp: 'Mon, 02 Mar 2026 10:00:05 +0000',
    ...extra,
  };
}

/** Conference callback as in §2.6. */
function conference(event: string, extra: Record<string, string> = {}) {
  return {
    AccountSid: AC,
    ConferenceSid: CF,
    FriendlyName: 'xfer-t1',
    SequenceNumber: '3',
    Timestamp: 'Mon, 02 Mar 2026 10:00:05 +0000',
    StatusCallbackEvent: event,
    ...extra,
  };
}

const LEG = { callId: CALLER, transferId: 't1', legId: 't1:0' };

function parse(kind: WebhookKind, params: WebhookParams, query: WebhookParams = {}): CarrierEvent {
  const result = parseTwilioWebhook(kind, params, query);
  if (result instanceof WebhookError) throw new Error(`unexpected ${result.field}`);
  return result;
}

function error(kind: WebhookKind, params: WebhookParams, query: WebhookParams = {}): WebhookError {
  const result = parseTwilioWebhook(kind, params, query);
  if (!(result instanceof WebhookError)) throw new Error(`expected an error, got ${result.type}`);
  return result;
}

describe('voice webhook', () => {
  it('a new inbound call', () => {
    expect(parse('voice', VOICE)).toEqual({
      type: 'call.incoming',
      dedupeKey: `twilio:incoming:${CALLER}`,
      carrierCallId: CALLER,
      from: '+15550001111',
      to: '+15550002222',
      direction: 'inbound',
    });
  });

  it('outbound-api and outbound-dial are outbound', () => {
    expect(parse('voice', { ...VOICE, Direction: 'outbound-api' })).toMatchObject({ direction: 'outbound' });
    expect(parse('voice', { ...VOICE, Direction: 'outbound-dial' })).toMatchObject({ direction: 'outbound' });
  });

  it('a continuation carries the call id and is keyed by the document seq', () => {
    const event = parse('voice', { ...VOICE, CallStatus: 'in-progress' }, { callId: CALLER, seq: '4' });
    expect(event).toEqual({
      type: 'stream.continuation',
      dedupeKey: `twilio:continuation:${CALLER}:4`,
      carrierCallId: CALLER,
      callId: CALLER,
    });
    const inTransfer = parse('voice', VOICE, { callId: CALLER, transferId: 't1', seq: '5' });
    expect(inTransfer).toMatchObject({ type: 'stream.continuation', transferId: 't1' });
    expect(inTransfer.dedupeKey).not.toBe(event.dedupeKey);
  });

  it("a leg's answer URL means the human picked up", () => {
    const event = parse('voice', { ...VOICE, CallSid: HUMAN, Direction: 'outbound-api' }, LEG);
    expect(event).toEqual({
      type: 'leg.answered',
      dedupeKey: `twilio:leg:${HUMAN}:answered`,
      ...LEG,
      carrierCallId: HUMAN,
    });
  });

  it.each([
    ['CallSid', { ...VOICE, CallSid: 'CA123' }],
    ['CallSid', { ...VOICE, CallSid: undefined }],
    ['AccountSid', { ...VOICE, AccountSid: 'ACnope' }],
    ['From', { ...VOICE, From: undefined }],
    ['Direction', { ...VOICE, Direction: 'sideways' }],
    ['To', { ...VOICE, To: ['+1', '+2'] }],
  ])('a bad %s is named', (field, params) => {
    const err = error('voice', params);
    expect(err.field).toBe(field);
    expect(err.code).toBe('webhook_invalid');
    expect(err.type).toBe('webhook.error');
  });

  it('never echoes the offending value (it may be a phone number)', () => {
    const err = error('voice', { ...VOICE, Direction: '+15550009999' });
    expect(err.message).not.toContain('5550009999');
  });

  it.each([
    ['query.legId', { ...LEG, legId: 'bad id with spaces' }],
    ['query.seq', { callId: CALLER, seq: 'x' }],
    ['query.transferId', { callId: CALLER, legId: 't1:0' }],
  ])('a bad %s in the callback URL is named', (field, query) => {
    expect(error('voice', VOICE, query).field).toBe(field);
  });
});

describe('status webhook', () => {
  it("the caller's own call: status normalized, keyed by call and status", () => {
    expect(
      parse('status', progress(CALLER, 'completed', { CallDuration: '42' }), { callId: CALLER }),
    ).toEqual({
      type: 'call.status',
      dedupeKey: `twilio:call:${CALLER}:completed`,
      carrierCallId: CALLER,
      callId: CALLER,
      status: 'completed',
      durationSec: 42,
    });
    // A number's console-configured status callback has no query at all.
    expect(parse('status', progress(CALLER, 'no-answer'))).toMatchObject({ status: 'no_answer' });
  });

  it.each([
    ['queued', 'initiated'],
    ['initiated', 'initiated'],
    ['ringing', 'ringing'],
    ['in-progress', 'in_progress'],
    ['busy', 'busy'],
    ['failed', 'failed'],
    ['canceled', 'canceled'],
  ])('CallStatus %s → %s', (wire, normalized) => {
    expect(parse('status', progress(CALLER, wire))).toMatchObject({
      type: 'call.status',
      status: normalized,
    });
  });

  it('a leg ringing, answered, ended', () => {
    expect(parse('status', progress(HUMAN, 'ringing'), LEG)).toEqual({
      type: 'leg.ringing',
      dedupeKey: `twilio:leg:${HUMAN}:ringing`,
      ...LEG,
      carrierCallId: HUMAN,
    });
    expect(parse('status', progress(HUMAN, 'in-progress', { AnsweredBy: 'human' }), LEG)).toEqual({
      type: 'leg.answered',
      dedupeKey: `twilio:leg:${HUMAN}:answered`,
      ...LEG,
      carrierCallId: HUMAN,
      answeredBy: 'human',
    });
    expect(parse('status', progress(HUMAN, 'busy', { SipResponseCode: '486' }), LEG)).toEqual({
      type: 'leg.ended',
      dedupeKey: `twilio:leg:${HUMAN}:ended`,
      ...LEG,
      carrierCallId: HUMAN,
      status: 'busy',
      carrierCode: '486',
    });
  });

  it('a completed leg (the human hung up) carries no error code', () => {
    const event = parse('status', progress(HUMAN, 'completed', { SipResponseCode: '200' }), LEG);
    expect(event).toMatchObject({ type: 'leg.ended', status: 'completed' });
    expect(event).not.toHaveProperty('carrierCode');
  });

  it('a leg being initiated changes nothing', () => {
    expect(parse('status', progress(HUMAN, 'initiated'), LEG)).toMatchObject({ type: 'event.ignored' });
  });

  it('a retried callback yields the same dedupe key', () => {
    const first = parse('status', progress(HUMAN, 'no-answer', { SequenceNumber: '2' }), LEG);
    const retry = parse('status', progress(HUMAN, 'no-answer', { SequenceNumber: '2' }), LEG);
    expect(retry.dedupeKey).toBe(first.dedupeKey);
  });

  it.each([
    ['CallStatus', progress(HUMAN, 'dialing')],
    ['SequenceNumber', progress(HUMAN, 'ringing', { SequenceNumber: 'one' })],
    ['SipResponseCode', progress(HUMAN, 'busy', { SipResponseCode: '4x6' })],
  ])('a bad %s is named', (field, params) => {
    expect(error('status', params, LEG).field).toBe(field);
  });

  it('a leg callback without its leg id is refused', () => {
    expect(error('status', progress(HUMAN, 'busy'), { callId: CALLER, transferId: 't1' }).field).toBe(
      'query.legId',
    );
  });
});

describe('dial-action webhook (§2.5)', () => {
  const action = (dialStatus: string, extra: Record<string, string> = {}) => ({
    ...VOICE,
    CallStatus: 'in-progress',
    DialCallStatus: dialStatus,
    DialCallSid: HUMAN,
    DialCallDuration: '0',
    DialBridged: 'false',
    ...extra,
  });

  it.each([
    ['completed', 'completed'],
    ['answered', 'completed'],
    ['busy', 'busy'],
    ['no-answer', 'no_answer'],
    ['failed', 'failed'],
    ['canceled', 'canceled'],
  ])('DialCallStatus %s → leg.ended %s', (wire, status) => {
    expect(parse('dial-action', action(wire), LEG)).toEqual({
      type: 'leg.ended',
      dedupeKey: `twilio:leg:${HUMAN}:ended`,
      ...LEG,
      carrierCallId: HUMAN,
      status,
      callerStatus: 'in_progress',
    });
  });

  it("shares the leg's own end key, so the status callback and the action apply once", () => {
    const fromAction = parse('dial-action', action('busy'), LEG);
    const fromStatus = parse('status', progress(HUMAN, 'busy'), LEG);
    expect(fromAction.dedupeKey).toBe(fromStatus.dedupeKey);
  });

  it('tells whether the caller is still there', () => {
    expect(parse('dial-action', action('completed', { CallStatus: 'completed' }), LEG)).toMatchObject({
      callerStatus: 'completed',
    });
  });

  it('a dial that never created a leg is keyed by the caller and the leg id', () => {
    const { DialCallSid: _omit, ...params } = action('failed');
    expect(parse('dial-action', params, LEG)).toMatchObject({
      type: 'leg.ended',
      dedupeKey: `twilio:dial:${CALLER}:t1:0:ended`,
      status: 'failed',
    });
  });

  it('names a bad DialCallStatus and a missing leg id', () => {
    expect(error('dial-action', action('maybe'), LEG).field).toBe('DialCallStatus');
    expect(error('dial-action', action('busy'), { callId: CALLER }).field).toBe('query.transferId');
  });
});

describe('conference webhook (§2.6)', () => {
  const ids = { callId: CALLER, transferId: 't1' };
  const base = { callId: CALLER, transferId: 't1', room: 'xfer-t1', carrierConferenceId: CF };
  const participant = (extra: Record<string, string> = {}) => ({
    CallSid: HUMAN,
    Muted: 'false',
    Hold: 'false',
    Coaching: 'false',
    EndConferenceOnExit: 'false',
    StartConferenceOnEnter: 'true',
    ParticipantLabel: 'agent',
    ...extra,
  });

  it('participant-join', () => {
    expect(parse('conference', conference('participant-join', participant()), ids)).toEqual({
      type: 'conference.joined',
      dedupeKey: `twilio:conference:${CF}:3`,
      ...base,
      carrierCallId: HUMAN,
      label: 'agent',
    });
  });

  it('participant-leave with its reason', () => {
    const params = conference(
      'participant-leave',
      participant({ ReasonParticipantLeft: 'participant_hung_up' }),
    );
    expect(parse('conference', params, ids)).toMatchObject({
      type: 'conference.left',
      reason: 'participant_hung_up',
    });
  });

  it('participant-hold and -unhold', () => {
    expect(parse('conference', conference('participant-hold', participant()), ids)).toMatchObject({
      type: 'conference.held',
    });
    expect(parse('conference', conference('participant-unhold', participant()), ids)).toMatchObject({
      type: 'conference.unheld',
    });
  });

  it('conference start and end', () => {
    expect(parse('conference', conference('conference-start'), ids)).toEqual({
      type: 'conference.started',
      dedupeKey: `twilio:conference:${CF}:3`,
      ...base,
    });
    const end = conference('conference-end', {
      ReasonConferenceEnded: 'participant-with-end-conference-on-exit-left',
    });
    expect(parse('conference', end, ids)).toMatchObject({
      type: 'conference.ended',
      reason: 'participant-with-end-conference-on-exit-left',
    });
  });

  it('announcement end and failure', () => {
    expect(parse('conference', conference('announcement-end', { CallSid: HUMAN }), ids)).toMatchObject({
      type: 'conference.announced',
      carrierCallId: HUMAN,
      failed: false,
    });
    expect(parse('conference', conference('announcement-fail'), ids)).toMatchObject({
      type: 'conference.announced',
      failed: true,
    });
  });

  it('mute, speech and unknown events change nothing', () => {
    for (const event of ['participant-mute', 'participant-speech-start', 'participant-something-new']) {
      expect(parse('conference', conference(event, participant()), ids)).toMatchObject({
        type: 'event.ignored',
      });
    }
  });

  it('each event has its own key; a retry has the same one', () => {
    const a = parse('conference', conference('participant-join', participant()), ids);
    const b = parse('conference', conference('participant-join', participant({ SequenceNumber: '4' })), ids);
    const again = parse('conference', conference('participant-join', participant()), ids);
    expect(b.dedupeKey).not.toBe(a.dedupeKey);
    expect(again.dedupeKey).toBe(a.dedupeKey);
  });

  it.each([
    ['ConferenceSid', conference('conference-start', { ConferenceSid: 'CF1' }), ids],
    ['SequenceNumber', conference('conference-start', { SequenceNumber: '' }), ids],
    ['CallSid', conference('participant-join'), ids],
    ['query.transferId', conference('conference-start'), { callId: CALLER }],
  ])('names a bad %s', (field, params, query) => {
    expect(error('conference', params, query).field).toBe(field);
  });
});
