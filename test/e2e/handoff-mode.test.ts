import { describe, expect, it } from 'vitest';
import { DaemonError } from '../../src/domain/errors.js';
import { handoff, transferEvents, useE2e } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';

/**
 * `handoffConfig.mode` picks the agent's transfer mode end to end (`warm: true` stays an alias of
 * `mode: warm`), and a mode the carrier cannot run, with no fallback it can, stops the daemon at
 * start with the field named.
 */

describe.each(['twilio', 'plivo'] as const)('%s: handoffConfig.mode (Redis)', (carrier) => {
  const e2e = useE2e(carrier);

  it('mode: warm runs a warm transfer: hold for the caller, whisper for the human only, joined', async () => {
    const h = await e2e.run({
      script: [{ say: 200 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: handoff({ mode: 'warm', whisper: 'Refund request.' }),
    });
    const human = h.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660, durationMs: 20_000 },
    });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    expect(transferEvents(connected)).toEqual(expect.arrayContaining(['caller.held', 'human.joined']));
    await h.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    expect(human.heard.first('say')?.text).toBe('Refund request.');
    expect(call.heard.from('say')).toHaveLength(0);
    // On hold in the conference (Twilio's default hold music; on Plivo, which has none, the
    // daemon's own), never ringback as in a cold dial.
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    expect(human.heard.first('say')!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });

  it('mode: cold wins over nothing else said: the carrier dials, no conference, no whisper', async () => {
    const h = await e2e.run({
      script: [{ say: 200 }, { text: ['One moment [TRANSFER:+14155550111]'] }, { say: 200 }],
      agent: handoff({ mode: 'cold', whisper: 'Refund request.' }),
    });
    const human = h.sim.network.addHuman('+14155550111', {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660, durationMs: 20_000 },
    });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
    expect(connected.transfers).toMatchObject([{ mode: 'cold', outcome: 'connected' }]);
    await h.sim.waitFor(() => call.heard.from('party:').length > 0, 5000);
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'ringback', 'party:']);
    expect(human.heard.from('say')).toHaveLength(0);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
  });
});

describe('exotel: handoffConfig.mode agentic (Redis)', () => {
  const e2e = useE2e('exotel');

  it('is refused at start, naming the field: Exotel cannot stream the human’s leg', async () => {
    const started = e2e.run({ agent: handoff({ mode: 'agentic' }) });
    const error = await started.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DaemonError);
    expect((error as DaemonError).code).toBe('config_invalid');
    expect((error as DaemonError).message).toMatch(
      /^agents\[0\]\.handoffConfig\.mode: .*exotel.*calleeStream/,
    );
  });

  it('mode: warm is not refused there: it runs as cold (said at start), as warm: true did', async () => {
    await expect(e2e.run({ agent: handoff({ mode: 'warm' }) })).resolves.toBeDefined();
  });
});
