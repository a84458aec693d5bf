import { describe, expect, it } from 'vitest';
import { buildCallbackUrl, withLabel } from '../../providers/plivo/routes.js';
import { parsePlivoWebhook } from '../../providers/plivo/webhooks.js';
import {
  type CarrierEvent,
  WebhookError,
  type WebhookKind,
  type WebhookParams,
} from '../../providers/types.js';

/**
 * Plivo webhooks (protocols.md §3.1, §3.5) into the daemon's carrier-neutral events, table-driven:
 * answer URLs, continuations, ring/hang-up of placed legs, the caller's hang-up, the dial action
 * and callback, conference enter/exit; and refusals naming the field.
 */

const PUBLIC = 'https://pt.example.com';
const CALLER = '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0001';
const HUMAN = '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0002';
const CONF = '7c1c9e1a-7a47-4d2b-8b0b-000000000009';
const IDS = { callId: CALLER, transferId: `${CALLER}.t1`, legId: `${CALLER}.t1:0` };

function query(
  kind: WebhookKind,
  ids: Parameters<typeof buildCallbackUrl>[2],
  label?: string,
): WebhookParams {
  const url = buildCallbackUrl(PUBLIC, kind, ids);
  return Object.fromEntries(new URL(label === undefined ? url : withLabel(url, label)).searchParams);
}

function parse(kind: WebhookKind, params: WebhookParams, q: WebhookParams = {}): CarrierEvent {
  const result = parsePlivoWebhook(kind, params, q);
  if (result instanceof WebhookError) throw new Error(`${result.field}: ${result.message}`);
  return result;
}

const call = (uuid: string, extra: Record<string, string>) => ({
  CallUUID: uuid,
  From: '14155559999',
  To: '14155550100',
  Direction: 'inbound',
  ...extra,
});

describe('Plivo webhooks: voice', () => {
  it('a new call: numbers become E.164', () => {
    expect(parse('voice', call(CALLER, { CallStatus: 'ringing', Event: 'StartApp' }))).toEqual({
      type: 'call.incoming',
      dedupeKey: `plivo:incoming:${CALLER}`,
      carrierCallId: CALLER,
      from: '+14155559999',
      to: '+14155550100',
      direction: 'inbound',
    });
    expect(parse('voice', call(CALLER, { From: 'sip:alice@example.com' }))).toMatchObject({
      from: 'sip:alice@example.com',
    });
  });

  it('a continuation (Redirect or calls.transfer back to the daemon); each seq its own key', () => {
    const a = parse(
      'voice',
      call(CALLER, { CallStatus: 'in-progress' }),
      query('voice', { callId: CALLER, seq: 4 }),
    );
    expect(a).toEqual({
      type: 'stream.continuation',
      dedupeKey: `plivo:continuation:${CALLER}:4`,
      carrierCallId: CALLER,
      callId: CALLER,
    });
    expect(parse('voice', call(CALLER, {}), query('voice', { callId: CALLER, seq: 5 })).dedupeKey).not.toBe(
      a.dedupeKey,
    );
  });

  it("a placed leg's answer_url: the human answered", () => {
    expect(
      parse(
        'voice',
        call(HUMAN, { Direction: 'outbound', CallStatus: 'in-progress', RequestUUID: CONF }),
        query('voice', IDS),
      ),
    ).toEqual({
      type: 'leg.answered',
      dedupeKey: `plivo:leg:${HUMAN}:answered`,
      ...IDS,
      carrierCallId: HUMAN,
    });
  });
});

describe('Plivo webhooks: status', () => {
  it("the caller's hangup_url ends the call", () => {
    expect(
      parse(
        'status',
        call(CALLER, { CallStatus: 'completed', HangupCause: 'NORMAL_CLEARING', Duration: '42' }),
      ),
    ).toEqual({
      type: 'call.status',
      dedupeKey: `plivo:call:${CALLER}:completed`,
      carrierCallId: CALLER,
      status: 'completed',
      durationSec: 42,
    });
  });

  it("a placed leg's ring_url and hangup_url", () => {
    const q = query('status', IDS);
    expect(parse('status', call(HUMAN, { Direction: 'outbound', CallStatus: 'ringing' }), q)).toMatchObject({
      type: 'leg.ringing',
      carrierCallId: HUMAN,
      ...IDS,
    });
    const table: Array<[string, string, string, string | undefined]> = [
      ['busy', 'USER_BUSY', 'busy', 'USER_BUSY'],
      ['no-answer', 'NO_ANSWER', 'no_answer', 'NO_ANSWER'],
      ['timeout', 'NO_ANSWER', 'no_answer', 'NO_ANSWER'],
      ['failed', 'UNALLOCATED_NUMBER', 'failed', 'UNALLOCATED_NUMBER'],
      ['cancel', 'ORIGINATOR_CANCEL', 'canceled', 'ORIGINATOR_CANCEL'],
      ['busy', 'CALL_REJECTED', 'declined', 'CALL_REJECTED'],
      ['completed', 'NORMAL_CLEARING', 'completed', undefined],
    ];
    for (const [status, cause, normalized, code] of table) {
      const event = parse(
        'status',
        call(HUMAN, { Direction: 'outbound', CallStatus: status, HangupCause: cause }),
        q,
      );
      expect(event).toEqual({
        type: 'leg.ended',
        dedupeKey: `plivo:leg:${HUMAN}:ended`,
        ...IDS,
        carrierCallId: HUMAN,
        status: normalized,
        ...(code === undefined ? {} : { carrierCode: code }),
      });
    }
  });

  it("a placed leg's machine_detection_url: Machine=true|false is the verdict, keyed apart from the answer", () => {
    const q = query('status', IDS);
    const verdict = (machine: string) =>
      call(HUMAN, {
        Direction: 'outbound',
        CallStatus: 'in-progress',
        Event: 'MachineDetection',
        Machine: machine,
        IfMachine: 'continue',
        RequestUUID: CONF,
        ALegRequestUUID: CONF,
        ALegUUID: HUMAN,
      });
    expect(parse('status', verdict('true'), q)).toEqual({
      type: 'leg.verdict',
      dedupeKey: `plivo:leg:${HUMAN}:verdict`,
      ...IDS,
      carrierCallId: HUMAN,
      answeredBy: 'machine',
    });
    expect(parse('status', verdict('false'), q)).toMatchObject({ type: 'leg.verdict', answeredBy: 'human' });
    const refused = parsePlivoWebhook('status', verdict('maybe'), q);
    expect(refused).toBeInstanceOf(WebhookError);
    expect((refused as WebhookError).field).toBe('Machine');
  });

  it('the cold dial callbackUrl: the B-leg answered, then hung up (same keys as its own callbacks)', () => {
    const q = query('status', IDS);
    const base = {
      ...call(CALLER, { CallStatus: 'in-progress' }),
      DialALegUUID: CALLER,
      DialBLegUUID: HUMAN,
    };
    expect(parse('status', { ...base, DialAction: 'answer', DialBLegStatus: 'answer' }, q)).toEqual({
      type: 'leg.answered',
      dedupeKey: `plivo:leg:${HUMAN}:answered`,
      ...IDS,
      carrierCallId: HUMAN,
    });
    expect(
      parse(
        'status',
        { ...base, DialAction: 'hangup', DialBLegStatus: 'hangup', DialBLegHangupCause: 'NORMAL_CLEARING' },
        q,
      ),
    ).toEqual({
      type: 'leg.ended',
      dedupeKey: `plivo:leg:${HUMAN}:ended`,
      ...IDS,
      carrierCallId: HUMAN,
      status: 'completed',
    });
    expect(parse('status', { ...base, DialAction: 'digits' }, q)).toMatchObject({ type: 'event.ignored' });
  });
});

describe('Plivo webhooks: dial action', () => {
  const q = query('dial-action', IDS);
  const action = (extra: Record<string, string>) => ({
    ...call(CALLER, { CallStatus: 'in-progress' }),
    DialALegUUID: CALLER,
    DialRingStatus: 'true',
    ...extra,
  });

  it('no answer: the leg ended, keyed by the A-leg and leg id (there is no B-leg UUID)', () => {
    expect(
      parse(
        'dial-action',
        action({ DialStatus: 'no-answer', DialBLegUUID: '', DialHangupCause: 'NO_ANSWER' }),
        q,
      ),
    ).toEqual({
      type: 'leg.ended',
      dedupeKey: `plivo:dial:${CALLER}:${IDS.legId}:ended`,
      ...IDS,
      status: 'no_answer',
      carrierCode: 'NO_ANSWER',
      callerStatus: 'in_progress',
    });
  });

  it('completed with a B-leg: the same key as its hang-up callback; busy with CALL_REJECTED is declined', () => {
    expect(
      parse(
        'dial-action',
        action({ DialStatus: 'completed', DialBLegUUID: HUMAN, DialHangupCause: 'NORMAL_CLEARING' }),
        q,
      ),
    ).toMatchObject({
      dedupeKey: `plivo:leg:${HUMAN}:ended`,
      carrierCallId: HUMAN,
      status: 'completed',
    });
    expect(
      parse('dial-action', action({ DialStatus: 'busy', DialHangupCause: 'CALL_REJECTED' }), q),
    ).toMatchObject({ status: 'declined' });
    expect(parse('dial-action', action({ DialStatus: 'timeout', CallStatus: 'completed' }), q)).toMatchObject(
      {
        status: 'no_answer',
        callerStatus: 'completed',
      },
    );
  });
});

describe('Plivo webhooks: conference', () => {
  const member = (action: string) => ({
    ...call(HUMAN, { Direction: 'outbound', CallStatus: 'in-progress' }),
    ConferenceAction: action,
    ConferenceName: 'xfer-1',
    ConferenceUUID: CONF,
    ConferenceMemberID: '7',
  });
  const confIds = { callId: IDS.callId, transferId: IDS.transferId };

  it('enter and exit carry the label the daemon put in the member’s callback URL', () => {
    expect(parse('conference', member('enter'), query('conference', confIds, IDS.legId))).toEqual({
      type: 'conference.joined',
      dedupeKey: `plivo:conference:${CONF}:7:enter`,
      ...confIds,
      room: 'xfer-1',
      carrierConferenceId: CONF,
      carrierCallId: HUMAN,
      label: IDS.legId,
    });
    expect(parse('conference', member('exit'), query('conference', confIds, 'caller'))).toMatchObject({
      type: 'conference.left',
      label: 'caller',
    });
    expect(parse('conference', member('floor'), query('conference', confIds))).toMatchObject({
      type: 'event.ignored',
    });
  });
});

describe('Plivo webhooks: refusals name the field', () => {
  const cases: Array<[WebhookKind, WebhookParams, WebhookParams, string]> = [
    ['voice', call('not-a-uuid', {}), {}, 'CallUUID'],
    ['voice', { ...call(CALLER, {}), Direction: 'sideways' }, {}, 'Direction'],
    ['voice', call(CALLER, {}), { callId: 'bad id!' }, 'query.callId'],
    ['voice', call(HUMAN, {}), { callId: CALLER, legId: 'x' }, 'query.transferId'],
    ['status', call(CALLER, { CallStatus: 'exploded' }), {}, 'CallStatus'],
    ['status', call(HUMAN, { CallStatus: 'busy' }), { callId: CALLER, transferId: 't' }, 'query.legId'],
    ['status', { DialAction: 'answer', DialALegUUID: CALLER }, query('status', IDS), 'DialBLegUUID'],
    ['dial-action', call(CALLER, { DialStatus: 'answered' }), query('dial-action', IDS), 'DialStatus'],
    [
      'conference',
      { ConferenceAction: 'enter', ConferenceName: 'r', ConferenceUUID: CONF },
      { callId: CALLER, transferId: 't' },
      'CallUUID',
    ],
    [
      'conference',
      { ConferenceAction: 'enter', ConferenceName: 'r', ConferenceUUID: CONF, CallUUID: HUMAN },
      { callId: CALLER },
      'query.transferId',
    ],
  ];
  for (const [kind, params, q, field] of cases) {
    it(`${kind}: ${field}`, () => {
      const result = parsePlivoWebhook(kind, params, q);
      expect(result).toBeInstanceOf(WebhookError);
      expect((result as WebhookError).field).toBe(field);
      // Messages never echo values (they may be phone numbers).
      expect((result as WebhookError).message).not.toContain('1415555');
    });
  }
});
