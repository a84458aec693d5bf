import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedAgentServer, type ScriptStep } from '../../src/agent/scripted-agent-server.js';
import { AgentConnection } from '../../src/agent/websocket/agent-connection.js';
import { type AudioFormat, MULAW_8K, type OutboundMediaEvent } from '../../src/domain/media.js';
import { type BridgeDirection, MediaBridge, type MediaBridgeOptions } from '../../src/media/bridge.js';
import type { Clock, Timers } from '../../src/media/clock.js';
import { decodeMulaw } from '../../src/media/mulaw.js';
import { tone } from '../../src/media/tone.js';
import { toSamples } from '../../src/media/transcode.js';
import { startEchoBot } from '../support/echo-bot.js';
import { eventually } from '../support/eventually.js';

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

/** Timers and a clock that move only when the test says so. */
class ManualTime implements Clock, Timers {
  now = 1000;
  #due: { at: number; fn: () => void }[] = [];
  nowMs(): number {
    return this.now;
  }
  setTimeout(fn: () => void, delayMs: number): unknown {
    const entry = { at: this.now + delayMs, fn };
    this.#due.push(entry);
    return entry;
  }
  clearTimeout(handle: unknown): void {
    this.#due = this.#due.filter((entry) => entry !== handle);
  }
  advance(ms: number): void {
    this.now += ms;
    for (;;) {
      const next = this.#due.filter((entry) => entry.at <= this.now).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) return;
      this.#due = this.#due.filter((entry) => entry !== next);
      next.fn();
    }
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function withScript(
  script: readonly ScriptStep[],
  bridgeOptions: Partial<MediaBridgeOptions> = {},
  agentFormat: AudioFormat = MULAW_8K,
) {
  const server = await ScriptedAgentServer.start({ script });
  cleanups.push(() => server.close());
  const agent = new AgentConnection({
    url: server.url,
    callId: 'call-1',
    agentId: 'agent-1',
    carrier: 'twilio',
    direction: 'inbound',
    listener: { onAgentEvent: () => {} },
    format: agentFormat,
  });
  cleanups.push(() => agent.close());
  const bridge = new MediaBridge({ agent, ...bridgeOptions });
  cleanups.push(() => bridge.close());
  return { server, agent, bridge };
}

describe('MediaBridge: clear (barge-in)', () => {
  it('jumps the queue, drops queued audio, and answers pending marks', async () => {
    const { server, agent, bridge } = await withScript([
      { say: 1000, mark: 'sentence' },
      { awaitEvent: 'dtmf' },
      { clear: true },
    ]);
    const port = new FakeCarrierPort();
    // The carrier socket is backed up: everything the agent says waits in the bridge.
    port.buffered = 1_000_000;
    bridge.attachCarrier({ port });
    await agent.connect();
    const session = await server.session();
    await eventually(
      () => bridge.stats().pendingMarks === 1 && bridge.stats().queuedBytesToCarrier === 8000,
      "the agent's mark pending behind 1 s of queued audio",
    );
    let handoff: string | undefined;
    void bridge.markAfterQueuedAudio('handoff').then((r) => {
      handoff = r;
    });
    expect(port.sent).toEqual([]);
    bridge.handleCarrierEvent({ type: 'dtmf', digit: '0' }); // the caller talks over the agent
    await session.waitFor((f) => f.event === 'mark');
    expect(port.sent).toEqual([{ type: 'clear' }]);
    expect(session.markEchoes).toEqual(['sentence']);
    expect(handoff).toBe('cleared');
    // Nothing is left to go out once the carrier drains.
    expect(bridge.stats()).toMatchObject({ queuedBytesToCarrier: 0, pendingMarks: 0 });
  });

  it('a late carrier echo of a cleared mark does not answer a newer mark', async () => {
    const { server, agent, bridge } = await withScript([
      { say: 100, mark: 'old' },
      { awaitEvent: 'dtmf' },
      { clear: true },
      { say: 100, mark: 'new' },
    ]);
    const port = new FakeCarrierPort();
    bridge.attachCarrier({ port });
    await agent.connect();
    const session = await server.session();
    await eventually(() => port.marks().length === 1, 'the first mark sent to the carrier');
    const oldWire = port.marks()[0]!;
    bridge.handleCarrierEvent({ type: 'dtmf', digit: '0' });
    await eventually(() => port.marks().length === 2, 'the second mark sent to the carrier');
    // The clear answered 'old' on the agent's own socket: wait for that echo to arrive there
    // (the carrier side seeing the new mark proves nothing about the agent side's reads).
    await session.waitFor((f) => f.event === 'mark');
    expect(session.markEchoes).toEqual(['old']);
    bridge.handleCarrierEvent({ type: 'mark', name: oldWire }); // Twilio echoing the cleared mark
    expect(bridge.stats().pendingMarks).toBe(1);
    bridge.handleCarrierEvent({ type: 'mark', name: port.marks()[1]! });
    await eventually(() => session.markEchoes.length === 2, 'both mark echoes at the agent');
    expect(session.markEchoes).toEqual(['old', 'new']);
  });
});

describe('MediaBridge: back-pressure', () => {
  it('a stalled carrier socket holds at most 2 s of audio; the oldest is dropped and counted', async () => {
    const dropped: [BridgeDirection, number][] = [];
    const { agent, bridge } = await withScript([{ say: 10_000, toneHz: 0, mark: 'end' }], {
      metrics: { audioDropped: (direction, bytes) => dropped.push([direction, bytes]) },
    });
    const port = new FakeCarrierPort();
    port.buffered = 1_000_000;
    bridge.attachCarrier({ port });
    await agent.connect();
    await eventually(
      () => bridge.stats().pendingMarks === 1,
      "the agent's mark pending behind the capped queue",
    );
    // 10 s said, 2 s (16 000 bytes of μ-law) kept.
    expect(bridge.stats().queuedBytesToCarrier).toBe(16_000);
    expect(bridge.stats().droppedBytesToCarrier).toBe(80_000 - 16_000);
    expect(dropped.reduce((n, [, bytes]) => n + bytes, 0)).toBe(64_000);
    expect(dropped.every(([direction]) => direction === 'to_carrier')).toBe(true);
    port.buffered = 0; // the queue drains on its own
    await eventually(() => port.marks().length === 1, 'the mark sent to the carrier once it drains');
    // The newest 2 s, then the mark, in order.
    expect(port.audio().reduce((n, p) => n + p.length, 0)).toBe(16_000);
    expect(port.sent.at(-1)?.type).toBe('mark');
  });

  it('a stalled agent socket: memory stays bounded, drops are counted, ws.bufferedAmount is what holds it back', async () => {
    const bot = await startEchoBot({ burstFrames: 1_000_000 });
    cleanups.push(bot.close);
    const agent = new AgentConnection({
      url: bot.url,
      callId: 'call-1',
      agentId: 'agent-1',
      carrier: 'twilio',
      direction: 'inbound',
      listener: { onAgentEvent: () => {} },
      // The stalled bot will never answer the close handshake.
      closeTimeoutMs: 10,
    });
    cleanups.push(() => agent.close());
    const highWaterBytes = 256 * 1024;
    const bridge = new MediaBridge({ agent, highWaterBytes, maxQueuedMs: 2000 });
    cleanups.push(() => bridge.close());
    bridge.attachCarrier({ port: new FakeCarrierPort() });
    await agent.connect();
    await bot.until(() => bot.sessions[0]?.streamSid !== undefined);
    bot.sessions[0]!.stall();
    // One second of μ-law per frame, until the socket and the kernel are full and drops begin.
    const second = Buffer.alloc(8000, 0x55);
    let pushed = 0;
    while (bridge.stats().droppedBytesToAgent === 0 && pushed < 20_000) {
      bridge.handleCarrierEvent({ type: 'audio', payload: second });
      pushed += 1;
    }
    for (let i = 0; i < 200; i++) bridge.handleCarrierEvent({ type: 'audio', payload: second });
    const stats = bridge.stats();
    expect(stats.droppedBytesToAgent).toBeGreaterThan(0);
    expect(stats.queuedBytesToAgent).toBeLessThanOrEqual(16_000);
    expect(agent.bufferedBytes()).toBeGreaterThanOrEqual(highWaterBytes);
    // The socket's own buffer stops growing at the high-water mark plus one frame (~10.8 KB of JSON).
    expect(agent.bufferedBytes()).toBeLessThan(highWaterBytes + 12_000);
  });
});

describe('MediaBridge: carrier frame rules and formats', () => {
  it('re-chunks agent audio to the carrier’s rules (PCM16 8 kHz, 320-byte multiples, 3 200..100 000)', async () => {
    const time = new ManualTime();
    const { agent, bridge } = await withScript(
      [
        { say: 700, mark: 'a' },
        { say: 30, mark: false },
      ],
      {
        clock: time,
        timers: time,
        rechunkIdleFlushMs: 200,
      },
    );
    const port = new FakeCarrierPort();
    const pcm8: AudioFormat = { encoding: 'pcm16', sampleRate: 8000 };
    bridge.attachCarrier({
      port,
      format: pcm8,
      rechunk: { multipleOf: 320, minBytes: 3200, maxBytes: 100_000 },
    });
    await agent.connect();
    // The last 30 ms (480 bytes of PCM16) is held: too short for a chunk, and no mark follows it.
    await eventually(
      () => port.marks().length === 1 && bridge.stats().queuedBytesToCarrier === 480,
      'the mark sent and 480 bytes held for the carrier',
    );
    // 700 ms of μ-law = 5 600 bytes → 11 200 bytes of PCM16: 3 200 ×3, then 1 600 padded to 3 200 before the mark.
    expect(port.sent.map((e) => (e.type === 'audio' ? e.payload.length : e.type))).toEqual([
      3200,
      3200,
      3200,
      3200,
      'mark',
    ]);
    const sent = Buffer.concat(port.audio());
    const said = tone(MULAW_8K, { frequencyHz: 440, durationMs: 700 });
    expect(sent.subarray(0, 11_200).equals(decodeMulaw(said))).toBe(true);
    expect(sent.subarray(11_200).every((b) => b === 0)).toBe(true);
    // With no more audio, the idle flush pads the held 480 bytes and sends them — not before 200 ms.
    time.advance(199);
    expect(port.sent).toHaveLength(5);
    time.advance(1);
    expect(port.sent.map((e) => (e.type === 'audio' ? e.payload.length : e.type)).slice(5)).toEqual([3200]);
    const last = port.audio().at(-1)!;
    expect(
      last.subarray(0, 480).equals(decodeMulaw(tone(MULAW_8K, { frequencyHz: 440, durationMs: 30 }))),
    ).toBe(true);
    expect(bridge.stats().queuedBytesToCarrier).toBe(0);
  });

  it('a PCM16 16 kHz agent: the caller’s μ-law is converted both ways, and a tone keeps its pitch', async () => {
    const bot = await startEchoBot({ burstFrames: 1000 });
    cleanups.push(bot.close);
    const pcm16k: AudioFormat = { encoding: 'pcm16', sampleRate: 16000 };
    const agent = new AgentConnection({
      url: bot.url,
      callId: 'call-1',
      agentId: 'agent-1',
      carrier: 'twilio',
      direction: 'inbound',
      listener: { onAgentEvent: () => {} },
      format: pcm16k,
    });
    cleanups.push(() => agent.close());
    const bridge = new MediaBridge({ agent });
    cleanups.push(() => bridge.close());
    const port = new FakeCarrierPort();
    bridge.attachCarrier({ port });
    await agent.connect();
    const caller = tone(MULAW_8K, { frequencyHz: 1000, durationMs: 500, amplitude: 0.5 });
    for (let offset = 0; offset < caller.length; offset += 160) {
      bridge.handleCarrierEvent({ type: 'audio', payload: caller.subarray(offset, offset + 160) });
    }
    await eventually(
      () => port.audio().reduce((n, p) => n + p.length, 0) >= caller.length - 2,
      'the echoed audio back at the carrier',
    );
    const start = bot.sessions[0]!.received.find((f) => f.event === 'start') as {
      start: { mediaFormat: unknown };
    };
    expect(start.start.mediaFormat).toEqual({ encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 });
    const atAgent = Buffer.concat(
      bot.sessions[0]!.received.flatMap((f) =>
        f.event === 'media' ? [Buffer.from((f.media as { payload: string }).payload, 'base64')] : [],
      ),
    );
    // 16 kHz PCM16 is 4 bytes per μ-law byte (less the sample held back for interpolation).
    expect(Math.abs(atAgent.length - caller.length * 4)).toBeLessThanOrEqual(4);
    expect(pitch(toSamples(atAgent), 16000)).toBeCloseTo(1000, -1);
    const back = Buffer.concat(port.audio());
    expect(pitch(toSamples(decodeMulaw(back)), 8000)).toBeCloseTo(1000, -1);
  });
});

/** Rising zero crossings per second (after a 10 ms settle), in Hz. */
function pitch(samples: Int16Array, rate: number): number {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = Math.round(rate / 100) + 1; i < samples.length; i++) {
    if ((samples[i - 1] as number) < 0 && (samples[i] as number) >= 0) {
      if (first < 0) first = i;
      last = i;
      count += 1;
    }
  }
  return ((count - 1) * rate) / (last - first);
}
