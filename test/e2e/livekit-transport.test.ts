import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livekitTransportWith } from '../../src/agent/livekit/index.js';
import { registerAgentTransport } from '../../src/agent/transports.js';
import { decodeMulaw } from '../../src/media/mulaw.js';
import { toSamples } from '../../src/media/transcode.js';
import { FakeLivekitPort } from '../support/livekit/fake-port.js';
import { dominates } from '../support/livekit/tone.js';
import { ANSWERS, handoff, useE2e } from './fixture.js';
import { CALLER, INBOUND, waitForRecord } from './harness.js';

/**
 * `agent.transport: livekit` through the whole daemon — the carrier simulator, media sessions,
 * the bridge, the reducer and the executor — with LiveKit itself faked at its port
 * (test/support/livekit/fake-port.ts): the agent here is a test's hand in the room (it echoes
 * what it hears, calls RPC methods, speaks tags). test/e2e/livekit-rooms.test.ts runs real
 * rtc-node rooms instead.
 */

const port = new FakeLivekitPort();
let undo: () => void = () => {};
beforeAll(() => {
  undo = registerAgentTransport(livekitTransportWith(async () => port));
});
afterAll(() => undo());

/** The demo agent on LiveKit, with `handoffConfig` changes. */
const onLivekit =
  (changes: Record<string, unknown> = {}) =>
  (agent: Record<string, unknown>): Record<string, unknown> =>
    handoff(changes)({
      ...agent,
      agent: { transport: 'livekit', livekit: { url: 'wss://lk.example.com', agentName: 'front-desk-bot' } },
    });

/** Each room the daemon joins gets an agent that joins, listens and echoes what it hears. */
function echoingAgent(): void {
  port.onRoom = (room) => {
    room.agentJoins();
    room.agentSubscribes();
    room.onCapture = (samples) => room.events.audio('agent-1', samples);
  };
}

const RPC_OK = { ok: true } as const;
const RPC_OK_ANSWER = { ok: true, answer: { transferId: expect.any(String) } };

describe('LiveKit transport through the daemon (LiveKit faked at its port)', () => {
  const { run, placeCall } = useE2e('twilio', { virtualTime: true });

  async function callOnLivekit(changes: Record<string, unknown> = {}) {
    echoingAgent();
    const rooms = port.rooms.length;
    const h = await run({ agentUrl: 'wss://unused.example.com', agent: onLivekit(changes) });
    const call = await placeCall(h);
    const room = await h.sim.waitFor(() => port.rooms[rooms]);
    await h.sim.waitFor(() => room.captured.length > 50);
    return { h, call, room };
  }

  it('audio both ways: the caller’s 440 Hz tone reaches the agent as 440 Hz, and the agent’s voice the caller', async () => {
    const { h, call, room } = await callOnLivekit();
    const spec = port.created.at(-1);
    expect(spec?.name).toBe(`patchthrough-${call.sid}`);
    expect(JSON.stringify(spec)).not.toContain(CALLER.slice(2));
    expect(JSON.stringify(spec)).not.toContain(INBOUND.slice(2));
    expect(JSON.parse(spec?.dispatch?.metadata ?? '{}')).toMatchObject({
      callId: call.sid,
      carrier: 'twilio',
    });
    const heardByAgent = Int16Array.from(room.captured.slice(-50).flatMap((s) => [...s]));
    expect(dominates(heardByAgent, 8000, 440, [330, 660, 880])).toBe(true);
    await h.sim.waitFor(() => call.heard.audio('stream:').length >= 8000);
    const heardByCaller = toSamples(decodeMulaw(call.heard.audio('stream:').subarray(-4000)));
    expect(dominates(heardByCaller, 8000, 440, [330, 660, 880])).toBe(true);
    call.hangup();
    await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    await h.sim.waitFor(() => port.deleted.includes(room.join.roomName));
    expect(room.disconnected).toBe(true);
  });

  it('a cold transfer asked over RPC: answered { transferId, status }, progress as data packets and attributes, the human reached', async () => {
    const { h, call, room } = await callOnLivekit();
    const human = h.sim.network.addHuman('+14155550111', ANSWERS);
    const answer = await room.call('patchthrough.transfer', { rule: 'Billing', reason: 'refund' });
    expect(answer).toEqual({ ok: true, answer: { transferId: expect.any(String), status: 'started' } });
    const transferId = answer.ok ? (answer.answer as { transferId: string }).transferId : '';
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'human');
    expect(ended.transfers).toMatchObject([{ mode: 'cold', outcome: 'connected' }]);
    await h.sim.waitFor(() => human.heard.from('party:').length > 0);
    const statuses = room.sentEvents
      .filter(
        (b): b is { event: string; status: string } => (b as { event: string }).event === 'transfer_status',
      )
      .map((b) => b.status);
    expect(statuses).toEqual(expect.arrayContaining(['started', 'dialing', 'connected']));
    expect(room.actions).toContainEqual({
      type: 'attributes',
      attributes: expect.objectContaining({ 'patchthrough.transfer_id': transferId }),
    });
    expect(JSON.stringify(room.actions)).not.toContain('4155550111');
    call.hangup();
  });

  it('a spoken tag in the agent’s transcription transfers (warm), and a busy human brings the caller back with resume', async () => {
    const { h, call, room } = await callOnLivekit({ warm: true, whisper: 'A caller for billing.' });
    h.sim.network.addHuman('+14155550111', { type: 'busy', afterMs: 200 });
    await room.say(['One moment, I will put you through. ', '[TRANSFER:', '+14155550111]']);
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 20_000);
    expect(back.transfers[0]).toMatchObject({ mode: 'warm', trigger: 'tag', outcome: 'busy' });
    await h.sim.waitFor(() => room.sentEvents.some((b) => (b as { event: string }).event === 'resume'));
    expect(room.sentEvents).toContainEqual(
      expect.objectContaining({ event: 'resume', transferId: expect.any(String), outcome: 'busy' }),
    );
    // Back with the agent: it hears the caller again.
    const before = room.captured.length;
    await h.sim.waitFor(() => room.captured.length > before + 25);
    call.hangup();
  });

  it('hold: while the caller waits in the warm transfer, the agent hears nothing of them', async () => {
    const { h, call, room } = await callOnLivekit({ warm: true, whisper: 'A caller.', ringTimeoutSec: 5 });
    const heardAtMs: number[] = [];
    const echo = room.onCapture;
    room.onCapture = (samples) => {
      heardAtMs.push(h.time.epochMs());
      echo?.(samples);
    };
    h.sim.network.addHuman('+14155550111', { type: 'no-answer' });
    expect(await room.call('patchthrough.transfer', { destination: '+14155550111' })).toMatchObject(
      RPC_OK_ANSWER,
    );
    const back = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined, 30_000);
    expect(back.transfers[0]?.outcome).toBe('no_answer');
    const timeline = back.transfer?.timeline ?? [];
    const heldAt = timeline.find((t) => t.event === 'caller.held')?.atMs;
    const endAt = timeline.at(-1)?.atMs;
    expect(heldAt).toBeDefined();
    expect((endAt ?? 0) - (heldAt ?? 0)).toBeGreaterThanOrEqual(4000);
    // Frames already on their way when the caller moved to hold may land just after it.
    expect(heardAtMs.filter((at) => at > (heldAt ?? 0) + 200 && at < (endAt ?? 0))).toEqual([]);
    const before = room.captured.length;
    await h.sim.waitFor(() => room.captured.length > before + 25);
    call.hangup();
  });

  it('a refused destination over RPC: an RpcError with destination_not_allowed, nothing dialed', async () => {
    const { h, call, room } = await callOnLivekit();
    const premium = h.sim.network.addHuman('+19005550100', ANSWERS);
    const answer = await room.call('patchthrough.transfer', { destination: '+19005550100' });
    expect(answer.ok ? undefined : answer.failure.message).toBe('destination_not_allowed');
    expect(premium.legs).toHaveLength(0);
    call.hangup();
  });

  it('the agent hangs up over RPC: the call ends agent_hangup', async () => {
    const { h, call, room } = await callOnLivekit();
    expect(await room.call('patchthrough.hangup', { reason: 'resolved' })).toEqual({
      ok: true,
      answer: RPC_OK,
    });
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
  });

  it('the agent leaves normally: agent_hangup; the room is deleted', async () => {
    const { h, call, room } = await callOnLivekit();
    room.agentLeaves('normal');
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
    await h.sim.waitFor(() => port.deleted.includes(room.join.roomName));
  });

  it('the agent leaves abnormally and no agent comes back: the caller goes to the default destination', async () => {
    const { h, call, room } = await callOnLivekit();
    const human = h.sim.network.addHuman('+14155550133', ANSWERS);
    room.agentLeaves('abnormal');
    const rec = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 30_000);
    expect(rec.transfers[0]).toMatchObject({ outcome: 'connected' });
    await h.sim.waitFor(() => human.heard.from('party:').length > 0);
    call.hangup();
  });
});
