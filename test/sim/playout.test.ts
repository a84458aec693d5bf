import { describe, expect, it } from 'vitest';
import { decodeServerMessage } from '../../sim/carriers/twilio/stream-messages.js';
import { PlayoutQueue } from '../../sim/playout.js';

describe('PlayoutQueue', () => {
  it('plays 160 bytes per tick across messages and releases a mark the tick after its audio', () => {
    const q = new PlayoutQueue();
    q.pushAudio(Buffer.alloc(100, 1));
    q.pushAudio(Buffer.alloc(100, 2));
    q.pushMark('a');
    q.pushMark('b');
    const t1 = q.tick();
    expect([t1.marks, t1.frame?.length, q.queuedBytes]).toEqual([[], 160, 40]);
    expect(t1.frame?.subarray(99, 101)).toEqual(Buffer.from([1, 2]));
    const t2 = q.tick();
    expect([t2.marks, t2.frame?.length]).toEqual([[], 40]);
    const t3 = q.tick();
    expect([t3.marks, t3.frame]).toEqual([['a', 'b'], undefined]);
  });

  it('clear drops audio and returns pending marks in order', () => {
    const q = new PlayoutQueue();
    q.pushAudio(Buffer.alloc(1000));
    q.pushMark('x');
    q.pushAudio(Buffer.alloc(10));
    q.pushMark('y');
    expect(q.clear()).toEqual(['x', 'y']);
    expect(q.queuedBytes).toBe(0);
    expect(q.tick()).toEqual({ marks: [], frame: undefined });
  });
});

describe('decodeServerMessage (Twilio server → Twilio)', () => {
  const sid = `MZ${'0'.repeat(32)}`;
  it.each([
    [JSON.stringify({ event: 'clear', streamSid: sid }), { type: 'clear' }],
    [JSON.stringify({ event: 'mark', streamSid: sid, mark: { name: 'm' } }), { type: 'mark', name: 'm' }],
    [
      JSON.stringify({ event: 'media', streamSid: sid, media: { payload: 'AAE=' } }),
      { type: 'media', payload: Buffer.from([0, 1]) },
    ],
    [
      JSON.stringify({ event: 'media', media: { payload: 'AAE=' } }),
      { type: 'rejected', detail: 'wrong or missing streamSid in media' },
    ],
    [
      JSON.stringify({ event: 'media', streamSid: sid, media: { payload: 'AA' } }),
      { type: 'rejected', detail: 'media payload is not base64' },
    ],
    [JSON.stringify({ event: 'dance', streamSid: sid }), { type: 'rejected', detail: 'unknown event dance' }],
    ['{', { type: 'rejected', detail: 'invalid JSON' }],
    [undefined, { type: 'rejected', detail: 'binary frame' }],
  ])('decodes %s', (text, expected) => {
    expect(decodeServerMessage(text, sid, true)).toEqual(expected);
  });

  it('rejects anything on a unidirectional stream', () => {
    expect(decodeServerMessage(JSON.stringify({ event: 'clear', streamSid: sid }), sid, false).type).toBe(
      'rejected',
    );
  });
});
