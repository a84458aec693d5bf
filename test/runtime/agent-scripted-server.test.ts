import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { type ScriptedAgentOptions, ScriptedAgentServer } from '../../src/agent/scripted-agent-server.js';
import { AgentConnection, type AgentConnectionOptions } from '../../src/agent/websocket/agent-connection.js';
import type { OutboundMediaEvent } from '../../src/domain/media.js';
import { MediaBridge } from '../../src/media/bridge.js';
import type { Clock } from '../../src/media/clock.js';
import { TransferTagScanner } from '../../src/transfer/tags.js';
import { eventually } from '../support/eventually.js';

class FakeCarrierPort {
  readonly sent: OutboundMediaEvent[] = [];
  send(event: OutboundMediaEvent): void {
    this.sent.push(event);
  }
  bufferedBytes(): number {
    return 0;
  }
  audioBytes(): number {
    return this.sent.reduce((n, e) => n + (e.type === 'audio' ? e.payload.length : 0), 0);
  }
  marks(): string[] {
    return this.sent.flatMap((e) => (e.type === 'mark' ? [e.name] : []));
  }
}

/** A clock that counts: each reading is one later than the last (so timestamps show order). */
class CountingClock implements Clock {
  #now = 0;
  nowMs(): number {
    this.#now += 1;
    return this.#now;
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function call(options: ScriptedAgentOptions, extra: Partial<AgentConnectionOptions> = {}) {
  const server = await ScriptedAgentServer.start(options);
  cleanups.push(() => server.close());
  const events: AgentEvent[] = [];
  const agent = new AgentConnection({
    url: server.url,
    callId: 'call-7',
    agentId: 'agent-1',
    carrier: 'twilio',
    direction: 'inbound',
    listener: { onAgentEvent: (e) => events.push(e) },
    reconnectDelayMs: 0,
    ...extra,
  });
  cleanups.push(() => agent.close());
  const bridge = new MediaBridge({ agent });
  cleanups.push(() => bridge.close());
  const port = new FakeCarrierPort();
  bridge.attachCarrier({ port });
  await agent.connect();
  return { server, agent, bridge, port, events, session: await server.session() };
}

describe('ScriptedAgentServer', () => {
  it('says, streams a split [TRANSFER:…] tag, waits for resume, then says more', async () => {
    const clock = new CountingClock();
    const { agent, port, events, session } = await call({
      clock,
      script: [
        { say: 600 },
        { text: ['Let me put you ', 'through [TRANS', 'FER:+14155550111]'] },
        { awaitEvent: 'resume' },
        { say: 300 },
      ],
    });
    await eventually(
      () => events.filter((e) => e.type === 'agent.text').length === 3,
      'three agent.text events',
    );
    // 600 ms of μ-law in 20 ms frames, then the mark.
    expect(port.audioBytes()).toBe(4800);
    expect(port.sent.filter((e) => e.type === 'audio')).toHaveLength(30);
    expect(port.sent.at(-1)?.type).toBe('mark');
    const texts = events.flatMap((e) => (e.type === 'agent.text' ? [e] : []));
    expect(texts.map((e) => e.final)).toEqual([false, false, true]);
    // The runtime feeds these deltas to the tag scanner; the tag comes out whole and unspoken.
    const scanner = new TransferTagScanner();
    const spoken: string[] = [];
    const tags: string[] = [];
    for (const e of texts) {
      const out = scanner.push(e.text);
      spoken.push(out.speak);
      tags.push(...out.tags);
    }
    const end = scanner.endTurn();
    expect(spoken.join('') + end.speak).toBe('Let me put you through ');
    expect([...tags, ...end.tags]).toEqual(['+14155550111']);

    expect(port.marks()).toHaveLength(1);
    agent.sendResume('t1', 'no_answer');
    await eventually(() => port.marks().length === 2, 'two marks sent to the carrier');
    expect(port.audioBytes()).toBe(4800 + 2400);
    const resume = session.frames('resume')[0]!;
    expect(resume.frame).toMatchObject({ event: 'resume', transferId: 't1', outcome: 'no_answer' });
    const start = session.frames('start')[0]!;
    expect(resume.atMs).toBeGreaterThan(start.atMs);
    expect(session.start).toMatchObject({
      callId: 'call-7',
      resumed: false,
      format: { encoding: 'mulaw', sampleRate: 8000 },
    });
  });

  it('sends transfer requests and tool calls, and waits for the tool result', async () => {
    const { agent, events, session } = await call({
      script: [
        { transfer: { rule: 'billing', reason: 'refund', mode: 'warm' } },
        { toolCall: { name: 'transfer_call', arguments: { destination: 'sales' } } },
        { awaitEvent: 'tool_result' },
        { hangup: 'all done' },
      ],
    });
    await eventually(() => events.some((e) => e.type === 'agent.tool_call'), 'an agent.tool_call event');
    expect(events.slice(1)).toEqual([
      { type: 'agent.transfer', rule: 'billing', reason: 'refund', mode: 'warm' },
      { type: 'agent.tool_call', id: 'call_1', name: 'transfer_call', args: { destination: 'sales' } },
    ]);
    agent.sendToolResult('call_1', { ok: true, result: { status: 'dialing' } });
    await session.finished;
    await eventually(() => events.some((e) => e.type === 'agent.hangup'), 'an agent.hangup event');
    expect(events.at(-1)).toEqual({ type: 'agent.hangup', via: 'event', reason: 'all done' });
  });

  it('answers summary_request with its summary', async () => {
    const { agent, events, session } = await call({ script: [], summary: 'Caller wants a refund.' });
    agent.sendSummaryRequest('t9', 2500);
    await eventually(() => events.some((e) => e.type === 'agent.summary'), 'an agent.summary event');
    expect(events.at(-1)).toEqual({
      type: 'agent.summary',
      text: 'Caller wants a refund.',
      transferId: 't9',
    });
    expect(session.frames('summary_request')[0]?.frame).toMatchObject({ transferId: 't9', timeoutMs: 2500 });
  });

  it('with summary: null it never answers (the daemon falls back to its template)', async () => {
    const { agent, events, session } = await call({ script: [], summary: null });
    agent.sendSummaryRequest('t9', 2500);
    agent.sendTransferStatus({ transferId: 't9', status: 'ringing' });
    await session.waitFor((f) => f.event === 'transfer_status');
    expect(events.some((e) => e.type === 'agent.summary')).toBe(false);
    expect(session.frames('summary_request')).toHaveLength(1);
  });

  it('waits for the echo of its own mark', async () => {
    const { bridge, port, session } = await call({
      script: [{ say: 100, mark: 'hello' }, { awaitMark: 'hello' }, { say: 40 }],
    });
    await eventually(() => port.marks().length === 1, 'one mark sent to the carrier');
    expect(port.audioBytes()).toBe(800);
    bridge.handleCarrierEvent({ type: 'mark', name: port.marks()[0]! });
    await eventually(() => port.marks().length === 2, 'two marks sent to the carrier');
    expect(session.markEchoes).toEqual(['hello']);
    expect(port.audioBytes()).toBe(800 + 320);
  });

  it('a normal close is a hang-up; the stop of a daemon close is recorded', async () => {
    const hangup = await call({ script: [{ say: 20 }, { close: 'normal' }] });
    await eventually(() => hangup.events.some((e) => e.type === 'agent.hangup'), 'an agent.hangup event');
    expect(hangup.events.at(-1)).toEqual({ type: 'agent.hangup', via: 'close' });

    const { agent, session } = await call({ script: [] });
    await agent.close('caller hung up');
    await session.finished;
    expect(session.frames('stop')[0]?.frame).toMatchObject({ stop: { reason: 'caller hung up' } });
    expect(session.closeCode).toBe(1000);
  });

  it('an abrupt close makes the daemon reconnect; the script can tell a resumed stream apart', async () => {
    const { server, events } = await call({
      script: (start) => (start.resumed ? [{ say: 40, mark: 'back' }] : [{ close: 'abrupt' }]),
    });
    const second = await server.session(1);
    await eventually(
      () => second.start !== undefined && events.some((e) => e.type === 'agent.connected' && e.resumed),
      'the resumed session to start and agent.connected (resumed)',
    );
    expect(second.start?.resumed).toBe(true);
    expect(server.sessions[0]!.closeCode).toBe(1006);
    expect(events.map((e) => e.type)).toEqual(['agent.connected', 'agent.reconnecting', 'agent.connected']);
  });

  it('speaks PCM16 when the daemon asks for it', async () => {
    const { port } = await call(
      { script: [{ say: 100 }] },
      { format: { encoding: 'pcm16', sampleRate: 16000 } },
    );
    await eventually(() => port.marks().length === 1, 'one mark sent to the carrier');
    // 100 ms of PCM16 at 16 kHz (3 200 bytes) becomes 100 ms of μ-law at 8 kHz on the carrier side.
    expect(Math.abs(port.audioBytes() - 800)).toBeLessThanOrEqual(1);
  });
});
