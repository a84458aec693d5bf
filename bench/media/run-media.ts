/**
 * `npm run bench -- media`: the media bridge against a bare `ws` relay, in one run.
 *
 * Processes (2 cores): the daemon and the relay, each in its own Node process and both up for
 * the whole ladder, and the load process — carrier streams and echo agents — in this one; a
 * private redis-server idles beside them. The ladder (ladder.ts) measures the two servers in
 * alternating windows at each step, only the measured server's calls sending, so each server's
 * bridge runs one core against the load process's one; nothing is pinned, and every process's
 * CPU time is reported.
 */
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../support/redis-server.js';
import { startDaemon } from '../lib/daemon-setup.js';
import { type ChildProc, forkChild } from '../lib/ipc.js';
import type { Probe } from '../lib/probe.js';
import type { ProfileSummary } from '../lib/profile.js';
import { redisCpuTimes } from '../lib/redis-cpu.js';
import type { LivekitChildOptions } from '../livekit/livekit-child.js';
import type { LivekitResult } from '../livekit/livekit-report.js';
import { runLivekit } from '../livekit/run-livekit.js';
import { CarrierStream, type StreamTarget } from './carrier-streams.js';
import { startEchoAgent } from './echo-agent.js';
import { FrameLedger } from './frames.js';
import { type LadderStep, runLadder, type StepRatio } from './ladder.js';
import { largestSteps } from './ladder-rules.js';
import { runStall, type StallOptions, type StallResult } from './stall.js';

export interface MediaOptions {
  readonly ladder: readonly number[];
  /** Each window's server sends this long before its window is measured. */
  readonly settleMs: number;
  readonly windowMs: number;
  /** Windows per server per step (they alternate: relay, daemon, relay, …). */
  readonly windows: number;
  readonly stall: StallOptions;
  /**
   * Profile each server for this long at the step with `profileAtCalls` calls (or the last step,
   * when the ladder stops below it); 0: no profile.
   */
  readonly profileMs: number;
  readonly profileAtCalls: number;
  /** The LiveKit row's ladder (bench/livekit/): a few calls, in a network namespace of its own. */
  readonly livekit: LivekitChildOptions;
  readonly resultsDir: string;
  readonly probe: Probe;
  readonly log: (line: string) => void;
}

export interface TargetResult {
  readonly steps: readonly LadderStep[];
  /** RSS growth per call, least squares over the ladder's steps (RSS after a full GC vs calls), KB. */
  readonly rssKbPerCallFit: number | null;
  /**
   * The largest step passed (no loss, neither process full) among the steps valid for both
   * servers (ladder-rules.ts `largestSteps`: none machine-limited), and its calls per server core.
   */
  readonly saturation: { readonly calls: number; readonly callsPerCore: number } | null;
  readonly stall: StallResult;
  readonly profile?: ProfileSummary;
}

export interface MediaResult {
  readonly relay: TargetResult;
  readonly daemon: TargetResult;
  /**
   * At each step both servers were measured at: the daemon's capacity per core ÷ the relay's, as
   * the median over adjacent windows of relay ÷ daemon CPU per frame (`ratio`, null when no pair
   * was measured), and each pair's value.
   */
  readonly perCoreRatio: readonly StepRatio[];
  /** The steps valid for both servers (no machine-limited one, nor any after it). */
  readonly validSteps: readonly number[];
  /** The daemon with its agent on LiveKit (real rtc-node both sides, the test LiveKit server). */
  readonly livekit: LivekitResult;
}

const MAX_STREAMS = 20_000;

export async function runMedia(options: MediaOptions): Promise<MediaResult> {
  mkdirSync(`${options.resultsDir}/profiles`, { recursive: true });
  const ledger = new FrameLedger(MAX_STREAMS);
  const agent = await startEchoAgent(ledger);
  const redis = await startRedisServer();
  const admin = new Redis(redis.url);
  let index = 0;
  const nextIndex = () => index++;
  const relay = await forkChild<{ port: number }>(new URL('./relay-child.ts', import.meta.url), {
    args: [agent.url],
  });
  const daemon = await startDaemon({ redisUrl: redis.url, agentUrl: agent.url, instrument: false });
  try {
    const targets = {
      relay: { server: relay, target: { kind: 'relay', url: `ws://127.0.0.1:${relay.ready.port}/` } },
      daemon: { server: daemon, target: { kind: 'daemon', publicUrl: daemon.ready.publicUrl } },
    } as const satisfies Record<string, { server: ChildProc<unknown>; target: StreamTarget }>;
    const open = (name: 'relay' | 'daemon') => (i: number) =>
      CarrierStream.open(targets[name].target, i, ledger, agent.started);
    const profiles: Partial<Record<'relay' | 'daemon', ProfileSummary>> = {};
    options.log('media: relay and daemon, alternating windows');
    const ladder = await runLadder(
      {
        sides: [
          { name: 'relay', server: relay, open: open('relay') },
          { name: 'daemon', server: daemon, open: open('daemon') },
        ],
        ledger,
        probe: options.probe,
        redisCpu: () => redisCpuTimes(admin),
        nextIndex,
        settleMs: options.settleMs,
        windowMs: options.windowMs,
        windows: options.windows,
        log: options.log,
        // Profile at the target load, or where a side stops if it stops below it.
        atStep: async (name, calls, last) => {
          if (options.profileMs <= 0 || profiles[name] !== undefined) return;
          if (calls !== options.profileAtCalls && !(last && calls < options.profileAtCalls)) return;
          const server = targets[name].server;
          await server.call('profile-start');
          await new Promise((resolve) => setTimeout(resolve, options.profileMs));
          profiles[name] = await server.call<ProfileSummary>('profile-stop', {
            file: `${options.resultsDir}/profiles/media-${name}-${calls}.cpuprofile`,
          });
        },
      },
      options.ladder,
    );
    const largest = largestSteps(ladder.relay, ladder.daemon);
    const result = async (name: 'relay' | 'daemon'): Promise<TargetResult> => {
      options.log(
        `  ${name}, stalled agents: ${options.stall.calls} calls, ${options.stall.rate}× real time`,
      );
      const stall = await runStall(targets[name].server, agent, () => open(name)(nextIndex()), options.stall);
      const steps = ladder[name];
      const best = steps.find((s) => s.calls === largest[name]);
      const profile = profiles[name];
      return {
        steps,
        rssKbPerCallFit: slopeKb(steps),
        saturation: best === undefined ? null : { calls: best.calls, callsPerCore: best.callsPerCore },
        stall,
        ...(profile === undefined ? {} : { profile }),
      };
    };
    const relayResult = await result('relay');
    const daemonResult = await result('daemon');
    await relay.stop();
    await daemon.stop();
    const livekit = await runLivekit({ ...options.livekit, log: options.log });
    return {
      relay: relayResult,
      daemon: daemonResult,
      perCoreRatio: ladder.ratios,
      validSteps: largest.validSteps,
      livekit,
    };
  } finally {
    await relay.stop();
    await daemon.stop();
    admin.disconnect();
    await agent.close();
    await redis.stop();
  }
}

/** Least-squares slope of RSS (MB) over calls, in KB per call. */
function slopeKb(steps: readonly LadderStep[]): number | null {
  if (steps.length < 2) return null;
  const n = steps.length;
  const mx = steps.reduce((a, s) => a + s.calls, 0) / n;
  const my = steps.reduce((a, s) => a + s.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of steps) {
    num += (s.calls - mx) * (s.rssMb - my);
    den += (s.calls - mx) ** 2;
  }
  return den === 0 ? null : Math.round((num / den) * 1024 * 100) / 100;
}
