import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { AgentConnection } from '../../src/agent/websocket/agent-connection.js';
import type { OutboundMediaEvent } from '../../src/domain/media.js';
import { MediaBridge } from '../../src/media/bridge.js';
import { type EchoBot, startEchoBot } from '../support/echo-bot.js';
import { eventually } from '../support/eventually.js';

/** The carrier side, as a test double: records what the bridge sends; its send buffer is settable. */
class FakeCarrierPort {
  readonly sent: OutboundMediaEvent[] = [];
  buffered = 0;
  send(event: OutboundMediaEvent): void {
    this.sent.push(event);
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  audio(): Buffer[] {
    return this.sent.flatMap((e) => (e.type === 'audio' ? [e.payload] : []));
  }
  marks(): string[] {
    return this.sent.flatMap((e) => (e.type === 'mark' ? [e.name] : []));
  }
}

/** Frame `i` of a test call: 160 bytes that walk through every μ-law code. */
function frame(i: number): Buffer {
  const out = Buffer.alloc(160);
  for (let j = 0; j < 160; j++) out[j] = (i * 160 + j) % 256;
  return out;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(burstFrames = 5): Promise<{
  bot: EchoBot;
  agent: AgentConnection;
  bridge: MediaBridge;
  port: FakeCarrierPort;
  events: AgentEvent[];
}> {
  const bot = await startEchoBot({ burstFrames });
  cleanups.push(bot.close);
  const events: AgentEvent[] = [];
  const agent = new AgentConnection({
    url: bot.url,
    callId: 'call-1',
    agentId: 'agent-1',
    carrier: 'twilio',
    direction: 'inbound',
    listener: { onAgentEvent: (e) => events.push(e) },
  });
  cleanups.push(() => agent.close());
  const bridge = new MediaBridge({ agent });
  cleanups.push(() => bridge.close());
  const port = new FakeCarrierPort();
  bridge.attachCarrier({ port });
  expect(await agent.connect()).toBe(true);
  return { bot, agent, bridge, port, events };
}

describe('MediaBridge with a plain Twilio bot (echo bot)', () => {
  it('μ-law passes through bit-exact both ways, every frame, in order', async () => {
    const { bot, bridge, port } = await setup();
    const count = 250;
    for (let i = 0; i < count; i++) bridge.handleCarrierEvent({ type: 'audio', payload: frame(i) });
    await eventually(() => port.audio().length === count, 'all echoed audio frames at the carrier');
    // The bot heard exactly what the caller said …
    const heard = bot.sessions[0]!.received.filter((f) => f.event === 'media');
    expect(heard).toHaveLength(count);
    heard.forEach((f, i) => {
      expect(Buffer.from((f.media as { payload: string }).payload, 'base64').equals(frame(i))).toBe(true);
    });
    // … and the caller hears exactly what the bot said, frame for frame.
    port.audio().forEach((payload, i) => {
      expect(payload.equals(frame(i))).toBe(true);
    });
    expect(bridge.stats()).toMatchObject({
      droppedBytesToCarrier: 0,
      droppedBytesToAgent: 0,
      discardedAgentFrames: 0,
    });
  });

  it('forwards the bot’s marks behind its audio and echoes them only after the carrier does, in order', async () => {
    const { bot, bridge, port } = await setup(5);
    for (let i = 0; i < 15; i++) bridge.handleCarrierEvent({ type: 'audio', payload: frame(i) });
    await eventually(() => port.marks().length === 3, 'three marks sent to the carrier');
    // audio ×5, mark, audio ×5, mark, audio ×5, mark
    expect(port.sent.map((e) => e.type)).toEqual(
      Array.from({ length: 3 }, () => [...Array<string>(5).fill('audio'), 'mark']).flat(),
    );
    const session = bot.sessions[0]!;
    const marksToBot = () =>
      session.received.filter((f) => f.event === 'mark').map((f) => (f.mark as { name: string }).name);
    expect(marksToBot()).toEqual([]);
    expect(bridge.stats().pendingMarks).toBe(3);

    const [first, second, third] = port.marks();
    bridge.handleCarrierEvent({ type: 'mark', name: first! });
    await eventually(() => marksToBot().length === 1, 'the first mark echoed to the bot');
    expect(marksToBot()).toEqual(['echo-1']);
    // An echo of the third mark proves the second's audio played too.
    bridge.handleCarrierEvent({ type: 'mark', name: third! });
    await eventually(() => marksToBot().length === 3, 'three marks echoed to the bot');
    expect(marksToBot()).toEqual(['echo-1', 'echo-2', 'echo-3']);
    // A repeated echo changes nothing.
    bridge.handleCarrierEvent({ type: 'mark', name: second! });
    expect(bridge.stats().pendingMarks).toBe(0);
  });

  it('markAfterQueuedAudio settles only when the carrier echoes the mark sent after the queued audio', async () => {
    const { bridge, port } = await setup(1000);
    for (let i = 0; i < 10; i++) bridge.handleCarrierEvent({ type: 'audio', payload: frame(i) });
    await eventually(() => port.audio().length === 10, 'ten audio frames at the carrier');
    let result: string | undefined;
    const played = bridge.markAfterQueuedAudio('handoff').then((r) => {
      result = r;
    });
    const events = port.sent.map((e) => e.type);
    expect(events.slice(-1)).toEqual(['mark']);
    expect(events.filter((t) => t === 'audio')).toHaveLength(10);
    await new Promise((resolve) => setImmediate(resolve));
    expect(result).toBeUndefined();
    bridge.handleCarrierEvent({ type: 'mark', name: port.marks()[0]! });
    await played;
    expect(result).toBe('played');
    // A stream that ends first settles the wait too; with no stream there is nothing to wait for.
    const cut = bridge.markAfterQueuedAudio('cut');
    bridge.detachCarrier();
    expect(await cut).toBe('detached');
    expect(await bridge.markAfterQueuedAudio('none')).toBe('detached');
  });

  it('passes DTMF through to the bot', async () => {
    const { bot, bridge } = await setup();
    bridge.handleCarrierEvent({ type: 'dtmf', digit: '#' });
    await bot.until(() => bot.sessions[0]!.received.some((f) => f.event === 'dtmf'));
    expect(bot.sessions[0]!.received.at(-1)).toMatchObject({
      event: 'dtmf',
      dtmf: { track: 'inbound_track', digit: '#' },
    });
  });

  it('while paused nothing flows either way; resumed, it flows again on the same socket', async () => {
    const { bot, bridge, port } = await setup(1000);
    bridge.handleCarrierEvent({ type: 'audio', payload: frame(0) });
    await eventually(() => port.audio().length === 1, 'one audio frame at the carrier');
    const at = bridge.lastAgentFrameAtMs;
    expect(at).toBeTypeOf('number');
    bridge.pauseAgentAudio();
    for (let i = 1; i <= 5; i++) bridge.handleCarrierEvent({ type: 'audio', payload: frame(i) });
    bridge.handleCarrierEvent({ type: 'dtmf', digit: '1' });
    bridge.resumeAgentAudio();
    bridge.handleCarrierEvent({ type: 'audio', payload: frame(6) });
    await eventually(() => port.audio().length === 2, 'two audio frames at the carrier');
    const received = bot.sessions[0]!.received;
    const heard = received.flatMap((f) =>
      f.event === 'media' ? [Buffer.from((f.media as { payload: string }).payload, 'base64')] : [],
    );
    expect(heard).toHaveLength(2);
    expect(heard[0]!.equals(frame(0)) && heard[1]!.equals(frame(6))).toBe(true);
    expect(received.some((f) => f.event === 'dtmf')).toBe(false);
    expect(port.audio()[1]!.equals(frame(6))).toBe(true);
    expect(bot.sessions).toHaveLength(1);
  });

  it('the bot’s audio is discarded (and counted) while paused', async () => {
    const { bot, bridge, port } = await setup(1000);
    bridge.handleCarrierEvent({ type: 'audio', payload: frame(0) });
    await eventually(() => port.audio().length === 1, 'one audio frame at the carrier');
    bridge.pauseAgentAudio();
    // The bot only speaks when spoken to; make it speak by sending straight through the socket.
    bot.sessions[0]!.socket.send(
      JSON.stringify({
        event: 'media',
        streamSid: bot.sessions[0]!.streamSid,
        media: { payload: frame(9).toString('base64') },
      }),
    );
    await eventually(() => bridge.stats().discardedAgentFrames === 1, 'one discarded agent frame');
    expect(port.audio()).toHaveLength(1);
  });
});
