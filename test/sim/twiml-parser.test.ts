import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { parseTwiml, TwimlParseError } from '../../sim/carriers/twilio/twiml-parser.js';

const { VoiceResponse } = twilio.twiml;

describe('TwiML parser', () => {
  it('parses what twilio.twiml.VoiceResponse generates, decoding entities', () => {
    const r = new VoiceResponse();
    const dial = r.dial({
      callerId: '+15550002222',
      timeout: 20,
      action: 'https://app.example.com/dial?x=1&y=2',
    });
    dial.number({ url: 'https://app.example.com/whisper' }, '+15550003333');
    r.say('Tom & Jerry say "hi" <loud>');
    const doc = parseTwiml(r.toString());
    expect(doc.name).toBe('Response');
    expect(doc.children.map((c) => c.name)).toEqual(['Dial', 'Say']);
    expect(doc.children[0]?.attributes).toEqual({
      callerId: '+15550002222',
      timeout: '20',
      action: 'https://app.example.com/dial?x=1&y=2',
    });
    expect(doc.children[0]?.children[0]).toMatchObject({
      name: 'Number',
      attributes: { url: 'https://app.example.com/whisper' },
      text: '+15550003333',
    });
    expect(doc.children[1]?.text).toBe('Tom & Jerry say "hi" <loud>');
  });

  it('handles comments, CDATA, numeric references and single quotes', () => {
    const doc = parseTwiml(
      "<?xml version='1.0'?>\n<!-- hi --><Response><Say voice='alice'>a&#33;&#x21;<![CDATA[<b>]]></Say><Pause/></Response>\n",
    );
    expect(doc.children[0]?.text).toBe('a!!<b>');
    expect(doc.children[0]?.attributes['voice']).toBe('alice');
    expect(doc.children[1]?.name).toBe('Pause');
  });

  it.each([
    ['not xml at all'],
    ['<Response><Say>unclosed</Response>'],
    ['<Response><Say loud=yes>x</Say></Response>'],
    ['<Response><Say>&nbsp;</Say></Response>'],
    ['<Other/>'],
    ['  <?xml version="1.0"?><Response/>'],
    ['<!DOCTYPE x><Response/>'],
    ['<Response/><Response/>'],
    ['<Response a="1" a="2"/>'],
  ])('rejects %j with code 12100', (xml) => {
    let err: unknown;
    try {
      parseTwiml(xml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TwimlParseError);
    expect((err as TwimlParseError).code).toBe(12100);
  });
});
