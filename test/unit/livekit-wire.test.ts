import { describe, expect, it } from 'vitest';
import { AgentLink } from '../../src/agent/agent-link.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { livekitTransportWith, loadRtcPort } from '../../src/agent/livekit/index.js';
import { LivekitWire, type LivekitWireOptions } from '../../src/agent/livekit/wire.js';
import type { LivekitAgentConfig } from '../../src/config/agent-types.js';
import { MULAW_8K } from '../../src/domain/media.js';
import type { Timers } from '../../src/lib/time.js';
import { linearToUlaw, ulawToLinear } from '../../src/media/mulaw.js';
import { FakeLivekitPort, type FakeRoom } from '../support/livekit/fake-port.js';

/**
 * The LiveKit transport's logic over a faked port (test/support/livekit/fake-port.ts), under the
 * shared link every transport gets (AgentLink): what the runtime sees, what the agent's room gets.
 */

class HandTimers implements Timers {
  nowMs = 0;
  #next = 0;
  readonly #due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, delayMs: number): unknown {
    this.#next += 1;
    this.#due.set(this.#next, { at: this.nowMs + delayMs, fn });
    return this.#next;
  }
  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const next = [...this.#due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (next === undefined || next[1].at > until) break;
      this.#due.delete(next[0]);
      this.nowMs = next[1].at;
      next[1].fn();
    }
    this.nowMs = until;
  }
}

const CONFIG: LivekitAgentConfig = {
  url: 'wss://lk.example.com',
  agentName: 'front-desk-bot',
  roomPrefix: 'pt-',
  metadata: { tenant: 'acme', callId: 'not-this' },
};

/** Lets queued promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function setup(options: Partial<LivekitWireOptions> = {}) {
  const port = new FakeLivekitPort();
  const timers = new HandTimers();
  const wire = new LivekitWire({
    config: CONFIG,
    port: async () => port,
    callId: 'CA0123',
    agentId: 'front-desk',
    carrier: 'twilio',
    direction: 'inbound',
    format: MULAW_8K,
    connectTimeoutMs: 5000,
    timers,
    ...options,
  });
  const events: AgentEvent[] = [];
  const heard: Buffer[] = [];
  let clears = 0;
  const link = new AgentLink(wire, { listener: { onAgentEvent: (e) => events.push(e) } });
  link.setMediaSink({
    onAgentAudio: (payload) => heard.push(payload),
    onAgentMark: () => {},
    onAgentClear: () => {
      clears += 1;
    },
  });
  const connected = link.connect();
  const room = (): FakeRoom => {
    const r = port.room;
    if (r === undefined) throw new Error('not joined yet');
    return r;
  };
  /** Joined, the agent in and listening. */
  const open = async (): Promise<FakeRoom> => {
    await settle();
    room().agentJoins();
    room().agentSubscribes();
    await settle();
    return room();
  };
  return { port, timers, wire, link, events, heard, clears: () => clears, connected, room, open };
}

const types = (events: readonly AgentEvent[]) => events.map((e) => e.type);

describe('LiveKit wire: the room', () => {
  it('creates the call room with the agent dispatch (the call parameters as metadata, no phone number) and joins it', async () => {
    const t = setup({ parameters: { crmId: '42' } });
    await settle();
    expect(t.port.created).toHaveLength(1);
    const spec = t.port.created[0];
    expect(spec?.name).toBe('pt-CA0123');
    expect(spec?.dispatch?.agentName).toBe('front-desk-bot');
    expect(JSON.parse(spec?.dispatch?.metadata ?? '')).toEqual({
      tenant: 'acme',
      crmId: '42',
      callId: 'CA0123',
      agentId: 'front-desk',
      carrier: 'twilio',
      direction: 'inbound',
    });
    expect(t.room().join).toMatchObject({
      roomName: 'pt-CA0123',
      identity: 'patchthrough-CA0123',
      sampleRate: 8000,
    });
  });

  it('a resumed link (another worker held it) dispatches nothing: the agent is in the room already', async () => {
    const t = setup({ resumed: true });
    await settle();
    expect(t.port.created[0]?.dispatch).toBeUndefined();
    t.room().agentJoins();
    t.room().agentSubscribes();
    await settle();
    expect(t.events[0]).toEqual({ type: 'agent.connected', resumed: true });
  });

  it('opens once the agent is in and hears the caller: held caller audio arrives first, as PCM16 at the carrier rate', async () => {
    const t = setup();
    t.link.sendAudio(Buffer.from([linearToUlaw(1000), linearToUlaw(-1000)]));
    await settle();
    t.room().agentJoins();
    await settle();
    expect(t.events).toEqual([]);
    t.room().agentSubscribes();
    await settle();
    expect(types(t.events)).toEqual(['agent.connected']);
    expect(await t.connected).toBe(true);
    t.link.sendAudio(Buffer.from([linearToUlaw(2000)]));
    await settle();
    expect(t.room().captured.map((s) => [...s])).toEqual([
      [ulawToLinear(linearToUlaw(1000)), ulawToLinear(linearToUlaw(-1000))],
      [ulawToLinear(linearToUlaw(2000))],
    ]);
    expect(t.link.backlogBytes()).toBe(0);
  });

  it('opens after a grace when the agent never subscribes', async () => {
    const t = setup({ subscribeGraceMs: 700 });
    await settle();
    t.room().agentJoins();
    t.timers.advance(699);
    expect(t.events).toEqual([]);
    t.timers.advance(1);
    expect(types(t.events)).toEqual(['agent.connected']);
  });

  it('no agent within the connect timeout: agent.failed (the default destination), the room deleted', async () => {
    const t = setup();
    await settle();
    t.timers.advance(5000);
    await settle();
    expect(t.events).toEqual([
      { type: 'agent.failed', error: expect.objectContaining({ code: 'agent_unreachable' }) },
    ]);
    expect(await t.connected).toBe(false);
    expect(t.room().disconnected).toBe(true);
    expect(t.port.deleted).toEqual(['pt-CA0123']);
  });

  it('a server that refuses the room: agent.failed at once', async () => {
    const port = new FakeLivekitPort();
    port.failCreate = true;
    const events: AgentEvent[] = [];
    const link = new AgentLink(
      new LivekitWire({
        config: CONFIG,
        port: async () => port,
        callId: 'CA1',
        agentId: 'a',
        carrier: 'twilio',
        direction: 'inbound',
        format: MULAW_8K,
        connectTimeoutMs: 5000,
        timers: new HandTimers(),
      }),
      { listener: { onAgentEvent: (e) => events.push(e) } },
    );
    expect(await link.connect()).toBe(false);
    expect(events[0]).toMatchObject({ type: 'agent.failed', error: { code: 'agent_unreachable' } });
  });

  it('without LIVEKIT_API_KEY/SECRET the real port refuses before loading anything: the call fails over', async () => {
    await expect(loadRtcPort('wss://lk.example.com', undefined)).rejects.toMatchObject({
      code: 'livekit_not_configured',
    });
  });

  it('the call ends: the daemon leaves and deletes the room', async () => {
    const t = setup();
    const room = await t.open();
    await t.link.close('call ended');
    expect(room.disconnected).toBe(true);
    expect(t.port.deleted).toEqual(['pt-CA0123']);
  });

  it('what was told last goes out before the daemon leaves (bounded)', async () => {
    const t = setup();
    const room = await t.open();
    let release: () => void = () => {};
    room.publishData = async (payload, topic) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      room.actions.push({ type: 'data', topic, body: JSON.parse(Buffer.from(payload).toString('utf8')) });
    };
    t.link.sendTransferStatus({ transferId: 'T1', status: 'connected', outcome: 'connected' });
    const closed = t.link.close('transferred');
    await settle();
    expect(room.disconnected).toBe(false);
    release();
    await closed;
    expect(room.sentEvents).toEqual([
      { event: 'transfer_status', transferId: 'T1', status: 'connected', outcome: 'connected' },
    ]);
    expect(room.disconnected).toBe(true);
  });

  it('a cold transfer’s connected, handed to LiveKit but not yet sent: the daemon leaves only once the agent answered patchthrough.leaving behind it', async () => {
    const t = setup();
    const room = await t.open();
    room.network = 'queued';
    t.link.sendTransferStatus({ transferId: 'T1', status: 'connected', outcome: 'connected' });
    const closed = t.link.close('transferred');
    await settle();
    // publishData resolved (handed over); leaving now would drop the packet with the connection.
    expect(room.disconnected).toBe(false);
    room.deliver();
    await closed;
    expect(room.sentEvents).toEqual([
      { event: 'transfer_status', transferId: 'T1', status: 'connected', outcome: 'connected' },
    ]);
    expect(room.rpcCalls).toEqual([
      { method: 'patchthrough.leaving', payload: JSON.stringify({ reason: 'transferred' }) },
    ]);
    expect(room.dropped).toBe(0);
    expect(room.disconnected).toBe(true);
    expect(t.port.deleted).toEqual(['pt-CA0123']);
  });

  it('an agent that never answers patchthrough.leaving: the daemon leaves after 2 s', async () => {
    const t = setup();
    const room = await t.open();
    room.network = 'queued';
    t.link.sendTransferStatus({ transferId: 'T1', status: 'connected', outcome: 'connected' });
    const closed = t.link.close('transferred');
    await settle();
    t.timers.advance(1999);
    await settle();
    expect(room.disconnected).toBe(false);
    t.timers.advance(1);
    await closed;
    expect(room.disconnected).toBe(true);
    expect(room.dropped).toBe(2);
  });

  it('nothing told since the agent last confirmed: the daemon leaves without asking', async () => {
    const t = setup();
    const room = await t.open();
    await t.link.close('call ended');
    expect(room.rpcCalls).toEqual([]);
    expect(room.disconnected).toBe(true);
  });

  it('a call handed to another worker: the room stays for it; replaced by that worker: ends quietly, the room kept', async () => {
    const a = setup();
    const roomA = await a.open();
    await a.link.close('handed over');
    expect(roomA.disconnected).toBe(true);
    expect(a.port.deleted).toEqual([]);
    const b = setup();
    const roomB = await b.open();
    roomB.events.disconnected('replaced');
    await settle();
    expect(types(b.events)).toEqual(['agent.connected']);
    expect(b.link.state).toBe('closed');
    expect(b.port.deleted).toEqual([]);
  });

  it('a briefing link gets a room of its own', async () => {
    const t = setup({ parameters: { role: 'briefing', legId: 'T1:2' } });
    await settle();
    expect(t.port.created[0]?.name).toBe('pt-CA0123-briefing-T1_2');
  });
});

describe('LiveKit wire: media', () => {
  it("the agent's audio reaches the caller in the agent format; another participant's does not", async () => {
    const t = setup();
    const room = await t.open();
    room.events.audio('agent-1', new Int16Array([1000, -1000, 0]));
    room.events.audio('someone-else', new Int16Array([5]));
    expect(t.heard).toEqual([Buffer.from([linearToUlaw(1000), linearToUlaw(-1000), linearToUlaw(0)])]);
  });

  it('PCM16 agents get PCM16 both ways', async () => {
    const t = setup({ format: { encoding: 'pcm16', sampleRate: 16000 } });
    const room = await t.open();
    const pcm = Buffer.alloc(4);
    pcm.writeInt16LE(1234, 0);
    pcm.writeInt16LE(-42, 2);
    t.link.sendAudio(pcm);
    room.events.audio('agent-1', new Int16Array([7, -7]));
    await settle();
    expect([...(room.captured[0] ?? [])]).toEqual([1234, -42]);
    expect(room.join.sampleRate).toBe(16000);
    expect(t.heard[0]?.readInt16LE(0)).toBe(7);
    expect(t.heard[0]?.readInt16LE(2)).toBe(-7);
  });

  it('barge-in: the agent stops speaking (lk.agent.state) → what is queued for the caller is cleared', async () => {
    const t = setup();
    const room = await t.open();
    room.events.attributesChanged('agent-1', { 'lk.agent.state': 'speaking' });
    expect(t.clears()).toBe(0);
    room.events.attributesChanged('agent-1', { 'lk.agent.state': 'listening' });
    room.events.attributesChanged('agent-1', { 'lk.agent.state': 'thinking' });
    expect(t.clears()).toBe(1);
  });

  it('DTMF goes out as LiveKit DTMF with its RFC 4733 code', async () => {
    const t = setup();
    const room = await t.open();
    t.link.sendDtmf('7');
    t.link.sendDtmf('#');
    t.link.sendDtmf('*');
    expect(room.actions).toEqual([
      { type: 'dtmf', code: 7, digit: '7' },
      { type: 'dtmf', code: 11, digit: '#' },
      { type: 'dtmf', code: 10, digit: '*' },
    ]);
  });
});

describe('LiveKit wire: the agent leaving', () => {
  it('normally (it said goodbye): agent.hangup', async () => {
    const t = setup();
    const room = await t.open();
    room.agentLeaves('normal');
    expect(types(t.events)).toEqual(['agent.connected', 'agent.hangup']);
    expect(t.events[1]).toEqual({ type: 'agent.hangup', via: 'close' });
    await settle();
    expect(room.disconnected).toBe(true);
    expect(t.port.deleted).toEqual(['pt-CA0123']);
  });

  it('abnormally, and a re-dispatched agent joins in time: reconnecting, then connected (resumed); audio held meanwhile', async () => {
    const t = setup({ redispatchWaitMs: 3000 });
    const room = await t.open();
    room.agentLeaves('abnormal');
    expect(types(t.events)).toEqual(['agent.connected', 'agent.reconnecting']);
    t.link.sendAudio(Buffer.from([linearToUlaw(300)]));
    t.timers.advance(2999);
    room.agentJoins('agent-2');
    room.agentSubscribes();
    await settle();
    expect(t.events.at(-1)).toEqual({ type: 'agent.connected', resumed: true });
    expect(room.captured).toHaveLength(1);
    room.events.audio('agent-1', new Int16Array([1]));
    room.events.audio('agent-2', new Int16Array([2]));
    expect(t.heard).toEqual([Buffer.from([linearToUlaw(2)])]);
    t.timers.advance(10_000);
    expect(types(t.events)).not.toContain('agent.failed');
  });

  it('abnormally, and none comes back: agent.failed after the bounded wait (the default destination)', async () => {
    const t = setup({ redispatchWaitMs: 3000 });
    const room = await t.open();
    room.agentLeaves('abnormal');
    t.timers.advance(2999);
    expect(types(t.events)).toEqual(['agent.connected', 'agent.reconnecting']);
    t.timers.advance(1);
    await settle();
    expect(t.events.at(-1)).toMatchObject({ type: 'agent.failed', error: { code: 'agent_failed' } });
    expect(t.port.deleted).toEqual(['pt-CA0123']);
  });

  it('the room deleted under the daemon (LiveKit Agents hangs up so): agent.hangup; a lost room: agent.failed', async () => {
    const a = setup();
    (await a.open()).events.disconnected('normal');
    expect(a.events.at(-1)).toEqual({ type: 'agent.hangup', via: 'close' });
    const b = setup();
    (await b.open()).events.disconnected('abnormal');
    await settle();
    expect(b.events.at(-1)).toMatchObject({ type: 'agent.failed', error: { code: 'agent_failed' } });
  });

  it('the daemon reconnecting to LiveKit: reconnecting, then connected (resumed)', async () => {
    const t = setup();
    const room = await t.open();
    room.events.reconnecting();
    room.events.reconnected();
    await settle();
    expect(t.events.slice(1)).toEqual([
      { type: 'agent.reconnecting', cause: 'dropped' },
      { type: 'agent.connected', resumed: true },
    ]);
  });
});

describe('LiveKit wire: RPC methods', () => {
  it('patchthrough.transfer: the runtime gets the request with an id; its answer is { transferId, status }', async () => {
    const t = setup();
    const room = await t.open();
    const answer = room.call('patchthrough.transfer', { rule: 'Billing', reason: 'invoice', mode: 'warm' });
    await settle();
    const request = t.events.find((e) => e.type === 'agent.transfer');
    expect(request).toEqual({
      type: 'agent.transfer',
      requestId: 'rpc-1',
      rule: 'Billing',
      reason: 'invoice',
      mode: 'warm',
    });
    t.link.sendTransferStatus({ transferId: 'T1', status: 'started' });
    t.link.sendToolResult('rpc-1', { ok: true, result: { transferId: 'T1' } });
    expect(await answer).toEqual({ ok: true, answer: { transferId: 'T1', status: 'started' } });
    // The answer went back by RPC, not as a data packet.
    expect(room.sentEvents.some((b) => (b as { event: string }).event === 'tool_result')).toBe(false);
  });

  it('a refused transfer is an RpcError carrying our error code', async () => {
    const t = setup();
    const room = await t.open();
    const answer = room.call('patchthrough.transfer', { destination: '+19005550100' });
    await settle();
    t.link.sendToolResult('rpc-1', {
      ok: false,
      error: { code: 'destination_not_allowed', message: 'not a configured destination' },
    });
    const got = await answer;
    expect(got.ok).toBe(false);
    if (got.ok) return;
    expect(got.failure.code).toBe(1500);
    expect(got.failure.message).toBe('destination_not_allowed');
    expect(JSON.parse(got.failure.data ?? '')).toEqual({
      code: 'destination_not_allowed',
      message: 'not a configured destination',
    });
  });

  it('bad payloads are refused naming the field; only the agent may call; no answer in time is a timeout error', async () => {
    const t = setup();
    const room = await t.open();
    const bad = await room.call('patchthrough.transfer', { rule: 'Billing', skill: 'x', mode: 'sideways' });
    expect(bad.ok ? undefined : bad.failure.message).toBe('invalid_request');
    expect(bad.ok ? '' : bad.failure.data).toContain('mode');
    const notJson = await room.call('patchthrough.transfer', 'nope');
    expect(notJson.ok ? undefined : notJson.failure.message).toBe('invalid_request');
    const stranger = await room.call('patchthrough.transfer', {}, { from: 'eavesdropper' });
    expect(stranger.ok ? undefined : stranger.failure.message).toBe('not_allowed');
    expect(t.events.filter((e) => e.type === 'agent.transfer')).toEqual([]);
    const slow = room.call('patchthrough.transfer', {}, { timeoutMs: 2000 });
    await settle();
    t.timers.advance(1750);
    const late = await slow;
    expect(late.ok ? undefined : late.failure.message).toBe('timeout');
  });

  it('patchthrough.tool_call: an LLM tool call, answered with its result', async () => {
    const t = setup();
    const room = await t.open();
    const answer = room.call('patchthrough.tool_call', {
      id: 'call_9',
      name: 'transfer_call',
      arguments: '{"destination":"sales"}',
    });
    await settle();
    expect(t.events.find((e) => e.type === 'agent.tool_call')).toEqual({
      type: 'agent.tool_call',
      id: 'call_9',
      name: 'transfer_call',
      args: { destination: 'sales' },
    });
    t.link.sendToolResult('call_9', { ok: true, result: { transferId: 'T2' } });
    expect(await answer).toEqual({ ok: true, answer: { transferId: 'T2', status: 'started' } });
  });

  it('patchthrough.hangup: agent.hangup with its reason', async () => {
    const t = setup();
    const room = await t.open();
    expect(await room.call('patchthrough.hangup', { reason: 'done' })).toEqual({
      ok: true,
      answer: { ok: true },
    });
    expect(t.events.at(-1)).toEqual({ type: 'agent.hangup', via: 'event', reason: 'done' });
  });

  it('the call ends with an RPC pending: it is answered call_ended', async () => {
    const t = setup();
    const room = await t.open();
    const answer = room.call('patchthrough.transfer', {});
    await settle();
    await t.link.close('call ended');
    const got = await answer;
    expect(got.ok ? undefined : got.failure.message).toBe('call_ended');
  });
});

describe('LiveKit wire: daemon → agent', () => {
  it('transfer_status and resume: reliable data packets on patchthrough.events, mirrored in attributes; destination redacted', async () => {
    const t = setup();
    const room = await t.open();
    t.link.sendTransferStatus({
      transferId: 'T1',
      status: 'dialing',
      destination: '+14155550111',
      legId: 'T1:0',
    });
    t.link.sendTransferStatus({ transferId: 'T1', status: 'failed', outcome: 'busy', legId: 'T1:0' });
    t.link.sendResume('T1', 'busy');
    t.link.sendToolResult('nobody-asked', { ok: true, result: {} });
    expect(room.actions).toEqual([
      {
        type: 'attributes',
        attributes: {
          'patchthrough.transfer_id': 'T1',
          'patchthrough.transfer_status': 'dialing',
          'patchthrough.transfer_outcome': '',
        },
      },
      {
        type: 'data',
        topic: 'patchthrough.events',
        body: { event: 'transfer_status', transferId: 'T1', status: 'dialing', destination: '+*******0111' },
      },
      {
        type: 'attributes',
        attributes: {
          'patchthrough.transfer_id': 'T1',
          'patchthrough.transfer_status': 'failed',
          'patchthrough.transfer_outcome': 'busy',
        },
      },
      {
        type: 'data',
        topic: 'patchthrough.events',
        body: { event: 'transfer_status', transferId: 'T1', status: 'failed', outcome: 'busy' },
      },
      {
        type: 'attributes',
        attributes: { 'patchthrough.resumed_transfer_id': 'T1', 'patchthrough.transfer_outcome': 'busy' },
      },
      {
        type: 'data',
        topic: 'patchthrough.events',
        body: { event: 'resume', transferId: 'T1', outcome: 'busy' },
      },
      {
        type: 'data',
        topic: 'patchthrough.events',
        body: { event: 'tool_result', id: 'nobody-asked', ok: true, result: {} },
      },
    ]);
    expect(JSON.stringify(room.actions)).not.toContain('4155550111');
  });

  it('summary_request: the agent’s patchthrough.summarize answer is the summary; without the method, an empty one at once (the template)', async () => {
    const a = setup();
    const roomA = await a.open();
    roomA.agentMethods.set('patchthrough.summarize', async (payload) => {
      expect(JSON.parse(payload)).toEqual({ transferId: 'T1', timeoutMs: 2500 });
      return JSON.stringify({ text: 'Caller wants a refund.' });
    });
    a.link.sendSummaryRequest('T1', 2500);
    await settle();
    expect(a.events.at(-1)).toEqual({
      type: 'agent.summary',
      text: 'Caller wants a refund.',
      transferId: 'T1',
    });
    expect(roomA.sentEvents).toContainEqual({ event: 'summary_request', transferId: 'T1', timeoutMs: 2500 });
    const b = setup();
    await b.open();
    b.link.sendSummaryRequest('T1', 2500);
    await settle();
    expect(b.events.at(-1)).toEqual({ type: 'agent.summary', text: '', transferId: 'T1' });
  });
});

describe('LiveKit wire: agent → daemon without RPC', () => {
  it('what the agent says (its transcription) is scanned for [TRANSFER:…]: deltas, then final at the end of the stream', async () => {
    const t = setup();
    const room = await t.open();
    await room.say(['One moment, ', '[TRANSFER:', 'Billing]']);
    await settle();
    expect(t.events.filter((e) => e.type === 'agent.text')).toEqual([
      { type: 'agent.text', text: 'One moment, ', final: false },
      { type: 'agent.text', text: '[TRANSFER:', final: false },
      { type: 'agent.text', text: 'Billing]', final: false },
      { type: 'agent.text', text: '', final: true },
    ]);
    // The caller's own transcription (published for the daemon's identity) is not the agent speaking.
    // (Never read, so never awaited.)
    void room.say(['[TRANSFER:+19005550100]'], room.identity);
    await settle();
    expect(t.events.filter((e) => e.type === 'agent.text')).toHaveLength(4);
  });

  it('control bodies as data packets on patchthrough.events (said, summary…); bad or foreign packets change nothing', async () => {
    const t = setup();
    const room = await t.open();
    room.data({ event: 'said', transferId: 'T1' });
    room.data({ event: 'transfer', mode: 'sideways' });
    room.data({ event: 'said', transferId: 'T1' }, 'eavesdropper');
    room.data({ event: 'said', transferId: 'T1' }, 'agent-1', 'chat');
    room.events.data('agent-1', 'patchthrough.events', Buffer.from('not json'));
    room.data({ event: 'future_event' });
    expect(t.events.slice(1)).toEqual([{ type: 'agent.said', transferId: 'T1' }]);
  });
});

describe('LiveKit transport kind', () => {
  it('builds a wire from the agent configuration and the environment credentials', async () => {
    const port = new FakeLivekitPort();
    const asked: unknown[] = [];
    const kind = livekitTransportWith(async (url, credentials) => {
      asked.push({ url, credentials });
      return port;
    });
    const wire = kind.createWire({
      endpoint: {
        transport: 'livekit',
        url: CONFIG.url,
        livekit: CONFIG,
        audio: { encoding: 'mulaw', sampleRate: 8000 },
        headers: {},
        connectTimeoutMs: 5000,
        waitAudio: { sound: 'comfort_noise', afterMs: 1000 },
        speaksMessages: false,
      },
      callId: 'CA9',
      agentId: 'front-desk',
      carrier: 'plivo',
      direction: 'outbound',
      format: MULAW_8K,
      clock: { nowMs: () => 0 },
      timers: new HandTimers(),
      log: (await import('../../src/log.js')).silentLogger(),
      secrets: { livekit: { apiKey: 'devkey', apiSecret: 'secret' } },
    });
    wire.open({
      opened: () => {},
      lost: () => {},
      ended: () => {},
      audio: () => {},
      audioBase64: () => {},
      mark: () => {},
      clear: () => {},
      control: () => {},
    });
    await settle();
    expect(asked).toEqual([{ url: CONFIG.url, credentials: { apiKey: 'devkey', apiSecret: 'secret' } }]);
    expect(port.created[0]?.name).toBe('pt-CA9');
    await wire.close('call ended');
  });
});
