import { plivoAdapterFactory } from '../../providers/plivo/adapter.js';
import { encodeExtraHeaders } from '../../providers/plivo/extra-headers.js';
import { plivoSignatureV3 } from '../../providers/plivo/signature-v3.js';
import type { WebhookParams } from '../../providers/types.js';
import { runAdapterContract } from './adapter-contract.js';

const AUTH_ID = 'MAXXXXXXXXXXXXXXXXXX';
const TOKEN = 'contract-auth-token';
const CALLER = '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0001';
const HUMAN = '0d7f0c52-5a8e-4a3f-9f7e-3b1b1b0c0002';
const STREAM = '5b1c9e1a-7a47-4d2b-8b0b-000000000001';
const CONFERENCE = '7c1c9e1a-7a47-4d2b-8b0b-000000000009';

const call = (uuid: string, extra: Record<string, string>): WebhookParams => ({
  CallUUID: uuid,
  From: '14155550100',
  To: '14155550199',
  Direction: 'inbound',
  Event: 'StartApp',
  ...extra,
});

runAdapterContract('plivo', {
  factory: plivoAdapterFactory,
  settings: {
    publicUrl: 'https://pt.example.com',
    credentials: { accountId: AUTH_ID, authToken: TOKEN },
    // Nothing is sent in this suite; REST is covered by plivo-control.test.ts.
    apiBase: 'http://127.0.0.1:9',
  },
  invalidSettings: { publicUrl: 'ftp://nope', credentials: { accountId: 'XX1', authToken: '' } },
  sign: (req) => {
    const nonce = '05429567804466091622';
    return {
      ...req,
      headers: {
        'x-plivo-signature-v3': plivoSignatureV3(TOKEN, 'POST', req.url, req.params, nonce),
        'x-plivo-signature-v3-nonce': nonce,
      },
    };
  },
  payloads: {
    incoming: () => call(CALLER, { CallStatus: 'ringing' }),
    continuation: () => call(CALLER, { CallStatus: 'in-progress', Event: 'Redirect' }),
    legBusy: () =>
      call(HUMAN, {
        Direction: 'outbound',
        CallStatus: 'busy',
        HangupCause: 'USER_BUSY',
        RequestUUID: 'b3d9f0a2-5a8e-4a3f-9f7e-3b1b1b0c0003',
        Event: 'Hangup',
      }),
    dialNoAnswer: () =>
      call(CALLER, {
        CallStatus: 'in-progress',
        DialStatus: 'no-answer',
        DialRingStatus: 'true',
        DialHangupCause: 'NO_ANSWER',
        DialALegUUID: CALLER,
        DialBLegUUID: '',
      }),
    participantJoined: () => ({
      ConferenceAction: 'enter',
      ConferenceName: 'xfer-1',
      ConferenceUUID: CONFERENCE,
      ConferenceMemberID: '12',
      CallUUID: HUMAN,
      From: '14155550100',
      To: '14155550111',
    }),
  },
  endsWithContinuation: (doc, url) =>
    doc.body.endsWith(`<Redirect method="POST">${url.replaceAll('&', '&amp;')}</Redirect></Response>`),
  frames: {
    preamble: [],
    start: (customParameters) =>
      JSON.stringify({
        event: 'start',
        sequenceNumber: 1,
        start: {
          callId: CALLER,
          streamId: STREAM,
          accountId: AUTH_ID,
          tracks: ['inbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
        },
        extra_headers: encodeExtraHeaders(customParameters),
      }),
    audio: (payload) =>
      JSON.stringify({
        event: 'media',
        sequenceNumber: 2,
        streamId: STREAM,
        media: {
          track: 'inbound',
          timestamp: '1767225600020',
          chunk: 1,
          payload: payload.toString('base64'),
        },
        extra_headers: '',
      }),
    stop: () => JSON.stringify({ event: 'stop', sequenceNumber: 3, streamId: STREAM }),
  },
});
