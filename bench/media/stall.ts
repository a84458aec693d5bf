/**
 * Back-pressure: calls whose agent stopped reading (a stalled bot). Caller audio keeps coming;
 * what the server cannot deliver must stay bounded. Loopback sockets absorb ~4 MB each before
 * a sender sees any back-pressure, which at real time (≈ 14 KB/s per call) takes minutes, so
 * the caller side sends `rate` frames per 20 ms slot: the same bytes, sooner. The daemon's
 * bound is in bytes (socket high-water mark + a 2 s audio queue per direction), so the rate only
 * changes how soon it is reached.
 */
import type { ChildProc } from '../lib/ipc.js';
import { round2, sleep } from '../lib/stats.js';
import { type CarrierStream, FrameClock } from './carrier-streams.js';
import type { EchoAgent } from './echo-agent.js';
import { hangUpAll, type ServerSample } from './ladder.js';

export interface StallOptions {
  readonly calls: number;
  readonly seconds: number;
  /** Frames per 20 ms slot per call (1 = real time). */
  readonly rate: number;
}

export interface StallPoint {
  readonly atS: number;
  /** RSS over the value before the stalled calls started, MB (after a full GC). */
  readonly rssGrowthMb: number;
  readonly heapGrowthMb: number;
  /** Bytes the server holds for the stalled agents: socket send buffers + bridge queues, MB. */
  readonly heldForAgentsMb: number;
  /** Audio the server dropped toward the agents (its queue cap), MB. */
  readonly droppedToAgentsMb: number;
  /** What the load generator has pushed toward the server, MB. */
  readonly sentMb: number;
}

export interface StallResult {
  readonly calls: number;
  readonly rate: number;
  readonly points: readonly StallPoint[];
  /** Growth over the second half of the run, MB per second: ≈ 0 when bounded. */
  readonly lateGrowthMbPerS: number;
}

const MB = 1024 * 1024;
/** A Twilio `media` message carrying 160 bytes of μ-law is about this long. */
const MESSAGE_BYTES = 340;

export async function runStall(
  server: ChildProc<unknown>,
  agent: EchoAgent,
  open: () => Promise<CarrierStream>,
  options: StallOptions,
): Promise<StallResult> {
  const sample = (body: object) => server.call<ServerSample>('sample', body);
  const before = await sample({ gc: true });
  agent.mode = 'stall';
  const streams: CarrierStream[] = [];
  for (let i = 0; i < options.calls; i++) streams.push(await open());
  agent.mode = 'echo';
  const clock = new FrameClock();
  const started = performance.now();
  clock.start(streams, options.rate);
  const points: StallPoint[] = [];
  for (let s = 1; s <= options.seconds; s++) {
    await sleep(started + s * 1000 - performance.now());
    const now = await sample({ gc: true });
    const m = now.media;
    const elapsedS = (performance.now() - started) / 1000;
    points.push({
      atS: s,
      rssGrowthMb: round2((now.rssBytes - before.rssBytes) / MB),
      heapGrowthMb: round2(
        (now.heapUsedBytes + now.externalBytes - before.heapUsedBytes - before.externalBytes) / MB,
      ),
      heldForAgentsMb: round2(((m['agentBuffered'] ?? 0) + (m['queuedToAgent'] ?? 0)) / MB),
      droppedToAgentsMb: round2((m['droppedToAgent'] ?? 0) / MB),
      sentMb: round2((options.calls * options.rate * 50 * elapsedS * MESSAGE_BYTES) / MB),
    });
  }
  clock.stop();
  await hangUpAll(streams);
  const half = points[Math.floor(points.length / 2)];
  const last = points[points.length - 1];
  const lateGrowthMbPerS =
    half === undefined || last === undefined || last.atS === half.atS
      ? 0
      : round2((last.rssGrowthMb - half.rssGrowthMb) / (last.atS - half.atS));
  return { calls: options.calls, rate: options.rate, points, lateGrowthMbPerS };
}
