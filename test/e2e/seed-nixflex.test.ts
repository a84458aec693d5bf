import { describe, expect, it } from 'vitest';
import { useE2e } from './fixture.js';
import { sourcesHeard, waitForRecord } from './harness.js';
import { runSeed, seedAgent } from './seed-support.js';

/**
 * nixflex (seed 002), end to end on every carrier: the page's agent fields as written
 * (`transfer_type: "warm"`, `transfer_whisper`) and its prompt's fallback chain of
 * `[TRANSFER:…]` tags (the manager, then the supervisor, both London numbers from the page). The
 * manager's line is busy, so the supervisor is tried without asking the caller; the supervisor
 * hears the whisper, then meets the caller. Exotel has no conference: warm runs as cold there,
 * with the whisper played to the callee (docs/exotel.md). On virtual time: the whisper and the
 * rings cost no wall time.
 */

const MANAGER = '+442087601234';
const SUPERVISOR = '+442087601299';
const WHISPER = 'Incoming refund request — please assist.';

/** The page's "Customizing the warm whisper" example, verbatim. */
const NIXFLEX = { transfer_type: 'warm', transfer_whisper: WHISPER };

describe.each(['twilio', 'plivo', 'exotel'] as const)('nixflex (seed 002) on %s', (carrier) => {
  const e2e = useE2e(carrier, { virtualTime: true });

  it('warm with the static whisper, through the prompt’s fallback chain', async () => {
    const h = await runSeed(e2e, {
      script: [
        { say: 300 },
        {
          text: [
            'Let me get the manager on the line for you, one moment. [TRANSFER:+442087601234]',
            ' If that line does not answer, the supervisor: [TRANSFER:+442087601299]',
          ],
        },
        { say: 100 },
      ],
      // The tags' numbers are the agent's own (the prompt names them): the policy allows them.
      agent: seedAgent(NIXFLEX, { destinationPolicy: { allow: [MANAGER, SUPERVISOR] } }),
    });
    const manager = h.sim.network.addHuman(MANAGER, { type: 'busy', afterMs: 200 });
    // The supervisor speaks on after the whisper, so the caller hears them once joined.
    const supervisor = h.sim.network.addHuman(SUPERVISOR, {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660 },
    });
    const call = await e2e.placeCall(h);
    const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 20_000);
    expect(connected.transfers).toMatchObject([
      { mode: carrier === 'exotel' ? 'cold' : 'warm', trigger: 'tag', chainLength: 2, outcome: 'connected' },
    ]);
    expect(connected.transfer?.legs.map((l) => l.outcome)).toEqual(['busy', 'connected']);
    await h.sim.waitFor(
      () => supervisor.heard.from('party:').length > 0 && call.heard.from('party:').length > 0,
      5000,
    );
    // The supervisor heard the whisper, then the caller; the caller never heard the whisper.
    const whisper = supervisor.heard.first('say');
    expect(whisper?.text).toBe(WHISPER);
    expect(whisper!.startMs).toBeLessThan(supervisor.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toEqual([]);
    expect(manager.heard.segments).toEqual([]);
    // The caller held with music: Twilio's default, or on Plivo (which has none) the daemon's own.
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('transferred');
  });
});
