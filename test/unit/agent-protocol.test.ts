import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toolArguments } from '../../src/agent/control-events.js';
import { FrameWriter } from '../../src/agent/websocket/frames.js';
import { agentMediaSchema, parseAgentFrame } from '../../src/agent/websocket/protocol.js';
import { type AudioFormat, MULAW_8K } from '../../src/domain/media.js';
import { redactDestination } from '../../src/phone/redact.js';

const PCM16K: AudioFormat = { encoding: 'pcm16', sampleRate: 16000 };
const parse = (frame: unknown, format: AudioFormat = MULAW_8K) =>
  parseAgentFrame(JSON.stringify(frame), format);

describe('parseAgentFrame: what a Twilio bot sends', () => {
  it('decodes media (streamSid optional)', () => {
    const result = parse({
      event: 'media',
      streamSid: 'MZ1',
      media: { payload: Buffer.from([1, 2, 255]).toString('base64') },
    });
    expect(result).toEqual({ type: 'media', payload: Buffer.from([1, 2, 255]) });
    expect(parse({ event: 'media', media: { payload: '' } })).toEqual({
      type: 'media',
      payload: Buffer.alloc(0),
    });
  });

  it('accepts mark and clear', () => {
    expect(parse({ event: 'mark', streamSid: 'MZ1', mark: { name: 'utt-7' } })).toMatchObject({
      type: 'ok',
      message: { event: 'mark', mark: { name: 'utt-7' } },
    });
    expect(parse({ event: 'clear', streamSid: 'MZ1' })).toMatchObject({
      type: 'ok',
      message: { event: 'clear' },
    });
  });

  it('ignores events it does not know, as Twilio would', () => {
    expect(parse({ event: 'something_new', data: 1 })).toEqual({ type: 'unknown', event: 'something_new' });
  });
});

describe('parseAgentFrame: extensions', () => {
  it.each([
    [{ event: 'transfer' }],
    [
      {
        event: 'transfer',
        destination: '+14155550111',
        reason: 'billing',
        mode: 'warm',
        summary: 'Wants a refund.',
      },
    ],
    [{ event: 'transfer', rule: 'billing' }],
    [{ event: 'transfer', skill: 'escalate', confirmed: true }],
    [{ event: 'text', text: 'Let me put you [TRANS' }],
    [{ event: 'text', text: '', final: true }],
    [{ event: 'tool_call', id: 'call_1', name: 'transfer_call', arguments: { destination: '+14155550111' } }],
    [{ event: 'tool_call', id: 'call_2', name: 'connect_to_live_agent' }],
    [{ event: 'summary', text: 'Caller wants a refund for order 42.' }],
    [{ event: 'hangup' }],
    [{ event: 'hangup', reason: 'goodbye' }],
  ])('accepts %j', (frame) => {
    const result = parse(frame);
    expect(result.type).toBe('ok');
    if (result.type === 'ok') expect(result.message.event).toBe(frame.event);
  });

  it('keeps extra fields out (a bot may send more than the protocol names)', () => {
    const result = parse({ event: 'hangup', reason: 'x', vendor: { a: 1 } });
    expect(result).toEqual({ type: 'ok', message: { event: 'hangup', reason: 'x' } });
  });
});

describe('parseAgentFrame: bad frames', () => {
  it.each([
    ['not JSON', '{"event":', 'invalid_json'],
    ['not an object', '[1,2]', 'invalid_frame'],
    ['null', 'null', 'invalid_frame'],
    ['no event', '{"media":{"payload":""}}', 'invalid_frame'],
    ['event not a string', '{"event":5}', 'invalid_frame'],
    ['media without payload', '{"event":"media","media":{}}', 'invalid_frame'],
    ['media payload a number', '{"event":"media","media":{"payload":5}}', 'invalid_frame'],
    ['media streamSid a number', '{"event":"media","streamSid":1,"media":{"payload":""}}', 'invalid_frame'],
    ['media not base64', '{"event":"media","media":{"payload":"!!!!"}}', 'invalid_audio'],
    ['mark without name', '{"event":"mark","mark":{}}', 'invalid_frame'],
    ['mark with empty name', '{"event":"mark","mark":{"name":""}}', 'invalid_frame'],
    ['transfer with two targets', '{"event":"transfer","rule":"a","skill":"b"}', 'invalid_frame'],
    ['transfer with a bad mode', '{"event":"transfer","mode":"lukewarm"}', 'invalid_frame'],
    ['text without text', '{"event":"text"}', 'invalid_frame'],
    ['tool_call without id', '{"event":"tool_call","name":"transfer_call"}', 'invalid_frame'],
    ['summary empty', '{"event":"summary","text":""}', 'invalid_frame'],
  ])('%s → %s', (_name, text, code) => {
    const result = parseAgentFrame(text, MULAW_8K);
    expect(result).toMatchObject({ type: 'invalid', code });
  });

  it('PCM16 audio must be whole samples', () => {
    const odd = { event: 'media', media: { payload: Buffer.alloc(3).toString('base64') } };
    expect(parse(odd, PCM16K)).toMatchObject({ type: 'invalid', code: 'invalid_audio' });
    expect(parse(odd, MULAW_8K).type).toBe('media');
  });

  it('never quotes a value back (it may be a phone number)', () => {
    const result = parse({ event: 'transfer', destination: '+14155550111', rule: 'r', mode: '+14155550111' });
    expect(result.type).toBe('invalid');
    if (result.type === 'invalid') expect(result.message).not.toContain('4155550111');
  });

  it('the media fast path accepts exactly what the media schema accepts', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.constant(undefined),
      fc.base64String(),
    );
    const frame = fc.record(
      {
        streamSid: value,
        media: fc.oneof(fc.record({ payload: value }, { requiredKeys: [] }), value),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(frame, (f) => {
        const full = { event: 'media', ...f };
        const schemaOk = agentMediaSchema.safeParse(full).success;
        const result = parse(full);
        // The fast path may additionally refuse undecodable base64 (invalid_audio).
        if (result.type === 'invalid' && result.code === 'invalid_audio') return;
        expect(result.type === 'media').toBe(schemaOk);
      }),
      { numRuns: 500 },
    );
  });
});

describe('toolArguments', () => {
  it('takes objects and JSON strings of objects; anything else is empty', () => {
    expect(toolArguments({ a: 1 })).toEqual({ a: 1 });
    expect(toolArguments('{"destination":"+1"}')).toEqual({ destination: '+1' });
    expect(toolArguments('not json')).toEqual({});
    expect(toolArguments([1])).toEqual({});
    expect(toolArguments(undefined)).toEqual({});
  });
});

describe('FrameWriter: the frames a Twilio bot expects (protocols.md §2.3)', () => {
  const ids = { streamSid: 'MZ0123', accountSid: 'AC0', callSid: 'CA1' };

  it('connected, then start as sequence "1", then numbered media with string chunk and timestamp', () => {
    const w = new FrameWriter(ids);
    expect(JSON.parse(w.connected())).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(JSON.parse(w.start({ callId: 'c1' }, MULAW_8K))).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: 'MZ0123',
      start: {
        streamSid: 'MZ0123',
        accountSid: 'AC0',
        callSid: 'CA1',
        tracks: ['inbound'],
        customParameters: { callId: 'c1' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    const payload = Buffer.from([0xff, 0x7f, 0x00]);
    expect(JSON.parse(w.media(payload, 20.4).toString())).toEqual({
      event: 'media',
      sequenceNumber: '2',
      streamSid: 'MZ0123',
      media: { track: 'inbound', chunk: '1', timestamp: '20', payload: payload.toString('base64') },
    });
    expect(JSON.parse(w.media(payload, 40).toString())).toMatchObject({
      sequenceNumber: '3',
      media: { chunk: '2', timestamp: '40' },
    });
    expect(JSON.parse(w.dtmf('5'))).toEqual({
      event: 'dtmf',
      sequenceNumber: '4',
      streamSid: 'MZ0123',
      dtmf: { track: 'inbound_track', digit: '5' },
    });
    expect(JSON.parse(w.mark('utt-7'))).toEqual({
      event: 'mark',
      sequenceNumber: '5',
      streamSid: 'MZ0123',
      mark: { name: 'utt-7' },
    });
    expect(JSON.parse(w.stop())).toEqual({
      event: 'stop',
      sequenceNumber: '6',
      streamSid: 'MZ0123',
      stop: { accountSid: 'AC0', callSid: 'CA1' },
    });
    w.reset();
    expect(JSON.parse(w.start({}, PCM16K))).toMatchObject({
      sequenceNumber: '1',
      start: { mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 } },
    });
  });

  it('media frames are the exact bytes of the JSON, whatever the numbers, payload and stream id', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
        fc.array(
          fc.tuple(fc.uint8Array({ maxLength: 480 }), fc.double({ min: -5, max: 1e12, noNaN: true })),
          {
            maxLength: 30,
          },
        ),
        fc.nat({ max: 20 }),
        (streamSid, frames, before) => {
          const w = new FrameWriter({ ...ids, streamSid });
          // Other frames count in sequenceNumber too.
          for (let i = 0; i < before; i++) w.mark(`m${i}`);
          frames.forEach(([bytes, timestampMs], i) => {
            const payload = Buffer.from(bytes).toString('base64');
            const expected = JSON.stringify({
              event: 'media',
              sequenceNumber: String(before + i + 1),
              streamSid,
              media: {
                track: 'inbound',
                chunk: String(i + 1),
                timestamp: String(Math.max(0, Math.round(timestampMs))),
                payload,
              },
            });
            // Every other frame with room for a WebSocket header in front (src/lib/ws-text-frame.ts).
            const headroom = i % 2 === 0 ? 0 : 8;
            const frame = w.mediaBase64(
              payload,
              timestampMs,
              i % 2 === 0
                ? undefined
                : (length) => {
                    expect(length).toBe(Buffer.byteLength(expected));
                    return 8;
                  },
            );
            expect(frame.length).toBe(headroom + Buffer.byteLength(expected));
            expect(frame.subarray(headroom).equals(Buffer.from(expected, 'utf8'))).toBe(true);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes the extension events', () => {
    const w = new FrameWriter(ids);
    expect(JSON.parse(w.transferStatus({ transferId: 't1', status: 'failed', outcome: 'busy' }))).toEqual({
      event: 'transfer_status',
      sequenceNumber: '1',
      streamSid: 'MZ0123',
      transferId: 't1',
      status: 'failed',
      outcome: 'busy',
    });
    expect(JSON.parse(w.summaryRequest('t1', 3000))).toMatchObject({
      event: 'summary_request',
      transferId: 't1',
      timeoutMs: 3000,
    });
    expect(JSON.parse(w.resume('t1', 'carrier_error', '31005'))).toMatchObject({
      event: 'resume',
      transferId: 't1',
      outcome: 'carrier_error',
      carrierCode: '31005',
    });
    expect(JSON.parse(w.toolResult('call_1', { ok: true, result: { transferId: 't1' } }))).toMatchObject({
      event: 'tool_result',
      id: 'call_1',
      ok: true,
      result: { transferId: 't1' },
    });
    expect(
      JSON.parse(
        w.toolResult('call_2', {
          ok: false,
          error: { code: 'missing_transfer_number', message: 'no number' },
        }),
      ),
    ).toMatchObject({ ok: false, error: { code: 'missing_transfer_number' } });
    expect(JSON.parse(w.error('invalid_frame', 'event: expected a string'))).toMatchObject({
      event: 'error',
      code: 'invalid_frame',
    });
  });
});

describe('redactDestination', () => {
  it.each([
    ['+14155550111', '+*******0111'],
    ['sip:alice@pbx.example.com', 'sip:***@pbx.example.com'],
    ['sips:bob@10.0.0.1:5061', 'sips:***@10.0.0.1:5061'],
    ['911', '***'],
    ['call me maybe', '***'],
  ])('%s → %s', (input, output) => {
    expect(redactDestination(input)).toBe(output);
  });
});
