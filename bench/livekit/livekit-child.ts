/**
 * The LiveKit row's measurement, run inside a network namespace of its own (run-livekit.ts starts
 * it with `unshare -n` and support/livekit/netns.sh: libwebrtc ignores loopback interfaces).
 *
 * Processes: the daemon in its own (bench/daemon-child.ts, its agent on `transport: livekit`),
 * and this one — the test LiveKit server (support/livekit/server.ts, werift), one tone agent on
 * rtc-node per room, and the callers; a private redis-server idles beside them. A ladder of
 * concurrent calls, each step measured for a few seconds; it stops at the first step that lost a
 * frame or filled a core. Prints the result as one JSON line on stdout; progress goes to stderr.
 */

import { TestLivekitServer } from '../../support/livekit/server.js';
import { startRedisServer } from '../../support/redis-server.js';
import { startDaemon } from '../lib/daemon-setup.js';
import { machineCores, machineTicks } from '../lib/machine-load.js';
import { coresUsed, startProbe } from '../lib/probe.js';
import { round2, sleep } from '../lib/stats.js';
import type { ServerSample } from '../media/ladder.js';
import type { LivekitResult, LivekitStep } from './livekit-report.js';
import { startFrames, ToneCaller } from './tone-caller.js';
import { ToneRoomAgent } from './tone-room-agent.js';
import { newTally, resetTally } from './tone-tally.js';

export interface LivekitChildOptions {
  readonly ladder: readonly number[];
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** The veth address netns.sh gives the namespace's first end. */
const HOST = '10.99.0.1';
const KEY = 'patchthrough-bench';
const SECRET = 'patchthrough-bench-secret-0123456789abcdef';
const AGENT_NAME = 'bench-tone';
/** A step stops the ladder when the daemon's core, or this process's, is this full. */
const MAX_CORES = 0.9;
/** A caller may be this many 10 ms frames short in a window (frames in flight at its edges). */
const SHORT_SLACK_FRAMES = 2;
/** How long new calls may take to carry the tone both ways. */
const OPEN_TIMEOUT_MS = 20_000;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(options: LivekitChildOptions): Promise<LivekitResult> {
  const probe = startProbe();
  const redis = await startRedisServer();
  const server = await TestLivekitServer.start({ host: HOST, apiKey: KEY, apiSecret: SECRET });
  const target = { url: server.url, apiKey: KEY, apiSecret: SECRET };
  const up = newTally();
  const agents: ToneRoomAgent[] = [];
  server.onDispatch = (room, agentName) => {
    if (agentName !== AGENT_NAME) return;
    ToneRoomAgent.join(target, room, up).then(
      (agent) => agents.push(agent),
      (err: unknown) => log(`  livekit: an agent could not join: ${String(err)}`),
    );
  };
  const daemon = await startDaemon({
    redisUrl: redis.url,
    agentUrl: 'ws://127.0.0.1:9/unused',
    agent: (agent) => ({
      ...agent,
      agent: {
        transport: 'livekit',
        livekit: { url: server.url, agentName: AGENT_NAME },
        connectTimeoutMs: 15_000,
      },
    }),
    livekit: { apiKey: KEY, apiSecret: SECRET },
  });
  const callers: ToneCaller[] = [];
  const stopFrames = startFrames(() => callers);
  const sample = (reset: boolean) => daemon.call<ServerSample>('sample', { reset });
  const steps: LivekitStep[] = [];
  try {
    for (const n of options.ladder) {
      const fresh = await Promise.all(
        Array.from({ length: n - callers.length }, () => ToneCaller.open(daemon.ready.publicUrl)),
      );
      callers.push(...fresh);
      // A call counts once the caller hears the agent's tone (the room, the agent and the link are up).
      const deadline = performance.now() + OPEN_TIMEOUT_MS;
      while (callers.some((c) => c.heard.heardTone < 25)) {
        if (performance.now() > deadline)
          throw new Error(`${n} calls: not every call carried audio both ways`);
        await sleep(50);
      }
      await sleep(options.warmupMs);
      resetTally(up, true);
      for (const c of callers) resetTally(c.heard, true);
      const s0 = await sample(true);
      const l0 = probe.sample({ reset: true });
      const m0 = machineTicks();
      await sleep(options.measureMs);
      const s1 = await sample(true);
      const l1 = probe.sample({ reset: true });
      const m1 = machineTicks();
      const windowFrames = Math.floor((s1.atMs - s0.atMs) / 10);
      const lostUp = up.silent + Math.max(0, n * (windowFrames - SHORT_SLACK_FRAMES) - up.frames);
      resetTally(up, false);
      let lostDown = 0;
      let shortDown = 0;
      for (const c of callers) {
        lostDown += c.heard.silent;
        shortDown += Math.max(0, windowFrames - SHORT_SLACK_FRAMES - c.heard.frames);
        resetTally(c.heard, false);
      }
      const serverCores = coresUsed(s0, s1);
      const loadCores = coresUsed(l0, l1);
      const total = machineCores(m0, m1);
      const lost = lostUp + lostDown + shortDown;
      const stoppedBecause =
        lost > 0
          ? `${lost} frames lost`
          : serverCores >= MAX_CORES
            ? `daemon core full (${serverCores})`
            : loadCores >= MAX_CORES
              ? `load process core full (${loadCores})`
              : undefined;
      const step: LivekitStep = {
        calls: n,
        cores: {
          server: serverCores,
          load: loadCores,
          others: total === null ? null : Math.max(0, round2(total - serverCores - loadCores)),
        },
        callsPerCore: serverCores > 0 ? round2(n / serverCores) : 0,
        cpuMsPerCallSecond: round2((serverCores / n) * 1000),
        lostUp,
        lostDown,
        shortDown,
        lost,
        serverLoopP99Ms: s1.loop.p99Ms,
        ok: stoppedBecause === undefined,
        ...(stoppedBecause === undefined ? {} : { stoppedBecause }),
      };
      steps.push(step);
      log(
        `  livekit ${n} calls: daemon ${serverCores} cores, load ${loadCores}, others ${step.cores.others ?? '?'}, ` +
          `${step.cpuMsPerCallSecond} ms CPU per call-second, lost up/down/short ${lostUp}/${lostDown}/${shortDown}` +
          (stoppedBecause === undefined ? '' : ` — stop: ${stoppedBecause}`),
      );
      if (stoppedBecause !== undefined) break;
    }
  } finally {
    stopFrames();
    await Promise.all(callers.map((c) => c.hangup().catch(() => undefined)));
    await sleep(500);
    await daemon.stop();
    for (const agent of agents) await agent.leave().catch(() => undefined);
    await server.close();
    await redis.stop();
  }
  const passed = steps.filter((s) => s.ok);
  const best = passed[passed.length - 1];
  return {
    steps,
    saturation:
      best === undefined
        ? null
        : { calls: best.calls, callsPerCore: best.callsPerCore, cpuMsPerCallSecond: best.cpuMsPerCallSecond },
  };
}

main(JSON.parse(process.argv[2] ?? '{}') as LivekitChildOptions).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(
      `livekit bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
