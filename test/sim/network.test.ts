import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNALS } from '../../sim/audio.js';
import { Ticker } from '../../sim/clock.js';
import { Heard } from '../../sim/heard.js';
import { SimError, type Simulator, startSimulator } from '../../sim/index.js';
import { Leg, type LegEvent } from '../../sim/leg.js';
import { play } from '../../sim/player.js';
import { HUMAN } from './helpers.js';

describe('the virtual phone network', () => {
  let sim: Simulator;

  beforeEach(async () => {
    sim = await startSimulator();
  });

  afterEach(async () => {
    await sim.stop();
  });

  function dial(to = HUMAN, timeoutMs = 2000) {
    const leg = sim.network.dial({ carrier: 'test', from: '+15550000001', to, timeoutMs, label: `CA-${to}` });
    const events: string[] = [];
    leg.on((e: LegEvent) => events.push(e.type));
    return { leg, events };
  }

  it('runs a human who answers, speaks first and hangs up', async () => {
    sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 60,
      speak: { type: 'tone', hz: 500 },
      hangupAfterMs: 200,
    });
    const { leg, events } = dial();
    const frames: Buffer[] = [];
    leg.onAudio((f) => frames.push(f));
    const end = await leg.ended;
    expect(events).toEqual(['leg.ringing', 'leg.answered', 'leg.ended']);
    expect(end).toMatchObject({ status: 'completed', by: 'endpoint', sipCode: 200 });
    // About 10 frames of 20 ms in 200 ms; counted loosely.
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.every((f) => f.length === 160)).toBe(true);
  });

  it.each([
    [{ type: 'busy', afterMs: 10 } as const, 'busy', 486, ['leg.ended']],
    [{ type: 'fail', afterMs: 10 } as const, 'failed', 404, ['leg.ended']],
    [{ type: 'reject', afterMs: 80 } as const, 'declined', 603, ['leg.ringing', 'leg.ended']],
  ])('ends a leg to %o as %s', async (behaviour, status, sip, expected) => {
    sim.network.addHuman(HUMAN, behaviour);
    const { leg, events } = dial();
    const end = await leg.ended;
    expect(end).toMatchObject({ status, sipCode: sip, by: 'endpoint' });
    expect(events).toEqual(expected);
  });

  it('cancels a human who never answers at the ring timeout', async () => {
    sim.network.addHuman(HUMAN, { type: 'no-answer' });
    const { leg, events } = dial(HUMAN, 150);
    expect(await leg.ended).toMatchObject({ status: 'no-answer', by: 'network' });
    expect(events).toEqual(['leg.ringing', 'leg.ended']);
  });

  it('fails numbers nobody added (configurable)', async () => {
    const { leg } = dial('+15550009999');
    expect((await leg.ended).status).toBe('failed');
    await sim.stop();
    sim = await startSimulator({ network: { unknownNumber: { type: 'busy', afterMs: 5 } } });
    expect((await dial('+15550009999').leg.ended).status).toBe('busy');
  });

  it('waitFor rejects with sim.wait_timeout, and unknown endpoints throw', async () => {
    const err = await sim.waitFor(() => false, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimError);
    expect((err as SimError).code).toBe('sim.wait_timeout');
    expect(() => sim.network.endpoint('+19999999999')).toThrow(SimError);
    await expect(sim.network.placeCall({ carrier: 'nope', from: 'a', to: 'b' })).rejects.toMatchObject({
      code: 'sim.no_front_end',
    });
  });

  it('stop() ends every leg and rejects pending waits', async () => {
    sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 10 });
    const { leg } = dial();
    await sim.waitFor(() => leg.state === 'answered');
    const pending = sim.waitFor(() => false, 10_000).catch((e: unknown) => e);
    await sim.stop();
    expect(leg.isEnded).toBe(true);
    expect(((await pending) as SimError).code).toBe('sim.stopped');
  });
});

describe('player and ticker', () => {
  it('plays a finite signal one 160-byte frame per tick and records it as one segment', async () => {
    const ticker = new Ticker();
    const heard = new Heard();
    const clock = { nowMs: () => 0 };
    const leg = new Leg({
      id: 'l1',
      direction: 'outbound',
      from: 'a',
      to: 'b',
      carrier: 't',
      clock,
      ticker,
      heard,
    });
    leg.label = 'CA1';
    leg.ring();
    const done = await play(ticker, leg, { source: 'say', text: 'hello' }, SIGNALS.say(200)).done;
    ticker.stop();
    expect(done).toBe(true);
    expect(heard.segments).toEqual([
      { leg: 'CA1', source: 'say', text: 'hello', startMs: 0, endMs: 20, frames: 10, bytes: 1600 },
    ]);
  });

  it('stops playing when the leg ends', async () => {
    const ticker = new Ticker();
    const heard = new Heard();
    const leg = new Leg({
      id: 'l1',
      direction: 'outbound',
      from: 'a',
      to: 'b',
      carrier: 't',
      clock: { nowMs: () => 0 },
      ticker,
      heard,
    });
    leg.answer();
    const playback = play(ticker, leg, { source: 'hold' }, SIGNALS.hold());
    leg.hangup('completed', 'network');
    expect(await playback.done).toBe(false);
    ticker.stop();
    expect(heard.segments).toEqual([]);
  });
});

describe('Heard', () => {
  it('merges contiguous frames per source and splits on gaps', () => {
    const heard = new Heard();
    const f = Buffer.alloc(160, 1);
    heard.record('CA1', { source: 'hold', url: 'u' }, f, 1, 1000);
    heard.record('CA1', { source: 'hold', url: 'u' }, f, 2, 1020);
    heard.record('CA1', { source: 'party:CA2' }, f, 2, 1020);
    heard.record('CA1', { source: 'hold', url: 'u' }, f, 5, 1080);
    expect(heard.segments.map((s) => [s.source, s.frames, s.startMs, s.endMs])).toEqual([
      ['hold', 2, 1000, 1040],
      ['party:CA2', 1, 1020, 1040],
      ['hold', 1, 1080, 1100],
    ]);
    expect(heard.from('party:').length).toBe(1);
    expect(heard.bytes('hold')).toBe(480);
    expect(heard.audio('hold').length).toBe(480);
    expect(heard.last('hold')?.startMs).toBe(1080);
    expect(new Heard(false).audio('x').length).toBe(0);
  });
});
