import { describe, expect, it } from 'vitest';
import { type AudioFormat, MULAW_8K, type OutboundMediaEvent } from '../../src/domain/media.js';
import type { AgentMediaPort, AgentMediaSink } from '../../src/media/agent-port.js';
import { MediaBridge } from '../../src/media/bridge.js';
import { ComfortNoise, comfortNoiseLoop } from '../../src/media/comfort-noise.js';
import { ulawToLinear } from '../../src/media/mulaw.js';
import type { RechunkRule } from '../../src/media/rechunk.js';
import type { WaitAudioSpec } from '../../src/media/wait-audio.js';
import { manualTime } from '../support/manual-time.js';

/**
 * The wait audio: while the agent's socket is opening or reopening, the caller hears comfort
 * noise once `afterMs` has passed, in real time, on whichever carrier stream is joined and only
 * while the caller is with the AI; it stops when the agent is there.
 */
const PCM16_8K: AudioFormat = { encoding: 'pcm16', sampleRate: 8000 };
const EXOTEL_RULE: RechunkRule = { multipleOf: 320, minBytes: 3200, maxBytes: 100_000 };
const SPEC: WaitAudioSpec = { sound: 'comfort_noise', afterMs: 1000 };
/** A frame of the agent's words. */
const WORDS = Buffer.alloc(160, 0x11);

function setup(options: { spec?: WaitAudioSpec; format?: AudioFormat; rechunk?: RechunkRule } = {}) {
  const time = manualTime();
  let sink: AgentMediaSink | undefined;
  const agent: AgentMediaPort = {
    format: MULAW_8K,
    sendAudio: () => undefined,
    sendDtmf: () => undefined,
    sendMark: () => undefined,
    backlogBytes: () => 0,
    setMediaSink: (s) => {
      sink = s;
    },
  };
  const bridge = new MediaBridge({ agent, clock: time, timers: time, waitAudio: options.spec ?? SPEC });
  const socket = { buffered: 0 };
  /** Every audio chunk the carrier got, with when. */
  const heard: { atMs: number; payload: Buffer }[] = [];
  const attach = (): void =>
    bridge.attachCarrier({
      port: {
        send: (event: OutboundMediaEvent) => {
          if (event.type === 'audio') heard.push({ atMs: time.nowMs(), payload: event.payload });
        },
        bufferedBytes: () => socket.buffered,
      },
      ...(options.format === undefined ? {} : { format: options.format }),
      ...(options.rechunk === undefined ? {} : { rechunk: options.rechunk }),
    });
  const agentSays = (payload: Buffer): void => sink?.onAgentAudio(payload);
  /** A stream joined, the agent there, and the AI paused for a transfer (the carrier yet to move the caller). */
  const pausedForTransfer = (): void => {
    attach();
    agentSays(WORDS);
    bridge.pauseAgentAudio();
  };
  const bytes = (): number => heard.reduce((n, h) => n + h.payload.length, 0);
  return { time, bridge, socket, heard, attach, pausedForTransfer, bytes, agentSays };
}

describe('wait audio while the agent is away', () => {
  it("starts after afterMs, keeps pace with the clock a little ahead, and stops at the agent's first audio", () => {
    const { time, bridge, attach, bytes, heard, agentSays } = setup();
    attach();
    bridge.agentAway();
    time.advance(999);
    expect(bytes()).toBe(0);
    expect(bridge.waitAudioPlaying).toBe(false);
    time.advance(1);
    expect(bridge.waitAudioPlaying).toBe(true);
    // 60 ms sent ahead at once (3 frames of 160 bytes), then one frame a tick.
    expect(bytes()).toBe(480);
    time.advance(2000);
    expect(bytes()).toBe(480 + 100 * 160);
    agentSays(WORDS);
    expect(bridge.waitAudioPlaying).toBe(false);
    const at = bytes();
    time.advance(5000);
    expect(bytes()).toBe(at);
    expect(time.pending()).toBe(0);
    // Never digital silence: every frame of the noise has sound in it.
    for (const h of heard.slice(0, -1)) expect(h.payload.some((b) => b !== 0xff && b !== 0x7f)).toBe(true);
  });

  it('the agent heard in time: nothing plays', () => {
    const { time, bridge, attach, bytes, agentSays } = setup();
    attach();
    bridge.agentAway();
    time.advance(800);
    agentSays(WORDS);
    time.advance(5000);
    expect(bytes()).toBe(160);
  });

  it('the agent going away mid-call (a reconnect) counts from then; its first words follow at most the lead', () => {
    const { time, bridge, attach, bytes, heard, agentSays } = setup();
    attach();
    agentSays(WORDS);
    time.advance(10_000);
    bridge.agentAway();
    time.advance(1500);
    expect(bytes()).toBe(160 + 480 + 25 * 160);
    const awayAt = time.nowMs() - 1500;
    const words = Buffer.alloc(160, 0x22);
    agentSays(words);
    expect(heard[heard.length - 1]?.payload).toEqual(words);
    // The noise began 1 000 ms into the absence; the words wait behind no more than the lead (60 ms).
    const noiseEndsAt = awayAt + 1000 + (bytes() - 320) / 8;
    expect(noiseEndsAt - time.nowMs()).toBe(60);
  });

  it('the AI paused for a transfer and the carrier slow to move the caller: it plays from afterMs until the stream goes', () => {
    const { time, bridge, attach, bytes, agentSays } = setup();
    attach();
    // The handoff sentence is still on its way when the AI is paused: the noise never overtakes it.
    agentSays(WORDS);
    bridge.pauseAgentAudio();
    time.advance(999);
    expect(bytes()).toBe(160);
    time.advance(1);
    expect(bytes()).toBe(160 + 480);
    time.advance(500);
    expect(bytes()).toBe(160 + 480 + 25 * 160);
    // The carrier moves the caller: the stream ends, and so does the noise.
    bridge.detachCarrier();
    time.advance(2000);
    expect(bytes()).toBe(160 + 480 + 25 * 160);
    expect(time.pending()).toBe(0);
  });

  it("a transfer that fails fast: nothing while paused; back with the AI, the noise only if the AI's next words take past afterMs", () => {
    const { time, bridge, pausedForTransfer, bytes, agentSays } = setup();
    pausedForTransfer();
    time.advance(700);
    bridge.resumeAgentAudio();
    time.advance(999);
    expect(bytes()).toBe(160);
    agentSays(WORDS);
    time.advance(5000);
    expect(bytes()).toBe(320);
    // Another return, the AI quiet this time (an agent finding its words after `resume`).
    bridge.pauseAgentAudio();
    time.advance(300);
    bridge.resumeAgentAudio();
    time.advance(1000);
    expect(bytes()).toBe(320 + 480);
  });

  it('back from a transfer on a new stream, the agent away all along: it plays as the stream joins', () => {
    const { time, bridge, attach, pausedForTransfer, bytes } = setup();
    pausedForTransfer();
    bridge.detachCarrier();
    bridge.agentAway();
    time.advance(4000);
    expect(bytes()).toBe(160);
    attach();
    expect(bytes()).toBe(160 + 480);
    bridge.resumeAgentAudio();
    time.advance(100);
    expect(bytes()).toBe(160 + 480 + 5 * 160);
  });

  it('a stream joined while the AI is still paused waits from its own start, not the old pause', () => {
    const { time, bridge, attach, pausedForTransfer, bytes, agentSays } = setup();
    pausedForTransfer();
    bridge.detachCarrier();
    time.advance(4000);
    attach();
    time.advance(300);
    expect(bytes()).toBe(160);
    // The resume is told and the AI speaks at once: no wait.
    bridge.resumeAgentAudio();
    agentSays(WORDS);
    time.advance(2000);
    expect(bytes()).toBe(320);
  });

  it('a stream that drops stops it; the next stream, the agent still away, hears it at once', () => {
    const { time, bridge, attach, bytes } = setup();
    attach();
    bridge.agentAway();
    time.advance(1200);
    const before = bytes();
    expect(before).toBeGreaterThan(0);
    bridge.detachCarrier();
    time.advance(1800);
    expect(bytes()).toBe(before);
    attach();
    expect(bytes()).toBe(before + 480);
  });

  it('a socket that is behind skips it (never queued behind the agent)', () => {
    const { time, bridge, attach, bytes, socket } = setup();
    attach();
    bridge.agentAway();
    time.advance(1000);
    const before = bytes();
    socket.buffered = 1 << 20;
    time.advance(500);
    expect(bytes()).toBe(before);
    expect(bridge.stats().queuedBytesToCarrier).toBe(0);
    socket.buffered = 0;
    time.advance(100);
    // What the socket missed is skipped, not made up in a burst: one frame a tick again.
    expect(bytes()).toBe(before + 5 * 160);
  });

  it("a carrier with frame rules (Exotel's PCM16 chunks) gets legal chunks of it", () => {
    const { time, bridge, attach, heard } = setup({ format: PCM16_8K, rechunk: EXOTEL_RULE });
    attach();
    bridge.agentAway();
    time.advance(3000);
    expect(heard.length).toBeGreaterThanOrEqual(9);
    for (const h of heard) {
      expect(h.payload.length % 320).toBe(0);
      expect(h.payload.length).toBeGreaterThanOrEqual(3200);
    }
  });

  it("`sound: 'none'` plays nothing, and close stops it for good", () => {
    const quiet = setup({ spec: { sound: 'none', afterMs: 1000 } });
    quiet.attach();
    quiet.bridge.agentAway();
    quiet.time.advance(10_000);
    expect(quiet.bytes()).toBe(0);
    const closed = setup();
    closed.attach();
    closed.bridge.agentAway();
    closed.time.advance(1500);
    closed.bridge.close();
    expect(closed.time.pending()).toBe(0);
  });
});

describe('comfort noise', () => {
  const rmsDbfs = (samples: number[]): number =>
    20 * Math.log10(Math.sqrt(samples.reduce((s, v) => s + v * v, 0) / samples.length) / 32768);

  it('is soft line hiss, about −45 dBFS, in μ-law and PCM16 alike, the same bytes every time', () => {
    const mulaw = [...comfortNoiseLoop(MULAW_8K)].map(ulawToLinear);
    expect(rmsDbfs(mulaw)).toBeGreaterThan(-47);
    expect(rmsDbfs(mulaw)).toBeLessThan(-43);
    const pcm = comfortNoiseLoop({ encoding: 'pcm16', sampleRate: 16000 });
    const samples: number[] = [];
    for (let i = 0; i < pcm.length; i += 2) samples.push(pcm.readInt16LE(i));
    expect(rmsDbfs(samples)).toBeGreaterThan(-47);
    expect(rmsDbfs(samples)).toBeLessThan(-43);
    expect(pcm.length).toBe(16000 * 4 * 2);
    const a = new ComfortNoise(MULAW_8K);
    const b = new ComfortNoise(MULAW_8K);
    expect(a.next(20)).toEqual(b.next(20));
  });

  it('reads round its loop without a seam', () => {
    const loop = comfortNoiseLoop(MULAW_8K);
    const noise = new ComfortNoise(MULAW_8K);
    const read = Buffer.concat(Array.from({ length: 250 }, () => noise.next(20)));
    expect(read.length).toBe(40_000);
    expect(read.subarray(0, loop.length)).toEqual(loop);
    expect(read.subarray(loop.length)).toEqual(loop.subarray(0, 40_000 - loop.length));
  });
});
