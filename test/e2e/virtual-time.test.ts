import { afterEach, describe, expect, it } from 'vitest';
import { handoff, transferEvents, warm } from './fixture.js';
import { sourcesHeard } from './harness.js';
import { startVirtual, type VirtualRun } from './virtual.js';

/**
 * Transfers on virtual time: the daemon, the simulator and the agent share one injected
 * `VirtualTime` over real sockets, so a 30 s ring costs no wall time, and a scenario run twice
 * gives the same record and the same audio at the same virtual instants.
 */

const runs: VirtualRun[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) await run.stop();
});
const start = async (...args: Parameters<typeof startVirtual>): Promise<VirtualRun> => {
  const run = await startVirtual(...args);
  runs.push(run);
  return run;
};

/** A source without its sid (`party:CA…` → `party`): sids are random per run. */
const kind = (source: string): string => source.split(':')[0] ?? source;

/** A warm transfer with a whisper, to its end: what the record and every party saw, with virtual times. */
async function warmWithWhisper(): Promise<{ trace: unknown; run: VirtualRun }> {
  const run = await start({
    script: [{ say: 300 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
    agent: warm('Incoming refund request, please assist.'),
  });
  const human = run.h.sim.network.addHuman('+14155550111', {
    type: 'answer',
    afterMs: 500,
    speak: { type: 'tone', hz: 660, durationMs: 20_000 },
  });
  const call = await run.placeCall();
  const connected = await run.record(call.sid, (r) => r.phase === 'human', 'the human joined');
  await run.until(() => call.heard.from('party:').length > 0, 'the caller hears the human');
  call.hangup();
  const ended = await run.record(call.sid, (r) => r.phase === 'ended', 'the call ended');
  await run.until(() => human.legs.every((l) => l.state === 'ended'), "the human's leg ended");
  expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
  expect(ended.endedReason).toBe('transferred');
  const whisper = human.heard.first('say');
  expect(whisper?.text).toBe('Incoming refund request, please assist.');
  expect(whisper!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
  expect(call.heard.from('say')).toHaveLength(0);
  const trace = {
    timeline: ended.timeline.map((t) => [t.event, t.atMs]),
    transfer: ended.transfer?.timeline.map((t) => [t.event, t.state, t.atMs]),
    callerHeard: call.heard.segments.map((s) => [kind(s.source), s.startMs, s.endMs]),
    humanHeard: human.heard.segments.map((s) => [kind(s.source), s.startMs, s.endMs]),
    humanLegs: human.legs.map((l) => [l.createdAtMs, l.answeredAtMs, l.end?.status, l.end?.atMs]),
  };
  return { trace, run };
}

describe('transfers on virtual time (twilio, memory store)', () => {
  it('a cold transfer nobody answers rings the full 30 s of virtual time, in a small part of that in wall time', async () => {
    const run = await start({
      script: (s) =>
        s.resumed
          ? []
          : [{ say: 200 }, { text: ['[TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }, { say: 300 }],
      agent: handoff({ ringTimeoutSec: 30 }),
    });
    const human = run.h.sim.network.addHuman('+14155550122', { type: 'no-answer' });
    const call = await run.placeCall();
    const settled = await run.record(call.sid, (r) => r.transfers[0]?.outcome !== undefined, 'the outcome');
    await run.until(
      () => sourcesHeard(call.heard.segments).join(',') === 'stream:,ringback,stream:',
      'the caller back with the AI',
    );
    call.hangup();
    const ended = await run.record(call.sid, (r) => r.phase === 'ended', 'the call ended');
    const wallMs = run.wallMs();
    expect(settled.transfers[0]?.outcome).toBe('no_answer');
    expect(ended.transfer?.legs.map((l) => l.outcome)).toEqual(['no_answer']);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'ringback', 'stream:']);
    // The human's phone rang for the ring timeout, on the simulator's (virtual) clock.
    const leg = human.legs[0]!;
    await run.until(() => leg.end !== undefined, "the human's leg ended");
    const rangMs = leg.end!.atMs - leg.createdAtMs;
    expect(rangMs).toBeGreaterThanOrEqual(30_000);
    expect(rangMs).toBeLessThan(32_000);
    // The ringback the caller heard lasted as long, on the same clock.
    const ringback = call.heard.from('ringback');
    expect(ringback.at(-1)!.endMs - ringback[0]!.startMs).toBeGreaterThanOrEqual(29_000);
    // More virtual time passed than wall time: the ring did not cost its 30 s.
    expect(run.time.elapsedMs).toBeGreaterThanOrEqual(30_000);
    expect(wallMs).toBeLessThan(run.time.elapsedMs);
    console.info(
      `virtual-time cold no-answer: ${run.time.elapsedMs} virtual ms in ${Math.round(wallMs)} wall ms (${run.time.fired} timers; waits for bytes in flight ${JSON.stringify(run.time.stats)})`,
    );
  });

  it('a warm transfer with a whisper: hold for the caller, the whisper for the human only, then joined', async () => {
    const { run } = await warmWithWhisper();
    const call = run.h.sim.network.calls[0]!;
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    const ended = await run.h.app.engine.get(call.sid);
    expect(transferEvents(ended!)).toEqual(
      expect.arrayContaining(['handoff.played', 'caller.held', 'leg.answered', 'human.joined']),
    );
  });

  it('the same scenario twice: the same record events and the same audio at the same virtual instants', async () => {
    const first = await warmWithWhisper();
    await first.run.stop();
    runs.splice(runs.indexOf(first.run), 1);
    const second = await warmWithWhisper();
    expect(second.trace).toEqual(first.trace);
  });

  it('media both ways for 60 virtual seconds: every frame delivered, and what a virtual second costs in wall time', async () => {
    // The agent speaks for a minute (the daemon paces it out) while the caller speaks throughout.
    const run = await start({ script: [{ say: 61_000 }] });
    const call = await run.placeCall();
    const session = await run.h.agent!.session(0);
    await run.until(() => session.frames('media').length > 0, 'caller audio reaching the agent');
    const from = {
      virtualMs: run.time.elapsedMs,
      wallMs: run.wallMs(),
      frames: session.frames('media').length,
    };
    await run.until(() => run.time.elapsedMs >= from.virtualMs + 60_000, '60 virtual seconds');
    const wallMs = run.wallMs() - from.wallMs;
    const toAgent = session.frames('media').length - from.frames;
    const heardMs = call.heard.from('stream:').reduce((sum, seg) => sum + seg.endMs - seg.startMs, 0);
    call.hangup();
    // 20 ms frames: 3 000 a minute each way, none lost to the jumps of the clock.
    expect(toAgent).toBeGreaterThanOrEqual(2_990);
    expect(toAgent).toBeLessThanOrEqual(3_010);
    expect(heardMs).toBeGreaterThanOrEqual(59_000);
    expect(wallMs).toBeLessThan(60_000);
    console.info(
      `virtual-time media both ways: 60 virtual s in ${Math.round(wallMs)} wall ms (${(wallMs / 60).toFixed(1)} wall ms per virtual s; ${run.time.fired} timers; waits for bytes in flight ${JSON.stringify(run.time.stats)})`,
    );
  });
});
