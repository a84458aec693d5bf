import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DispatchRecord,
  type InstrumentCounters,
  matchRestByCall,
  newCounters,
  restMatchCheck,
  watchRestRequests,
} from '../../bench/lib/instrument.js';

/**
 * The control bench without attribution (bench/lib/instrument.ts): each carrier REST request is
 * recorded with the call it names — the SID in its path, or the `callId` of the callback URLs in
 * its form body, which Node has already written when it announces the request — and a trigger's
 * first REST request is the first one of its call after the trigger's dispatch started.
 */

const CALLER = `CA${'a'.repeat(32)}`;
const OTHER = `CA${'b'.repeat(32)}`;
const ACCOUNT = `AC${'0'.repeat(32)}`;
/** A warm trigger's dial and a handoff's move of the caller, as the bench names them. */
const DIAL = 'POST /2010-04-01/Accounts/AC…/Calls.json';
const MOVE = 'POST /2010-04-01/Accounts/AC…/Calls/CA….json';

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function post(path: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function dispatch(callId: string, input: string, startedAtMs: number, extra: Partial<DispatchRecord> = {}) {
  return { callId, input, status: 'applied', startedAtMs, durationMs: 1, commands: 0, ...extra };
}

describe('watchRestRequests', () => {
  it('names the call from the SID in the path or from the callId of a form body, and nothing else', async () => {
    const counters: InstrumentCounters = newCounters();
    const stop = watchRestRequests(() => counters);
    try {
      const callback = encodeURIComponent(`http://pt.example/twilio/leg?callId=${OTHER}&legId=l1`);
      await post(`/2010-04-01/Accounts/${ACCOUNT}/Calls/${CALLER}.json`, 'Url=x');
      await post(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, `To=%2B1415&Url=${callback}`);
      await post(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, 'To=%2B1415&Url=http%3A%2F%2Fpt.example%2F');
    } finally {
      stop();
    }
    // Read from /proc on Linux: each request's thread times, never falling.
    if (process.platform === 'linux')
      for (const key of ['onCoreMs', 'waitMs'] as const) {
        const readings = counters.rests.map((r) => r.times?.[key] ?? -1);
        expect(readings.every((ms) => ms >= 0)).toBe(true);
        expect([...readings].sort((a, b) => a - b)).toEqual(readings);
      }
    expect(counters.rests.map((r) => [r.path, r.callId])).toEqual([
      ['POST /2010-04-01/Accounts/AC…/Calls/CA….json', CALLER],
      ['POST /2010-04-01/Accounts/AC…/Calls.json', OTHER],
      ['POST /2010-04-01/Accounts/AC…/Calls.json', undefined],
    ]);
  });
});

describe('matchRestByCall', () => {
  const rests = [
    { atMs: 90, path: DIAL, callId: CALLER },
    { atMs: 104, path: DIAL, callId: OTHER },
    { atMs: 105, path: MOVE, callId: CALLER },
    { atMs: 107, path: DIAL, callId: CALLER },
    { atMs: 130, path: MOVE, callId: CALLER },
  ];

  it("gives a trigger the first request of its call and of its kind at or after its dispatch's start", () => {
    const counters = {
      ...newCounters(),
      rests,
      dispatches: [
        dispatch(CALLER, 'transfer.request', 100),
        dispatch(CALLER, 'transfer.event:handoff.played', 100),
      ],
    };
    const [dial, move] = matchRestByCall(counters).dispatches;
    expect(dial).toMatchObject({ restAfterMs: 7, restPath: DIAL, restMatched: true });
    expect(move).toMatchObject({ restAfterMs: 5, restPath: MOVE, restMatched: true });
    expect(dial?.restThread).toBeUndefined();
  });

  it("gives a matched trigger the main thread's times between its start and its request", () => {
    const counters = {
      ...newCounters(),
      rests: [
        { atMs: 104, path: DIAL, callId: CALLER, times: { onCoreMs: 12.75, waitMs: 51.5 } },
        { atMs: 107, path: DIAL, callId: OTHER },
      ],
      dispatches: [
        dispatch(CALLER, 'transfer.request', 100, { timesAtStart: { onCoreMs: 11, waitMs: 50 } }),
        dispatch(OTHER, 'transfer.request', 100, { timesAtStart: { onCoreMs: 11, waitMs: 50 } }),
      ],
    };
    const [timed, untimed] = matchRestByCall(counters).dispatches;
    expect(timed).toMatchObject({ restAfterMs: 4, restThread: { onCoreMs: 1.75, waitMs: 1.5 } });
    expect(untimed).toMatchObject({ restAfterMs: 7 });
    expect(untimed?.restThread).toBeUndefined();
  });

  it("gives a cold trigger nothing: the caller's redirect is its handoff's", () => {
    const counters = {
      ...newCounters(),
      rests: [{ atMs: 125, path: MOVE, callId: CALLER }],
      dispatches: [
        dispatch(CALLER, 'transfer.event:handoff.played', 120),
        dispatch(CALLER, 'transfer.request', 100),
      ],
    };
    const [played, request] = matchRestByCall(counters).dispatches;
    expect(played).toMatchObject({ restAfterMs: 5, restMatched: true });
    expect(request?.restAfterMs).toBeUndefined();
  });

  it('leaves alone what attribution found, other inputs, dispatches that applied nothing, and calls with no request', () => {
    const counters = {
      ...newCounters(),
      rests,
      dispatches: [
        dispatch(CALLER, 'transfer.request', 100, { restAfterMs: 3, restPath: 'POST by context' }),
        dispatch(CALLER, 'transfer.event:leg.ringing', 100),
        dispatch(CALLER, 'transfer.event:handoff.played', 100, { status: 'duplicate' }),
        dispatch(`CA${'c'.repeat(32)}`, 'transfer.event:handoff.played', 100),
        dispatch(CALLER, 'transfer.event:handoff.played', 131),
      ],
    };
    expect(matchRestByCall(counters).dispatches).toEqual(counters.dispatches);
  });
});

describe('restMatchCheck', () => {
  const rests = [
    { atMs: 104, path: DIAL, callId: CALLER },
    { atMs: 125, path: MOVE, callId: OTHER },
  ];

  it('finds none where the async context found the same', () => {
    const counters = {
      ...newCounters(),
      rests,
      dispatches: [
        dispatch(CALLER, 'transfer.request', 100, { restAfterMs: 4, restPath: DIAL }),
        dispatch(OTHER, 'transfer.request', 100),
        dispatch(OTHER, 'transfer.event:handoff.played', 120, { restAfterMs: 5, restPath: MOVE }),
      ],
    };
    expect(restMatchCheck(counters)).toEqual({ checked: 3, mismatches: [] });
  });

  it('names each trigger where it did not', () => {
    const counters = {
      ...newCounters(),
      rests,
      dispatches: [
        dispatch(CALLER, 'transfer.request', 100),
        dispatch(OTHER, 'transfer.request', 100, { restAfterMs: 25, restPath: MOVE }),
        dispatch(OTHER, 'transfer.event:handoff.played', 120),
      ],
    };
    expect(restMatchCheck(counters).mismatches).toEqual([
      `transfer.request ${CALLER}: context undefined undefined, matched 4 ${DIAL}`,
      `transfer.request ${OTHER}: context 25 ${MOVE}, matched undefined undefined`,
      `transfer.event:handoff.played ${OTHER}: context undefined undefined, matched 5 ${MOVE}`,
    ]);
  });
});
