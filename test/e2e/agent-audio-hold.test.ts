import { describe, expect, it } from 'vitest';
import { decodeMulaw } from '../../src/media/mulaw.js';
import type { EchoBotSession } from '../support/echo-bot.js';
import { type E2eCarrier, handoff, noise, useE2e } from './fixture.js';
import type { Harness } from './harness.js';

/**
 * The caller's first words reach the agent: caller audio is held while the agent socket opens (or
 * reopens after a failure) and delivered in order once it does; and a caller who comes back from
 * a failed transfer is heard from the new stream's first frame. Checked against what the carrier
 * actually sent (the stream's first frame after `start`) and the caller's own audio, frame by
 * frame — not by counting. On virtual time: the slow accepts, the rings and the caller's audio
 * cost no wall time.
 */

/** Agent socket accept limit for these calls; the slow agent takes most of it. */
const CONNECT_TIMEOUT_MS = 1500;
const SLOW_ACCEPT_MS = 1200;
/** Caller audio after which the comparison is made: well past the accept delay. */
const CHECK_BYTES = 8000 * 2;

type Stream = { readonly stats: { readonly firstInboundFrame: Buffer | undefined } };

function streamsOf(h: Harness, carrier: E2eCarrier, sid: string): readonly Stream[] {
  if (carrier === 'twilio') return h.sim.twilio.streamsOf(sid);
  if (carrier === 'plivo') return h.sim.plivo.streamsOf(sid);
  return h.sim.exotel.streamsOf(sid);
}

/** Caller audio as linear samples: μ-law codes 0x7f and 0xff are both zero (PCM16 carriers re-encode). */
function linear(mulaw: Uint8Array): Buffer {
  return decodeMulaw(Buffer.from(mulaw));
}

function mediaPayloads(frames: readonly Record<string, unknown>[]): Buffer {
  return Buffer.concat(
    frames
      .filter((f) => f.event === 'media')
      .map((f) => Buffer.from((f.media as { payload: string }).payload, 'base64')),
  );
}

function audioOf(sessions: readonly EchoBotSession[]): Buffer {
  return Buffer.concat(sessions.map((s) => mediaPayloads(s.received)));
}

/**
 * `received` begins with `first` (the carrier's first frame after `start`) and is, sample for
 * sample, one unbroken stretch of what the caller said: nothing lost, nothing reordered.
 */
function expectEveryFrameFrom(first: Buffer, received: Buffer, said: Uint8Array): void {
  const got = linear(received);
  const all = linear(said);
  expect(got.subarray(0, first.length * 2).equals(linear(first))).toBe(true);
  const at = all.indexOf(got.subarray(0, 640));
  expect(at).toBeGreaterThanOrEqual(0);
  expect(got.equals(all.subarray(at, at + got.length))).toBe(true);
}

describe.each(['twilio', 'plivo', 'exotel'] as const)(
  '%s: caller audio while the agent answers',
  (carrier) => {
    const e2e = useE2e(carrier, { virtualTime: true });
    const slowAgent = handoff({});
    const withTimeout = (agent: Record<string, unknown>) => {
      const a = slowAgent(agent) as { agent: Record<string, unknown> };
      return { ...a, agent: { ...a.agent, connectTimeoutMs: CONNECT_TIMEOUT_MS } };
    };

    it('an agent that takes most of its connect timeout to accept hears every frame from the first', async () => {
      const bot = await e2e.echoBot({ acceptDelayMs: SLOW_ACCEPT_MS, burstFrames: 1_000_000 });
      const h = await e2e.run({ agentUrl: bot.url, agent: withTimeout });
      const said = noise(8000 * 20);
      const call = await e2e.placeCall(h, { audio: { type: 'mulaw', data: said } });
      await bot.until(() => audioOf(bot.sessions).length >= CHECK_BYTES);
      const first = streamsOf(h, carrier, call.sid)[0]?.stats.firstInboundFrame;
      expect(first).toBeDefined();
      expect(bot.sessions).toHaveLength(1);
      expectEveryFrameFrom(first as Buffer, audioOf(bot.sessions), said);
      call.hangup();
    });

    it('the agent socket fails once and reopens slowly: the caller audio of the gap arrives on the new socket', async () => {
      const bot = await e2e.echoBot({
        acceptDelayMs: (index) => (index === 0 ? 0 : SLOW_ACCEPT_MS),
        burstFrames: 1_000_000,
      });
      const h = await e2e.run({ agentUrl: bot.url, agent: withTimeout });
      const said = noise(8000 * 20);
      const call = await e2e.placeCall(h, { audio: { type: 'mulaw', data: said } });
      // The agent restarts (1012) after 0.5 s of caller audio: not a hang-up, so the daemon reconnects.
      await bot.until(() => audioOf(bot.sessions).length >= 4000);
      bot.sessions[0]?.socket.close(1012, 'restarting');
      await bot.until(
        () => bot.sessions.length === 2 && mediaPayloads(bot.sessions[1]!.received).length >= CHECK_BYTES,
      );
      const resumed = bot.sessions[1]!.received.find((f) => f.event === 'start') as {
        start: { customParameters: Record<string, string> };
      };
      expect(resumed.start.customParameters['resumed']).toBe('true');
      const first = streamsOf(h, carrier, call.sid)[0]?.stats.firstInboundFrame;
      expectEveryFrameFrom(first as Buffer, audioOf(bot.sessions), said);
      call.hangup();
    });

    it("a caller back from a failed transfer is heard from the new stream's first frame", async () => {
      const h = await e2e.run({
        script: (start) =>
          start.resumed
            ? []
            : [{ say: 200 }, { text: ['One moment [TRANSFER:+14155550122]'] }, { awaitEvent: 'resume' }],
      });
      h.sim.network.addHuman('+14155550122', { type: 'busy', afterMs: 200 });
      const said = noise(8000 * 30);
      const call = await e2e.placeCall(h, { audio: { type: 'mulaw', data: said } });
      const agent = await h.agent!.session(0);
      await agent.waitFor((f) => f.event === 'resume');
      const first = await h.sim.waitFor(
        () => streamsOf(h, carrier, call.sid)[1]?.stats.firstInboundFrame,
        10_000,
      );
      const audio = () => mediaPayloads(agent.received.map((r) => r.frame));
      // Where the new stream's first frame sits in what the agent heard, once 2 s more arrived.
      const at = await h.sim.waitFor(() => {
        const heard = linear(audio());
        const i = heard.indexOf(linear(first));
        return i >= 0 && heard.length - i >= CHECK_BYTES * 2 ? { i } : undefined;
      }, 10_000);
      expectEveryFrameFrom(first, audio().subarray(at.i / 2), said);
      expect(h.agent!.sessions).toHaveLength(1);
      call.hangup();
    });

    it('the agent restarts during the transfer and is slow to come back: the returning caller is heard from the first frame', async () => {
      const h = await e2e.run({
        acceptDelayMs: (index) => (index === 0 ? 0 : SLOW_ACCEPT_MS),
        agent: withTimeout,
        script: (start) =>
          start.resumed
            ? []
            : [
                { say: 200 },
                { text: ['One moment [TRANSFER:+14155550122]'] },
                { waitMs: 50 },
                { close: 'abrupt' },
              ],
      });
      h.sim.network.addHuman('+14155550122', { type: 'busy', afterMs: 200 });
      const said = noise(8000 * 30);
      const call = await e2e.placeCall(h, { audio: { type: 'mulaw', data: said } });
      // The caller is back on a new stream before the agent's socket has reopened.
      const first = await h.sim.waitFor(
        () => streamsOf(h, carrier, call.sid)[1]?.stats.firstInboundFrame,
        10_000,
      );
      expect(h.agent!.sessions).toHaveLength(1);
      const agent = await h.agent!.session(1);
      await agent.waitFor((f) => f.event === 'resume');
      expect(agent.start?.resumed).toBe(true);
      // Caller audio held from before the transfer (the old stream) comes first, then the new stream's.
      const audio = () => mediaPayloads(agent.received.map((r) => r.frame));
      const at = await h.sim.waitFor(() => {
        const heard = linear(audio());
        const i = heard.indexOf(linear(first));
        return i >= 0 && heard.length - i >= CHECK_BYTES * 2 ? { i } : undefined;
      }, 10_000);
      expectEveryFrameFrom(first, audio().subarray(at.i / 2), said);
      call.hangup();
    });
  },
);
