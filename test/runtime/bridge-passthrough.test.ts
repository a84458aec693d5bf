import { afterEach, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/agent/websocket/agent-connection.js';
import { MULAW_8K, type OutboundMediaEvent } from '../../src/domain/media.js';
import { type Base64Payload, base64Text } from '../../src/lib/base64-payload.js';
import type { AgentMediaPort, AgentMediaSink } from '../../src/media/agent-port.js';
import { MediaBridge } from '../../src/media/bridge.js';
import { type EchoBot, startEchoBot } from '../support/echo-bot.js';
import { eventually } from '../support/eventually.js';

/**
 * The μ-law fast path: a carrier stream whose wire is base64 JSON (a codec with `scanAudio` and
 * `encodeAudioBase64`) and a μ-law agent on the WebSocket transport. Caller audio goes to the
 * agent as the carrier's base64 text and the agent's text comes back to the carrier, never
 * decoded — and still in order with marks, DTMF and `clear`, through the same bounded queues.
 */
class Base64CarrierPort {
  /** Everything sent, in order: base64 audio as `b64:<text>`, other events by type. */
  readonly sent: string[] = [];
  readonly decoded: OutboundMediaEvent[] = [];
  buffered = 0;
  send(event: OutboundMediaEvent): void {
    this.decoded.push(event);
    this.sent.push(event.type === 'mark' ? `mark:${event.name}` : event.type);
  }
  sendAudioBase64(payload: Base64Payload): void {
    this.sent.push(`b64:${base64Text(payload)}`);
  }
  bufferedBytes(): number {
    return this.buffered;
  }
  audio(): string[] {
    return this.sent.filter((s) => s.startsWith('b64:')).map((s) => s.slice(4));
  }
}

/** Frame `i`: 160 bytes walking through every μ-law code, as base64 text. */
function frame(i: number): string {
  const out = Buffer.alloc(160);
  for (let j = 0; j < 160; j++) out[j] = (i * 160 + j) % 256;
  return out.toString('base64');
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  burstFrames = 5,
): Promise<{ bot: EchoBot; bridge: MediaBridge; port: Base64CarrierPort }> {
  const bot = await startEchoBot({ burstFrames });
  cleanups.push(bot.close);
  const agent = new AgentConnection({
    url: bot.url,
    callId: 'call-1',
    agentId: 'agent-1',
    carrier: 'twilio',
    direction: 'inbound',
    listener: { onAgentEvent: () => undefined },
  });
  cleanups.push(() => agent.close());
  const bridge = new MediaBridge({ agent });
  cleanups.push(() => bridge.close());
  const port = new Base64CarrierPort();
  bridge.attachCarrier({ port });
  expect(await agent.connect()).toBe(true);
  return { bot, bridge, port };
}

describe('μ-law passthrough as base64 text', () => {
  it('is bit-exact both ways, every frame, in order, and nothing is decoded on the way', async () => {
    const { bot, bridge, port } = await setup();
    const count = 250;
    for (let i = 0; i < count; i++) bridge.handleCarrierAudioBase64(frame(i));
    await eventually(() => port.audio().length === count, 'all echoed audio frames at the carrier');
    const heard = bot.sessions[0]?.received.filter((f) => f.event === 'media') ?? [];
    expect(heard.map((f) => (f.media as { payload: string }).payload)).toEqual(
      Array.from({ length: count }, (_, i) => frame(i)),
    );
    expect(port.audio()).toEqual(Array.from({ length: count }, (_, i) => frame(i)));
    // No audio reached the carrier as decoded bytes: the base64 path carried all of it.
    expect(port.decoded.filter((e) => e.type === 'audio')).toEqual([]);
  });

  it('keeps the bot’s marks behind its audio, DTMF in order with caller audio, and clear ahead of all', async () => {
    const { bot, bridge, port } = await setup(3);
    for (let i = 0; i < 3; i++) bridge.handleCarrierAudioBase64(frame(i));
    bridge.handleCarrierEvent({ type: 'dtmf', digit: '5' });
    bridge.handleCarrierAudioBase64(frame(3));
    await eventually(() => port.sent.some((s) => s.startsWith('mark:')), 'the bot’s mark at the carrier');
    expect(port.sent.slice(0, 3)).toEqual([`b64:${frame(0)}`, `b64:${frame(1)}`, `b64:${frame(2)}`]);
    // The bot's mark, under the bridge's own wire name, right behind the audio it follows.
    expect(port.sent[3]).toMatch(/^mark:/);
    const session = bot.sessions[0];
    await eventually(() => (session?.received.length ?? 0) >= 7, 'the bot to hear audio and DTMF');
    expect(session?.received.map((f) => f.event).slice(2, 7)).toEqual([
      'media',
      'media',
      'media',
      'dtmf',
      'media',
    ]);
    // Barge-in: queued audio toward the carrier is dropped and `clear` goes out first.
    port.buffered = 1 << 20;
    bridge.handleCarrierAudioBase64(frame(4));
    bridge.handleCarrierAudioBase64(frame(5));
    await eventually(
      () => bridge.stats().queuedBytesToCarrier > 0,
      'echoed audio queued behind a full socket',
    );
    session?.socket.send(JSON.stringify({ event: 'clear', streamSid: session.streamSid }));
    await eventually(() => port.sent.includes('clear'), 'clear at the carrier');
    expect(bridge.stats().queuedBytesToCarrier).toBe(0);
  });

  it('caps what waits for a stalled carrier by decoded bytes, as for decoded audio', async () => {
    const bot = await startEchoBot({ burstFrames: 1_000_000 });
    cleanups.push(bot.close);
    const agent = new AgentConnection({
      url: bot.url,
      callId: 'call-2',
      agentId: 'agent-1',
      carrier: 'twilio',
      direction: 'inbound',
      listener: { onAgentEvent: () => undefined },
    });
    cleanups.push(() => agent.close());
    // 100 ms of μ-law at most: 800 bytes, five 160-byte frames.
    const bridge = new MediaBridge({ agent, maxQueuedMs: 100 });
    cleanups.push(() => bridge.close());
    const port = new Base64CarrierPort();
    port.buffered = 1 << 20;
    bridge.attachCarrier({ port });
    expect(await agent.connect()).toBe(true);
    for (let i = 0; i < 20; i++) bridge.handleCarrierAudioBase64(frame(i));
    await eventually(() => bridge.stats().droppedBytesToCarrier > 0, 'the cap to drop echoed audio');
    await eventually(() => bridge.stats().droppedBytesToCarrier === 15 * 160, 'fifteen frames dropped');
    expect(bridge.stats().queuedBytesToCarrier).toBe(800);
    port.buffered = 0;
    await eventually(() => port.audio().length === 5, 'the five newest frames sent once the socket drains');
    expect(port.audio()).toEqual([15, 16, 17, 18, 19].map(frame));
  });

  it('keeps the text of audio that waits, not the span of a frame whose bytes are reused', () => {
    // A socket reuses nothing, but a scanner's span is only good until the next frame: what
    // waits in a queue must be its own copy. One buffer stands for every frame here.
    const wire = Buffer.alloc(512);
    const spanOf = (i: number): Base64Payload => {
      const text = frame(i);
      wire.write(text, 7, 'latin1');
      wire.fill(0x41, 7 + text.length);
      return { bytes: wire, start: 7, end: 7 + text.length };
    };
    let sink: AgentMediaSink | undefined;
    const toAgent: string[] = [];
    let agentBacklog = 1 << 20;
    const agent: AgentMediaPort = {
      format: MULAW_8K,
      sendAudio: () => undefined,
      sendAudioBase64: (payload) => toAgent.push(base64Text(payload)),
      sendDtmf: () => undefined,
      sendMark: () => undefined,
      backlogBytes: () => agentBacklog,
      setMediaSink: (s) => {
        sink = s;
      },
    };
    const bridge = new MediaBridge({ agent });
    cleanups.push(() => bridge.close());
    const port = new Base64CarrierPort();
    port.buffered = 1 << 20;
    bridge.attachCarrier({ port });
    bridge.resumeAgentAudio();
    for (let i = 0; i < 3; i++) {
      bridge.handleCarrierAudioBase64(spanOf(i));
      sink?.onAgentAudioBase64?.(spanOf(10 + i), 160);
    }
    expect(toAgent).toEqual([]);
    expect(port.audio()).toEqual([]);
    // Both sockets drain; the queues give what was queued, though the buffer now holds frame 12.
    agentBacklog = 0;
    port.buffered = 0;
    bridge.handleCarrierEvent({ type: 'dtmf', digit: '1' });
    sink?.onAgentMark('m');
    expect(toAgent).toEqual([0, 1, 2].map(frame));
    expect(port.audio()).toEqual([10, 11, 12].map(frame));
  });
});
