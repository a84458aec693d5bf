import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeMulaw } from '../../src/media/mulaw.js';
import { toSamples } from '../../src/media/transcode.js';
import { TestLivekitServer } from '../../support/livekit/server.js';
import { ANSWERS, handoff, useE2e } from '../e2e/fixture.js';
import { waitForRecord } from '../e2e/harness.js';
import { eventually } from '../support/eventually.js';
import { SUMMARY, ToneAgent } from '../support/livekit/room-scenario.js';
import { dominates } from '../support/livekit/tone.js';

/**
 * The daemon with `agent.transport: livekit`, end to end on real parts: the carrier simulator,
 * the daemon's real LiveKit port (rtc-node, livekit-server-sdk), the test LiveKit server
 * (support/livekit/server.ts) and an agent on rtc-node it dispatches into each call's room.
 * Run inside a network namespace by test/e2e/livekit-rooms.test.ts (libwebrtc ignores loopback).
 */

const HOST = '10.99.0.1';
const KEY = 'patchthrough-test';
const SECRET = 'patchthrough-test-secret-0123456789abcdef';

let server: TestLivekitServer;
const agents: ToneAgent[] = [];

beforeEach(async () => {
  server = await TestLivekitServer.start({ host: HOST, apiKey: KEY, apiSecret: SECRET });
  server.onDispatch = (room, agentName) => {
    if (agentName !== 'front-desk-bot') return;
    ToneAgent.join({ url: server.url, apiKey: KEY, apiSecret: SECRET }, room).then(
      (agent) => agents.push(agent),
      () => undefined,
    );
  };
});
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.leave().catch(() => undefined);
  await server.close();
});

const onLivekit =
  (changes: Record<string, unknown> = {}) =>
  (agent: Record<string, unknown>): Record<string, unknown> =>
    handoff(changes)({
      ...agent,
      agent: {
        transport: 'livekit',
        livekit: { url: server.url, agentName: 'front-desk-bot' },
        connectTimeoutMs: 15_000,
      },
    });

describe('LiveKit rooms: the daemon and an agent on real rtc-node, through the test server', () => {
  const { run, placeCall } = useE2e('twilio');

  async function call(changes: Record<string, unknown> = {}) {
    const h = await run({
      agentUrl: 'ws://unused.example.com',
      agent: onLivekit(changes),
      env: { LIVEKIT_API_KEY: KEY, LIVEKIT_API_SECRET: SECRET },
    });
    const c = await placeCall(h);
    const agent = await eventually(() => agents[0], 'the agent dispatched into the call room', {
      timeoutMs: 15_000,
    });
    const daemon = await eventually(() => agent.daemonIdentity(), 'the daemon in the room', {
      timeoutMs: 15_000,
    });
    // The call is with the agent once it hears the caller (the daemon's link is open).
    await eventually(() => agent.heard.length >= 1600, 'the agent hears the caller', {
      timeoutMs: 15_000,
    }).catch((err: unknown) => {
      const waiting = server.waitingForwards().join(', ') || 'none';
      throw new Error(
        `${err instanceof Error ? err.message : String(err)} (the agent: ${agent.state()}; tracks the server holds back for want of an audio section: ${waiting})`,
      );
    });
    return { h, c, agent, daemon };
  }

  it('audio both ways keeps its frequency; the caller hangs up: the room is deleted', async () => {
    const { h, c, agent } = await call();
    await eventually(() => agent.heard.length >= 8000, 'the agent hears a second of the caller', {
      timeoutMs: 15_000,
    });
    expect(dominates(agent.heard.slice(-4000), 8000, 440, [330, 660, 880])).toBe(true);
    const speaking = agent.speak(660, 1500);
    // The tone reaches the caller after the room's and the bridge's latency, which a loaded
    // machine stretches past the agent's last captured frame: the check is that the last half
    // second the caller heard is the tone, at some moment while it plays out, not at a set time.
    await eventually(
      () =>
        dominates(
          toSamples(decodeMulaw(c.heard.audio('stream:').subarray(-4000))),
          8000,
          660,
          [440, 550, 880],
        ),
      'the caller hears the agent’s 660 Hz tone as 660 Hz',
      { timeoutMs: 15_000, everyMs: 20 },
    );
    await speaking;
    c.hangup();
    expect((await waitForRecord(h, c.sid, (r) => r.phase === 'ended')).endedReason).toBe('caller_hangup');
    await eventually(() => server.calls.some((x) => x.method === 'DeleteRoom'), 'the room deleted');
  });

  it('cold over RPC: answered { transferId, status }; the human reached; progress as data packets', async () => {
    const { h, c, agent, daemon } = await call();
    const human = h.sim.network.addHuman('+14155550111', ANSWERS);
    const answer = await agent.call(daemon, 'patchthrough.transfer', { rule: 'Billing' });
    expect(answer).toEqual({ transferId: expect.any(String), status: 'started' });
    const rec = await waitForRecord(h, c.sid, (r) => r.phase === 'human', 15_000);
    expect(rec.transfers[0]).toMatchObject({ mode: 'cold', outcome: 'connected' });
    await h.sim.waitFor(() => human.heard.from('party:').length > 0, 10_000);
    // `connected` is told as the daemon leaves the room: it still reaches the agent first.
    await eventually(
      () => agent.events('transfer_status').some((e) => e['status'] === 'connected'),
      'connected told',
      { timeoutMs: 10_000 },
    );
    expect(agent.events('transfer_status').map((e) => e['status'])).toEqual(
      expect.arrayContaining(['started', 'dialing', 'connected']),
    );
    c.hangup();
  });

  it('warm by a spoken tag; a busy human: resume, and the agent hears the caller again', async () => {
    const { h, c, agent } = await call({ warm: true, whisper: 'A caller for billing.' });
    h.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 200 });
    await agent.say(['One moment. ', '[TRANSFER:', '+14155550111]']);
    const back = await waitForRecord(h, c.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    expect(back.transfers[0]).toMatchObject({ mode: 'warm', trigger: 'tag', outcome: 'busy' });
    await eventually(() => agent.events('resume')[0], 'resume told', { timeoutMs: 10_000 });
    const before = agent.heard.length;
    await eventually(() => agent.heard.length >= before + 8000, 'the caller heard again', {
      timeoutMs: 10_000,
    });
    c.hangup();
  });

  it('warm over RPC with the agent’s summary as the whisper (patchthrough.summarize), then connected', async () => {
    const { h, c, agent, daemon } = await call({ warm: true, whisper: null });
    const human = h.sim.network.addHuman('+14155550111', ANSWERS);
    expect(await agent.call(daemon, 'patchthrough.transfer', { destination: '+14155550111' })).toMatchObject({
      status: 'started',
    });
    const rec = await waitForRecord(h, c.sid, (r) => r.phase === 'human', 20_000);
    expect(rec.transfers[0]).toMatchObject({ mode: 'warm', outcome: 'connected' });
    await h.sim.waitFor(() => human.heard.from('party:').length > 0, 10_000);
    expect(human.heard.first('say')?.text).toBe(SUMMARY);
    expect(JSON.parse(agent.summarized[0] ?? '{}')).toMatchObject({
      transferId: rec.transfers[0]?.transferId,
    });
    c.hangup();
  });

  it('the agent leaves: agent_hangup, the room deleted', async () => {
    const { h, c, agent } = await call();
    await agent.leave();
    expect((await waitForRecord(h, c.sid, (r) => r.phase === 'ended', 15_000)).endedReason).toBe(
      'agent_hangup',
    );
    await eventually(() => server.calls.some((x) => x.method === 'DeleteRoom'), 'the room deleted');
  });
});
