import twilio from 'twilio';
import { twilioAdapterFactory } from '../../providers/twilio/adapter.js';
import type { WebhookParams } from '../../providers/types.js';
import { runAdapterContract } from './adapter-contract.js';

const AC = `AC${'1'.repeat(32)}`;
const TOKEN = 'contract-auth-token';
const CALLER = `CA${'a'.repeat(32)}`;
const HUMAN = `CA${'b'.repeat(32)}`;
const MZ = `MZ${'f'.repeat(32)}`;

const call = (sid: string, extra: Record<string, string>): WebhookParams => ({
  CallSid: sid,
  AccountSid: AC,
  From: '+15550001111',
  To: '+15550002222',
  Direction: 'inbound',
  ApiVersion: '2010-04-01',
  ...extra,
});

runAdapterContract('twilio', {
  factory: twilioAdapterFactory,
  settings: {
    publicUrl: 'https://pt.example.com',
    credentials: { accountId: AC, authToken: TOKEN },
    // Nothing is sent in this suite; REST is covered by twilio-control.test.ts.
    apiBase: 'http://127.0.0.1:9',
  },
  invalidSettings: { publicUrl: 'ftp://nope', credentials: { accountId: 'XX1', authToken: '' } },
  sign: (req) => ({
    ...req,
    headers: {
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        TOKEN,
        req.url,
        req.params as Record<string, string>,
      ),
    },
  }),
  payloads: {
    incoming: () => call(CALLER, { CallStatus: 'ringing' }),
    continuation: () => call(CALLER, { CallStatus: 'in-progress' }),
    legBusy: () =>
      call(HUMAN, {
        Direction: 'outbound-api',
        CallStatus: 'busy',
        CallbackSource: 'call-progress-events',
        SequenceNumber: '2',
        SipResponseCode: '486',
      }),
    dialNoAnswer: () =>
      call(CALLER, { CallStatus: 'in-progress', DialCallStatus: 'no-answer', DialCallSid: HUMAN }),
    participantJoined: () => ({
      AccountSid: AC,
      ConferenceSid: `CF${'c'.repeat(32)}`,
      FriendlyName: 'xfer-1',
      SequenceNumber: '2',
      StatusCallbackEvent: 'participant-join',
      CallSid: HUMAN,
      ParticipantLabel: 'human',
      Hold: 'false',
      Muted: 'false',
    }),
  },
  endsWithContinuation: (doc, url) =>
    doc.body.endsWith(`<Redirect method="POST">${url.replaceAll('&', '&amp;')}</Redirect></Response>`),
  frames: {
    preamble: ['{"event":"connected","protocol":"Call","version":"1.0.0"}'],
    start: (customParameters) =>
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: MZ,
        start: {
          streamSid: MZ,
          accountSid: AC,
          callSid: CALLER,
          tracks: ['inbound'],
          customParameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    audio: (payload) =>
      JSON.stringify({
        event: 'media',
        sequenceNumber: '2',
        streamSid: MZ,
        media: { track: 'inbound', chunk: '1', timestamp: '20', payload: payload.toString('base64') },
      }),
    stop: () =>
      JSON.stringify({
        event: 'stop',
        sequenceNumber: '3',
        streamSid: MZ,
        stop: { accountSid: AC, callSid: CALLER },
      }),
  },
});
