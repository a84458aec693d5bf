import { describe, expect, it } from 'vitest';
import { echoFrame, FrameLedger, payloadAt, stampedPayload } from '../../bench/media/frames.js';

/**
 * The media bench's load process reads and restamps frames on their bytes (bench/media/frames.ts):
 * what it reads must be what the carrier side stamped, and its echo must differ from the frame it
 * got only in the stamp's time.
 */

const SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';
const bytes = (text: string) => Buffer.from(text, 'utf8');

/** A carrier's frame as the daemon or the relay hands it to the agent. */
function carrierFrame(callIndex: number, seq: number, atMs: number): string {
  return (
    `{"event":"media","sequenceNumber":"${seq + 2}","media":{"track":"inbound","chunk":"${seq + 1}",` +
    `"timestamp":"${seq * 20}","payload":"${stampedPayload(callIndex, seq, atMs)}"},"streamSid":"${SID}"}`
  );
}

describe('payloadAt', () => {
  it('finds the payload of a media message, in either field order', () => {
    const frame = carrierFrame(3, 7, 1.5);
    expect(payloadAt(bytes(frame))).toBe(frame.indexOf('"payload":"') + 11);
    const reply = `{"event":"media","streamSid":"${SID}","media":{"payload":"AAAA"}}`;
    expect(payloadAt(bytes(reply))).toBe(reply.indexOf('AAAA'));
  });

  it('answers -1 for anything else', () => {
    expect(payloadAt(bytes(`{"event":"mark","streamSid":"${SID}","mark":{"name":"a"}}`))).toBe(-1);
    expect(payloadAt(bytes('{"event":"media","streamSid":"x"}'))).toBe(-1);
    expect(payloadAt(bytes('{"ev'))).toBe(-1);
  });
});

describe('the ledger reading a frame', () => {
  it('counts the call, sequence and latency the carrier side stamped', () => {
    const ledger = new FrameLedger(8);
    const frame = bytes(carrierFrame(5, 0, 1_000.25));
    expect(ledger.up.seeFrame(frame, payloadAt(frame), 1_012.75, true)).toBe(true);
    const next = bytes(carrierFrame(5, 2, 1_040));
    expect(ledger.up.seeFrame(next, payloadAt(next), 1_041, true)).toBe(true);
    const late = bytes(carrierFrame(5, 1, 1_020));
    expect(ledger.up.seeFrame(late, payloadAt(late), 1_050, false)).toBe(true);
    expect(ledger.up.received[5]).toBe(3);
    expect(ledger.up.gaps).toBe(1);
    expect(ledger.up.reordered).toBe(1);
    expect([...ledger.up.latency.values()]).toEqual([12.5, 1]);
  });

  it('ignores a payload that carries no stamp', () => {
    const ledger = new FrameLedger(8);
    const frame = bytes(`{"event":"media","streamSid":"${SID}","media":{"payload":"////"}}`);
    expect(ledger.down.seeFrame(frame, payloadAt(frame), 1, true)).toBe(false);
    const bad = bytes(`{"event":"media","media":{"payload":"${'*'.repeat(24)}"}}`);
    expect(ledger.down.seeFrame(bad, payloadAt(bad), 1, true)).toBe(false);
    expect(ledger.down.total()).toBe(0);
  });
});

describe('echoFrame', () => {
  it("answers with the agent's media message: the same payload, only the stamp's time changed", () => {
    const head = bytes(`{"event":"media","streamSid":"${SID}","media":{"payload":"`);
    const frame = bytes(carrierFrame(9, 41, 500.5));
    const echo = echoFrame(head, frame, payloadAt(frame), 777.125);
    expect(echo).toBeDefined();
    const text = String(echo);
    const parsed = JSON.parse(text) as { event: string; streamSid: string; media: { payload: string } };
    expect(parsed.event).toBe('media');
    expect(parsed.streamSid).toBe(SID);
    expect(parsed.media.payload).toBe(stampedPayload(9, 41, 777.125));
    expect(Buffer.from(parsed.media.payload, 'base64')).toHaveLength(160);
    // The carrier side reads the new time back.
    const ledger = new FrameLedger(16);
    expect(ledger.down.seeFrame(echo ?? Buffer.alloc(0), payloadAt(echo ?? Buffer.alloc(0)), 800, true)).toBe(
      true,
    );
    expect(ledger.down.received[9]).toBe(1);
    expect([...ledger.down.latency.values()]).toEqual([22.875]);
  });
});
