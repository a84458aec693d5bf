/**
 * `npm run bench -- media`: the media bridge against a bare `ws` relay, in one run.
 *
 * Processes (2 cores): the server under test (daemon or relay) in its own Node process, and
 * the load process — carrier streams and echo agents — in this one; a private redis-server
 * idles beside them. Each side of the bridge has one event loop, so the load is split one core
 * against one core; nothing is pinned, and every process's CPU time is reported.
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
import { type LadderStep, runLadder } from './ladder.js';
import { runStall, type StallOptions, type StallResult } from './stall.js';

export interface MediaOptions {
  readonly ladder: readonly number[];
  readonly warmupMs: number;
  readonly measureMs: number;
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
  /** The largest step before the ladder stopped (no loss, neither process full), and its calls per server core. */
  readonly saturation: { readonly calls: number; readonly callsPerCore: number } | null;
  readonly stall: StallResult;
  readonly profile?: ProfileSummary;
}

export interface MediaResult {
  readonly relay: TargetResult;
  readonly daemon: TargetResult;
  /** At each calls count both measured without loss: daemon calls per core ÷ relay calls per core. */
  readonly perCoreRatio: readonly { readonly calls: number; readonly ratio: number }[];
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
  try {
    const target = async (
      name: 'relay' | 'daemon',
      server: ChildProc<unknown>,
      streamTarget: StreamTarget,
    ): Promise<TargetResult> => {
      options.log(`media: ${name}`);
      const open = (i: number) => CarrierStream.open(streamTarget, i, ledger, agent.started);
      let profile: ProfileSummary | undefined;
      const steps = await runLadder(
        {
          server,
          ledger,
          probe: options.probe,
          redisCpu: () => redisCpuTimes(admin),
          open,
          nextIndex,
          warmupMs: options.warmupMs,
          measureMs: options.measureMs,
          log: options.log,
          // Profile at the target load, or where the ladder stops if it stops below it.
          atStep: async (calls, last) => {
            if (options.profileMs <= 0 || profile !== undefined) return;
            if (calls !== options.profileAtCalls && !(last && calls < options.profileAtCalls)) return;
            await server.call('profile-start');
            await new Promise((resolve) => setTimeout(resolve, options.profileMs));
            profile = await server.call<ProfileSummary>('profile-stop', {
              file: `${options.resultsDir}/profiles/media-${name}-${calls}.cpuprofile`,
            });
          },
        },
        options.ladder,
      );
      options.log(`  stalled agents: ${options.stall.calls} calls, ${options.stall.rate}× real time`);
      const stall = await runStall(server, agent, () => open(nextIndex()), options.stall);
      const passed = steps.filter((s) => s.ok);
      const best = passed[passed.length - 1];
      return {
        steps,
        rssKbPerCallFit: slopeKb(steps),
        saturation: best === undefined ? null : { calls: best.calls, callsPerCore: best.callsPerCore },
        stall,
        ...(profile === undefined ? {} : { profile }),
      };
    };

    const relay = await forkChild<{ port: number }>(new URL('./relay-child.ts', import.meta.url), {
      args: [agent.url],
    });
    const relayResult = await target('relay', relay, {
      kind: 'relay',
      url: `ws://127.0.0.1:${relay.ready.port}/`,
    }).finally(() => relay.stop());
    const daemon = await startDaemon({ redisUrl: redis.url, agentUrl: agent.url, instrument: false });
    const daemonResult = await target('daemon', daemon, {
      kind: 'daemon',
      publicUrl: daemon.ready.publicUrl,
    }).finally(() => daemon.stop());
    // CPU per call stays meaningful in a step stopped for latency, not in one that lost frames.
    const perCoreRatio = daemonResult.steps
      .filter((d) => d.lost === 0)
      .flatMap((d) => {
        const r = relayResult.steps.find((s) => s.calls === d.calls && s.lost === 0);
        return r === undefined || r.callsPerCore === 0
          ? []
          : [{ calls: d.calls, ratio: Math.round((d.callsPerCore / r.callsPerCore) * 1000) / 1000 }];
      });
    const livekit = await runLivekit({ ...options.livekit, log: options.log });
    return { relay: relayResult, daemon: daemonResult, perCoreRatio, livekit };
  } finally {
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
