/**
 * `npm run bench -- frame-cost`: what the daemon's media path spends per 20 ms frame beyond
 * moving bytes, piece by piece, in one process (no sockets), so the figures do not depend on
 * the machine being quiet. Each piece is the daemon's own code on a Twilio frame as the
 * simulator and the load generator send it; the "alternative" rows are what a leaner version
 * of the same step costs.
 */
import { createExotelCodec } from '../../providers/exotel/codec.js';
import { createTwilioCodec } from '../../providers/twilio/codec.js';
import { CodecError } from '../../providers/types.js';
import { FrameWriter } from '../../src/agent/websocket/frames.js';
import { parseAgentFrame, scanAgentMedia } from '../../src/agent/websocket/protocol.js';
import { MULAW_8K } from '../../src/domain/media.js';
import { FrameScan } from '../../src/lib/frame-scan.js';
import { tone } from '../../src/media/tone.js';
import { createTranscoder } from '../../src/media/transcode.js';
import { Metrics } from '../../src/ops/metrics.js';
import { SilenceWatch } from '../../src/runtime/silence.js';

export interface FrameCost {
  readonly step: string;
  readonly path: 'carrier → agent' | 'agent → carrier' | 'both' | 'alternative';
  readonly microseconds: number;
}

const ITERATIONS = 200_000;

function cost(run: () => unknown): number {
  for (let i = 0; i < 20_000; i++) run();
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) run();
  return Math.round(((performance.now() - started) * 1000 * 1000) / ITERATIONS) / 1000;
}

export function measureFrameCost(): FrameCost[] {
  const payload = Buffer.alloc(160, 0x7f);
  const b64 = payload.toString('base64');
  const streamSid = `MZ${'a'.repeat(32)}`;
  const fromCarrier = `{"event":"media","sequenceNumber":"12","media":{"track":"inbound","chunk":"11","timestamp":"220","payload":"${b64}"},"streamSid":"${streamSid}"}`;
  const fromAgent = `{"event":"media","streamSid":"${streamSid}","media":{"payload":"${b64}"}}`;
  const codec = createTwilioCodec();
  codec.decode(
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid,
      start: {
        streamSid,
        callSid: `CA${'1'.repeat(32)}`,
        accountSid: `AC${'1'.repeat(32)}`,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: {},
      },
    }),
  );
  const writer = new FrameWriter({ streamSid, accountSid: `AC${'1'.repeat(32)}`, callSid: 'CA1' });
  const metrics = new Metrics();
  const sidField = JSON.stringify(streamSid);
  // An agent at 24 kHz PCM16 (a realtime model's usual format) on a μ-law 8 kHz line, and back.
  const pcm24k = { encoding: 'pcm16', sampleRate: 24000 } as const;
  const agentFrame = tone(pcm24k, { frequencyHz: 440, durationMs: 20 });
  const toCarrier = createTranscoder(pcm24k, MULAW_8K);
  const fromCarrierBytes = Buffer.from(fromCarrier, 'latin1');
  const fromAgentBytes = Buffer.from(fromAgent, 'latin1');
  const scan = new FrameScan();
  // The payloads' spans, as the scanners find them (the agent's: a scanner of its own).
  const carrierSpan = {
    ...(codec.scanAudio?.(fromCarrierBytes) ?? { bytes: fromCarrierBytes, start: 0, end: 0 }),
  };
  const agentSpan = {
    ...(scanAgentMedia(new FrameScan(), fromAgentBytes, MULAW_8K) ?? {
      bytes: fromAgentBytes,
      start: 0,
      end: 0,
    }),
  };
  if (carrierSpan.end === 0 || agentSpan.end === 0)
    throw new Error('the fast path does not take the bench frames');
  // Exotel: PCM16 8 kHz in 100 ms frames (1 600 bytes), to a μ-law or a PCM16 24 kHz agent.
  const exotel = createExotelCodec();
  exotel.decode(
    JSON.stringify({
      event: 'start',
      sequence_number: '1',
      stream_sid: 'st1',
      start: {
        stream_sid: 'st1',
        call_sid: 'c1',
        media_format: { encoding: 'audio/x-raw', sample_rate: '8000' },
      },
    }),
  );
  const pcm8k = { encoding: 'pcm16', sampleRate: 8000 } as const;
  const pcm16k = { encoding: 'pcm16', sampleRate: 16000 } as const;
  const exotelAudio = tone(pcm8k, { frequencyHz: 440, durationMs: 100 });
  const fromExotel = JSON.stringify({
    event: 'media',
    stream_sid: 'st1',
    media: { chunk: '3', timestamp: '300', payload: exotelAudio.toString('base64') },
  });
  const exotelToMulaw = createTranscoder(pcm8k, MULAW_8K);
  const exotelTo24k = createTranscoder(pcm8k, pcm24k);
  const agent16k = tone(pcm16k, { frequencyHz: 440, durationMs: 20 });
  const from16k = createTranscoder(pcm16k, MULAW_8K);
  const to16k = createTranscoder(MULAW_8K, pcm16k);
  const toAgentFormat = createTranscoder(MULAW_8K, pcm24k);
  const watch = new SilenceWatch(10_000, 0);
  return [
    {
      step: 'Twilio codec decode (JSON.parse, checks, base64 → bytes)',
      path: 'carrier → agent',
      microseconds: cost(() => codec.decode(fromCarrier)),
    },
    {
      step: 'FrameWriter.media (bytes → base64, written into the frame buffer)',
      path: 'carrier → agent',
      microseconds: cost(() => writer.media(payload, 220)),
    },
    {
      step: 'parseAgentFrame (JSON.parse, base64 → bytes)',
      path: 'agent → carrier',
      microseconds: cost(() => parseAgentFrame(fromAgent, MULAW_8K)),
    },
    {
      step: 'Twilio codec encode audio (JSON.stringify)',
      path: 'agent → carrier',
      microseconds: cost(() => codec.encode({ type: 'audio', payload })),
    },
    {
      step: 'transcode PCM16 24 kHz → μ-law 8 kHz (anti-aliased resampling; agents not on μ-law only)',
      path: 'agent → carrier',
      microseconds: cost(() => toCarrier?.(agentFrame)),
    },
    {
      step: 'transcode μ-law 8 kHz → PCM16 24 kHz (anti-imaging resampling; agents not on μ-law only)',
      path: 'carrier → agent',
      microseconds: cost(() => toAgentFormat?.(payload)),
    },
    {
      step: "fast path: Twilio codec scanAudio (the frame's bytes scanned in place, the payload a span of them)",
      path: 'carrier → agent',
      microseconds: cost(() => codec.scanAudio?.(fromCarrierBytes)),
    },
    {
      step: 'fast path: FrameWriter.mediaBase64 (the span copied into one buffer, no base64 encoding)',
      path: 'carrier → agent',
      microseconds: cost(() => writer.mediaBase64(carrierSpan, 220)),
    },
    {
      step: "fast path: scanAgentMedia (the frame's bytes scanned in place)",
      path: 'agent → carrier',
      microseconds: cost(() => scanAgentMedia(scan, fromAgentBytes, MULAW_8K)),
    },
    {
      step: 'fast path: Twilio codec encodeAudioBase64 (the span copied into one buffer)',
      path: 'agent → carrier',
      microseconds: cost(() => codec.encodeAudioBase64?.(agentSpan)),
    },
    {
      step: 'fast path with `onNoResponseAction`: the silence watch measures the span in place',
      path: 'carrier → agent',
      microseconds: cost(() => watch.callerAudioBase64(carrierSpan, MULAW_8K, 0)),
    },
    {
      step: 'alt: the silence watch on the decoded payload (its path before: decode, then measure)',
      path: 'alternative',
      microseconds: cost(() => {
        const event = codec.decode(fromCarrier);
        if (event !== null && !(event instanceof CodecError) && event.type === 'audio')
          watch.callerAudio(event.payload, MULAW_8K, 0);
      }),
    },
    {
      step: 'alt: FrameWriter.mediaBase64 from the payload as text',
      path: 'alternative',
      microseconds: cost(() => writer.mediaBase64(b64, 220)),
    },
    {
      step: 'Exotel codec decode, 100 ms PCM16 8 kHz frame (JSON.parse, checks, base64 → bytes)',
      path: 'carrier → agent',
      microseconds: cost(() => exotel.decode(fromExotel)),
    },
    {
      step: 'Exotel codec encode, 100 ms PCM16 8 kHz (JSON.stringify, bytes → base64)',
      path: 'agent → carrier',
      microseconds: cost(() => exotel.encode({ type: 'audio', payload: exotelAudio })),
    },
    {
      step: 'transcode PCM16 8 kHz → μ-law 8 kHz, 100 ms (Exotel to a μ-law agent)',
      path: 'carrier → agent',
      microseconds: cost(() => exotelToMulaw?.(exotelAudio)),
    },
    {
      step: 'transcode PCM16 8 kHz → PCM16 24 kHz, 100 ms (Exotel to a 24 kHz agent)',
      path: 'carrier → agent',
      microseconds: cost(() => exotelTo24k?.(exotelAudio)),
    },
    {
      step: 'transcode PCM16 16 kHz → μ-law 8 kHz, 20 ms (a 16 kHz agent on Twilio)',
      path: 'agent → carrier',
      microseconds: cost(() => from16k?.(agent16k)),
    },
    {
      step: 'transcode μ-law 8 kHz → PCM16 16 kHz, 20 ms (a 16 kHz agent on Twilio)',
      path: 'carrier → agent',
      microseconds: cost(() => to16k?.(payload)),
    },
    {
      step: 'metrics.mediaFrame (prom-client counter)',
      path: 'both',
      microseconds: cost(() => metrics.mediaFrame('in')),
    },
    {
      step: 'alt: codec encode audio by concatenation',
      path: 'alternative',
      microseconds: cost(
        () => `{"event":"media","streamSid":${sidField},"media":{"payload":"${payload.toString('base64')}"}}`,
      ),
    },
    {
      step: "alt (before): the agent's media frame by concatenation, then Buffer.from(…, 'latin1')",
      path: 'alternative',
      microseconds: cost(() => {
        let chunk = 0;
        chunk += 1;
        return Buffer.from(
          `{"event":"media","sequenceNumber":"${chunk + 1}","streamSid":${sidField},"media":{"track":"inbound","chunk":"${chunk}","timestamp":"220","payload":"${b64}"}}`,
          'latin1',
        );
      }),
    },
    {
      step: 'alt: JSON.parse only (the floor of any JSON decode)',
      path: 'alternative',
      microseconds: cost(() => JSON.parse(fromCarrier)),
    },
  ];
}

export function frameCostTable(rows: readonly FrameCost[]): string {
  return [
    '### Media path, CPU per frame (one process, no sockets)',
    '',
    '| step | path | µs |',
    '|---|---|---:|',
    ...rows.map((r) => `| ${r.step} | ${r.path} | ${r.microseconds} |`),
  ].join('\n');
}
