import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { twilioMarkup as markup } from '../../providers/twilio/markup.js';
import type { Markup } from '../../providers/types.js';

const XML = '<?xml version="1.0" encoding="UTF-8"?>';
const CONT = 'https://pt.example.com/twilio/voice?callId=CA1&seq=2';
const CONT_XML = 'https://pt.example.com/twilio/voice?callId=CA1&amp;seq=2';

/** Invariant 1 as a check: a document with a stream (or a dial, or a room) ends by asking the daemon. */
function endsWithContinuation(doc: Markup, continuationXml: string): boolean {
  return doc.body.endsWith(`<Redirect method="POST">${continuationXml}</Redirect></Response>`);
}

describe('TwiML (protocols.md §2.2, §2.5)', () => {
  it('answerWithStream: Connect/Stream with parameters, then a Redirect — no Pause', () => {
    const doc = markup.answerWithStream({
      streamUrl: 'wss://pt.example.com/twilio/media',
      parameters: { callId: 'CA1', mediaToken: 'tok"<&>' },
      continuationUrl: CONT,
    });
    expect(doc.contentType).toBe('text/xml');
    expect(doc.body).toBe(
      `${XML}<Response><Connect><Stream url="wss://pt.example.com/twilio/media">` +
        '<Parameter name="callId" value="CA1"/><Parameter name="mediaToken" value="tok&quot;&lt;&amp;>"/>' +
        `</Stream></Connect><Redirect method="POST">${CONT_XML}</Redirect></Response>`,
    );
  });

  it('dialCold: Dial with action, Number with progress callbacks, then a Redirect', () => {
    const doc = markup.dialCold({
      to: '+15550003333',
      callerId: '+15550002222',
      timeoutSec: 10,
      actionUrl: 'https://pt.example.com/twilio/dial-action?callId=CA1&transferId=t1&legId=t1%3A0',
      statusCallbackUrl: 'https://pt.example.com/twilio/status?callId=CA1&transferId=t1&legId=t1%3A0',
      continuationUrl: CONT,
    });
    expect(doc.body).toBe(
      `${XML}<Response>` +
        '<Dial callerId="+15550002222" timeout="10" action="https://pt.example.com/twilio/dial-action?callId=CA1&amp;transferId=t1&amp;legId=t1%3A0" method="POST">' +
        '<Number statusCallback="https://pt.example.com/twilio/status?callId=CA1&amp;transferId=t1&amp;legId=t1%3A0" statusCallbackMethod="POST" statusCallbackEvent="ringing answered completed">+15550003333</Number>' +
        `</Dial><Redirect method="POST">${CONT_XML}</Redirect></Response>`,
    );
  });

  it('dialCold with sendDigits: <Number sendDigits> (keyed once the human answered)', () => {
    const doc = markup.dialCold({
      to: '+15550003333',
      callerId: '+15550002222',
      timeoutSec: 10,
      actionUrl: 'https://pt.example.com/a',
      statusCallbackUrl: 'https://pt.example.com/s',
      continuationUrl: CONT,
      sendDigits: 'ww123#',
    });
    expect(doc.body).toContain(
      '<Number statusCallback="https://pt.example.com/s" statusCallbackMethod="POST" statusCallbackEvent="ringing answered completed" sendDigits="ww123#">+15550003333</Number>',
    );
  });

  it('dialCold to a SIP URI uses <Sip>', () => {
    const doc = markup.dialCold({
      to: 'sip:desk@pbx.example.com',
      callerId: '+15550002222',
      timeoutSec: 15,
      actionUrl: 'https://pt.example.com/a',
      statusCallbackUrl: 'https://pt.example.com/s',
      continuationUrl: CONT,
    });
    expect(doc.body).toContain(
      '<Sip statusCallback="https://pt.example.com/s" statusCallbackMethod="POST" statusCallbackEvent="ringing answered completed">sip:desk@pbx.example.com</Sip>',
    );
    expect(doc.body).not.toContain('<Number');
  });

  it('conferenceHold: the caller waits on hold audio, ends the room on exit, then a Redirect', () => {
    const doc = markup.conferenceHold({
      room: 'xfer-t1',
      holdAudioUrl: 'https://cdn.example.com/hold.xml',
      statusCallbackUrl: 'https://pt.example.com/twilio/conference?callId=CA1&transferId=t1',
      continuationUrl: CONT,
    });
    expect(doc.body).toBe(
      `${XML}<Response><Dial><Conference startConferenceOnEnter="false" endConferenceOnExit="true" beep="false" ` +
        'waitUrl="https://cdn.example.com/hold.xml" waitMethod="GET" ' +
        'statusCallback="https://pt.example.com/twilio/conference?callId=CA1&amp;transferId=t1" statusCallbackMethod="POST" ' +
        'statusCallbackEvent="start end join leave hold announcement" participantLabel="caller">xfer-t1</Conference></Dial>' +
        `<Redirect method="POST">${CONT_XML}</Redirect></Response>`,
    );
  });

  it("conferenceHold without hold audio leaves Twilio's default music", () => {
    const doc = markup.conferenceHold({
      room: 'xfer-t1',
      statusCallbackUrl: 'https://pt.example.com/c',
      continuationUrl: CONT,
      label: 'customer',
    });
    expect(doc.body).not.toContain('waitUrl');
    expect(doc.body).toContain('participantLabel="customer"');
  });

  it('whisperThenJoin: Say to the human, then the room (starting it)', () => {
    const doc = markup.whisperThenJoin({
      text: 'Caller asks about billing & refunds.',
      room: 'xfer-t1',
      label: 'human',
    });
    expect(doc.body).toBe(
      `${XML}<Response><Say>Caller asks about billing &amp; refunds.</Say><Dial>` +
        '<Conference startConferenceOnEnter="true" endConferenceOnExit="true" beep="false" participantLabel="human">xfer-t1</Conference>' +
        '</Dial></Response>',
    );
  });

  it('whisperThenJoin with conference events, and no Say for an empty whisper', () => {
    const doc = markup.whisperThenJoin({
      text: ' ',
      room: 'xfer-t1',
      label: 'human',
      statusCallbackUrl: 'https://pt.example.com/twilio/conference?callId=CA1',
    });
    expect(doc.body).toBe(
      `${XML}<Response><Dial>` +
        '<Conference startConferenceOnEnter="true" endConferenceOnExit="true" beep="false" participantLabel="human" ' +
        'statusCallback="https://pt.example.com/twilio/conference?callId=CA1" statusCallbackEvent="start end join leave">xfer-t1</Conference>' +
        '</Dial></Response>',
    );
  });

  it('hangup', () => {
    expect(markup.hangup().body).toBe(`${XML}<Response><Hangup/></Response>`);
  });

  it('pause, then ask again (never a trailing pause)', () => {
    expect(
      markup.pauseThenAsk?.({ seconds: 1, continuationUrl: 'https://pt.test/twilio/voice?seq=3' }).body,
    ).toBe(
      `${XML}<Response><Pause length="1"/><Redirect method="POST">https://pt.test/twilio/voice?seq=3</Redirect></Response>`,
    );
  });
});

describe('invariant 1: every document that hosts a stream ends with a continuation', () => {
  const url = fc.webUrl({ withQueryParameters: true });
  const xmlText = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

  it('for any parameters and URLs', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
        url,
        (parameters, continuationUrl) => {
          const doc = markup.answerWithStream({
            streamUrl: 'wss://pt.example.com/twilio/media',
            parameters,
            continuationUrl,
          });
          expect(endsWithContinuation(doc, xmlText(continuationUrl))).toBe(true);
          expect(doc.body).not.toContain('<Pause');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('and so do the documents a caller can run off the end of', () => {
    const dial = markup.dialCold({
      to: '+15550003333',
      callerId: '+15550002222',
      timeoutSec: 10,
      actionUrl: 'https://pt.example.com/a',
      statusCallbackUrl: 'https://pt.example.com/s',
      continuationUrl: CONT,
    });
    const hold = markup.conferenceHold({
      room: 'r',
      statusCallbackUrl: 'https://pt.example.com/c',
      continuationUrl: CONT,
    });
    expect(endsWithContinuation(dial, CONT_XML)).toBe(true);
    expect(endsWithContinuation(hold, CONT_XML)).toBe(true);
  });
});
