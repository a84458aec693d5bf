import { describe, expect, it } from 'vitest';
import type { Carrier } from '../../src/domain/carrier.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { type CallRecord, newCallRecord, withTimeline } from '../../src/runtime/call-record.js';
import { CallLiveness } from '../../src/runtime/liveness.js';
import { MemoryStore } from '../../src/store/memory-store.js';

const MINUTE = 60_000;

async function twoWorkers(live: ReadonlySet<string>, streamingOn: Record<string, string> = {}) {
  let nowMs = 1_767_225_600_000;
  const store = new MemoryStore<CallRecord>({ now: () => nowMs, sweepIntervalMs: 0 });
  const asked: string[] = [];
  const ended: string[] = [];
  const worker = (name: string) =>
    new CallLiveness({
      calls: store.calls,
      dedupe: store.dedupe,
      callLive: (carrier: Carrier) =>
        carrier === 'exotel'
          ? undefined
          : async (id: string) => {
              asked.push(`${name}:${id}`);
              return live.has(id);
            },
      streamingHere: (callId) => streamingOn[callId] === name,
      ended: async (callId) => {
        ended.push(`${name}:${callId}`);
      },
      now: () => nowMs,
      timers: new VirtualTime(),
      intervalMs: MINUTE,
    });
  const add = async (callId: string, carrier: Carrier, atMs = nowMs) => {
    const record = newCallRecord({
      callId,
      carrier,
      agentId: 'a',
      agentVersion: 1,
      direction: 'inbound',
      from: '+14155550100',
      to: '+14155550101',
      nowMs: atMs,
    });
    await store.calls.create(callId, record);
  };
  return {
    store,
    asked,
    ended,
    a: worker('a'),
    b: worker('b'),
    add,
    advance: (ms: number) => {
      nowMs += ms;
    },
    nowMs: () => nowMs,
  };
}

describe('CallLiveness', () => {
  it('asks about each quiet call once per interval across workers, and ends the ones the carrier says are over', async () => {
    const w = await twoWorkers(new Set(['live-1']));
    await w.add('live-1', 'twilio');
    await w.add('gone-1', 'plivo');
    await w.add('exotel-1', 'exotel'); // its carrier cannot be asked
    // Not quiet for an interval yet: nobody is asked.
    expect(await w.a.sweep()).toBe(0);
    expect(w.asked).toEqual([]);
    w.advance(MINUTE);
    expect(await w.a.sweep()).toBe(1);
    expect(await w.b.sweep()).toBe(0); // the same interval: worker a asked already
    expect(w.asked.sort()).toEqual(['a:gone-1', 'a:live-1']);
    expect(w.ended).toEqual(['a:gone-1']);
    // The next interval asks again (b may win it this time).
    w.advance(MINUTE);
    await w.b.sweep();
    await w.a.sweep();
    expect(w.asked.filter((x) => x.endsWith(':live-1'))).toHaveLength(2);
  });

  it('leaves alone a call whose record changed recently, and one whose stream this worker holds', async () => {
    const w = await twoWorkers(new Set(), { streaming: 'a' });
    await w.add('busy', 'twilio');
    await w.add('streaming', 'twilio');
    w.advance(MINUTE);
    const stored = await w.store.calls.get('busy');
    await w.store.commit('busy', {
      expectedVersion: stored?.version ?? 0,
      record: withTimeline(stored!.record, { atMs: w.nowMs() - 1_000, event: 'transfer.started' }),
    });
    expect(await w.a.sweep()).toBe(0);
    expect(w.asked).toEqual([]);
    // Worker b does not hold that stream: the carrier is asked (and says it is over).
    expect(await w.b.sweep()).toBe(1);
    expect(w.ended).toEqual(['b:streaming']);
  });
});
