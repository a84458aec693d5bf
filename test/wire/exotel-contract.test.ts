import { exotelAdapterFactory } from '../../providers/exotel/adapter.js';
import { decisionOf } from '../../providers/exotel/markup.js';
import type { WebhookParams } from '../../providers/types.js';
import { runAdapterContract } from './adapter-contract.js';

const SECRET = 'contract-webhook-secret-0123';
const CALLER = 'a'.repeat(32);
const HUMAN = 'b'.repeat(32);
const STREAM = 'f'.repeat(32);

/** The call details Exotel puts in an applet's query (protocols.md §4.6, §4.7). */
const applet = (extra: Record<string, string>): WebhookParams => ({
  CallSid: CALLER,
  CallFrom: '09999000111',
  CallTo: '08047491899',
  Direction: 'incoming',
  Created: 'Mon, 02 Mar 2026 10:48:33',
  CurrentTime: '2026-03-02 10:48:40',
  ...extra,
});

runAdapterContract('exotel', {
  factory: exotelAdapterFactory,
  settings: {
    publicUrl: 'https://pt.example.com',
    credentials: { accountId: 'acme1', apiKey: 'key', authToken: 'token', webhookSecret: SECRET },
    // Nothing is sent in this suite; REST is covered by exotel-control.test.ts.
    apiBase: 'http://127.0.0.1:9',
  },
  invalidSettings: { publicUrl: 'ftp://nope', credentials: { accountId: 'acme1', authToken: '' } },
  // Exotel signs nothing: whoever holds the secret sends it as the Basic-auth password.
  sign: (req) => ({
    ...req,
    headers: { authorization: `Basic ${Buffer.from(`exotel:${SECRET}`).toString('base64')}` },
  }),
  signsParameters: false,
  payloads: {
    incoming: () => applet({}),
    continuation: () => applet({}),
    // A leg placed with Calls/connect reports to the StatusCallback the daemon gave it (§4.5).
    legBusy: () => ({
      CallSid: HUMAN,
      Status: 'busy',
      EventType: 'terminal',
      DateUpdated: '2026-03-02 10:49:01',
      RecordingUrl: '',
    }),
    dialNoAnswer: () => applet({ DialCallStatus: 'no-answer', DialCallSid: HUMAN, CallType: 'call-attempt' }),
    participantJoined: () => ({}),
  },
  // On Exotel the continuation is the flow: after a stream or a dial its Passthru asks the daemon.
  endsWithContinuation: (doc) => {
    const decision = decisionOf(doc);
    return decision !== undefined && decision.next !== 'hangup';
  },
  frames: {
    preamble: ['{"event":"connected"}'],
    start: (customParameters) =>
      JSON.stringify({
        event: 'start',
        sequence_number: '1',
        stream_sid: STREAM,
        start: {
          stream_sid: STREAM,
          call_sid: CALLER,
          account_sid: 'acme1',
          from: '09999000111',
          to: '08047491899',
          custom_parameters: customParameters,
          media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
        },
      }),
    audio: (payload) =>
      JSON.stringify({
        event: 'media',
        sequence_number: '2',
        stream_sid: STREAM,
        media: { chunk: '1', timestamp: '100', payload: payload.toString('base64') },
      }),
    stop: () =>
      JSON.stringify({
        event: 'stop',
        sequence_number: '3',
        stream_sid: STREAM,
        stop: { call_sid: CALLER, account_sid: 'acme1', reason: 'stopped' },
      }),
  },
});
