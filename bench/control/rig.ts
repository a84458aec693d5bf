/**
 * The setup shared by the control-path and handoff benchmarks: a private redis-server, the
 * Twilio simulator, the bench agent (all in this load process) and the daemon in its own
 * process, wired as a user would wire them (docs/simulator.md "Pointing a daemon and an agent
 * at it").
 */
import { Redis } from 'ioredis';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import { type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { pinApart } from '../lib/cores.js';
import { ACCOUNT_SID, AUTH_TOKEN, type DaemonReady, INBOUND, startDaemon } from '../lib/daemon-setup.js';
import type { ChildProc } from '../lib/ipc.js';
import { epochMs } from '../lib/probe.js';
import { BenchAgent } from './bench-agent.js';

export interface Rig {
  readonly sim: Simulator;
  readonly agent: BenchAgent;
  readonly daemon: ChildProc<DaemonReady>;
  readonly redis: RedisServer;
  /** A client of our own on the private Redis (INFO, never the daemon's data). */
  readonly admin: Redis;
  /** Daemon clock − this process's clock, ms (IPC ping with the smallest round trip). */
  readonly offsetMs: number;
  readonly offsetErrorMs: number;
  /** How the daemon was kept apart from its load (lib/cores.ts), or `not pinned`. */
  readonly pinning: string;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Twilio's ring-timeout buffer on REST-created calls (docs/simulator.md); default 5 000. */
  readonly ringTimeoutBufferMs?: number;
  /** More Node flags for the daemon's process (`--trace-gc`, …). */
  readonly nodeFlags?: readonly string[];
  /** The daemon on a core of its own, the load and Redis on the others (lib/cores.ts). Default false. */
  readonly pin?: boolean;
}

/** The demo agent, warm by default, the summary as whisper (bounded 1 s), 5 s ring timeout. */
function benchAgentConfig(agent: Record<string, unknown>): Record<string, unknown> {
  return {
    ...agent,
    handoffConfig: {
      ...(agent['handoffConfig'] as object),
      warm: true,
      whisper: null,
      summaryTimeoutMs: 1000,
      ringTimeoutSec: 5,
    },
  };
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const redis = await startRedisServer();
  const sim = await startSimulator({
    clock: { nowMs: epochMs },
    network: { keepAudio: false },
    twilio: {
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      // The caller's number is presented to the human (caller-ID passthrough) without the
      // 21210 refusal and retry a Twilio account without that number verified would cause.
      callerIdPolicy: 'any',
      ...(options.ringTimeoutBufferMs === undefined
        ? {}
        : { ringTimeoutBufferMs: options.ringTimeoutBufferMs }),
    },
  });
  const agent = await BenchAgent.start();
  const daemon = await startDaemon({
    redisUrl: redis.url,
    agentUrl: agent.url,
    apiBase: sim.url,
    agent: benchAgentConfig,
    ...(options.nodeFlags === undefined ? {} : { nodeFlags: options.nodeFlags }),
  });
  sim.twilio.configureNumber(INBOUND, {
    voiceUrl: `${daemon.ready.publicUrl}/twilio/voice`,
    statusCallback: `${daemon.ready.publicUrl}/twilio/status`,
  });
  const pinning =
    options.pin === true
      ? pinApart(daemon.ready.pid, [process.pid, ...(redis.pid === undefined ? [] : [redis.pid])])
      : { note: 'not pinned', restore: () => undefined };
  const admin = new Redis(redis.url);
  const { offsetMs, errorMs } = await clockOffset(daemon);
  return {
    sim,
    agent,
    daemon,
    redis,
    admin,
    offsetMs,
    offsetErrorMs: errorMs,
    pinning: pinning.note,
    async close() {
      pinning.restore();
      await daemon.stop();
      await sim.stop();
      await agent.close();
      admin.disconnect();
      await redis.stop();
    },
  };
}

/** NTP-style: the child's clock read between two of ours; the tightest of 30 reads wins. */
async function clockOffset(child: ChildProc<unknown>): Promise<{ offsetMs: number; errorMs: number }> {
  let best = { offsetMs: 0, errorMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 30; i++) {
    const t0 = epochMs();
    const remote = await child.call<number>('clock');
    const t1 = epochMs();
    const errorMs = (t1 - t0) / 2;
    if (errorMs < best.errorMs) best = { offsetMs: remote - (t0 + t1) / 2, errorMs };
  }
  return {
    offsetMs: Math.round(best.offsetMs * 1000) / 1000,
    errorMs: Math.round(best.errorMs * 1000) / 1000,
  };
}
