/**
 * A cluster on 127.0.0.1 as deploy/ describes it: haproxy (the shipped configuration, addresses
 * changed) in front of three real daemon processes sharing a private Redis with an append-only
 * file; the carrier simulators and a scripted agent in this process. Every process is killed
 * when the test process exits, whatever happened.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import {
  ScriptedAgentServer,
  type ScriptStart,
  type ScriptStep,
} from '../../src/agent/scripted-agent-server.js';
import { freePort, type RedisServer, startRedisServer } from '../../support/redis-server.js';
import { exotelNumber } from '../e2e/harness.js';
import { type DaemonProcess, spawnDaemon } from '../ops/daemon-process.js';
import { eventually } from '../support/eventually.js';
import { clusterConfig, type Haproxy, startHaproxy } from './haproxy.js';

export const NUMBERS = { twilio: '+14155550100', plivo: '+14155550200', exotel: '+14155550300' } as const;
export const CALLER = '+14155559999';

const TWILIO = { accountSid: `AC${'7'.repeat(32)}`, authToken: 'cluster-twilio-token' };
const PLIVO = { authId: 'MA7777777777777777AA', authToken: 'cluster-plivo-token' };
const EXOTEL = {
  accountSid: 'cluster-exotel',
  apiKey: 'cluster-exotel-key',
  apiToken: 'cluster-exotel-token',
};
// exotelNumber() puts the e2e webhook secret in the flow's URLs; the workers must expect it.
const EXOTEL_WEBHOOK_SECRET = 'e2e-exotel-webhook-secret';
const MEDIA_TOKEN_SECRET = 'cluster-media-token-secret-shared-by-all-workers';
/** How long a SIGTERMed worker may drain before it exits anyway. */
export const DRAIN_TIMEOUT_MS = 3000;
/** The ring timeout of every transfer, in s. */
export const RING_TIMEOUT_SEC = 6;

export interface WorkerSlot {
  readonly name: string;
  readonly port: number;
  daemon: DaemonProcess;
  /** 1 for the first process on this port, 2 after the first restart… */
  incarnation: number;
}

export interface Cluster {
  readonly sim: Simulator;
  readonly agent: ScriptedAgentServer;
  readonly redis: RedisServer;
  readonly haproxy: Haproxy;
  readonly workers: readonly WorkerSlot[];
  /** Starts a new daemon on the slot's port once the old one has exited. */
  restart(slot: WorkerSlot): Promise<void>;
  /** Every worker process's output so far (killed ones too), by `worker-N.incarnation`. */
  outputs(): Record<string, string>;
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
let exitHook = false;
function track(proc: ChildProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
}

export async function startCluster(
  script: (start: ScriptStart) => readonly ScriptStep[],
  workerCount = 3,
): Promise<Cluster> {
  const parts: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of parts.splice(0).reverse()) await p.stop().catch(() => {});
  };
  try {
    const redis = await startRedisServer({ persist: true });
    parts.push(redis);
    const agent = await ScriptedAgentServer.start({ script, summary: 'A caller from the cluster test.' });
    parts.push({ stop: () => agent.close() });
    const sim = await startSimulator({
      network: { keepAudio: false },
      twilio: TWILIO,
      plivo: PLIVO,
      exotel: EXOTEL,
    });
    parts.push(sim);
    const frontendPort = await freePort();
    const publicUrl = `http://127.0.0.1:${frontendPort}`;
    const dir = mkdtempSync(join(tmpdir(), 'patchthrough-cluster-'));
    parts.push({ stop: async () => rmSync(dir, { recursive: true, force: true }) });
    const configPath = join(dir, 'agents.json');
    writeFileSync(configPath, JSON.stringify(agentsFile(agent.url)));
    const env = (slot: string, incarnation: number): Record<string, string> => ({
      PUBLIC_URL: publicUrl,
      REDIS_URL: redis.url,
      PATCHTHROUGH_CONFIG: configPath,
      DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
      WORKER_ID: `${slot}.${incarnation}`,
      MEDIA_TOKEN_SECRET,
      LOG_LEVEL: 'info',
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_API_BASE: sim.url,
      PLIVO_AUTH_ID: PLIVO.authId,
      PLIVO_AUTH_TOKEN: PLIVO.authToken,
      PLIVO_API_BASE: sim.url,
      EXOTEL_ACCOUNT_SID: EXOTEL.accountSid,
      EXOTEL_API_KEY: EXOTEL.apiKey,
      EXOTEL_API_TOKEN: EXOTEL.apiToken,
      EXOTEL_API_BASE: sim.url,
      EXOTEL_WEBHOOK_SECRET,
    });
    const ports: number[] = [];
    for (let i = 0; i < workerCount; i++) ports.push(await freePort());
    const workers: WorkerSlot[] = await Promise.all(
      ports.map(async (port, i) => {
        const name = `worker-${i + 1}`;
        const daemon = await spawnDaemon(port, env(name, 1));
        track(daemon.proc);
        return { name, port, daemon, incarnation: 1 };
      }),
    );
    const outputs: Record<string, string[]> = {};
    for (const w of workers) outputs[`${w.name}.1`] = w.daemon.output;
    parts.push({
      stop: async () => {
        await Promise.all(workers.map((w) => w.daemon.stop(2000)));
      },
    });
    const haproxy = await startHaproxy(
      clusterConfig({ frontendPort, workerPorts: ports, resolverPort: await freePort() }),
      frontendPort,
    );
    track(haproxy.proc);
    parts.push(haproxy);
    // Up once the frontend reaches a worker (haproxy answers 503 itself while it has none).
    await eventually(
      async () => {
        if (haproxy.proc.exitCode !== null) throw new Error(`haproxy exited:\n${haproxy.output.join('')}`);
        const r = await fetch(`${publicUrl}/cluster-probe`).catch(() => undefined);
        return r !== undefined && r.status !== 503 && r.status !== 502;
      },
      () => `haproxy on ${publicUrl} to reach a worker; its output:\n${haproxy.output.join('')}`,
      { timeoutMs: 20_000, everyMs: 50 },
    );

    sim.twilio.configureNumber(NUMBERS.twilio, {
      voiceUrl: `${publicUrl}/twilio/voice`,
      voiceFallbackUrl: `${publicUrl}/twilio/voice`,
      statusCallback: `${publicUrl}/twilio/status`,
    });
    sim.plivo.configureNumber(NUMBERS.plivo, {
      answerUrl: `${publicUrl}/plivo/voice`,
      fallbackUrl: `${publicUrl}/plivo/voice`,
      hangupUrl: `${publicUrl}/plivo/status`,
    });
    sim.exotel.configureNumber(NUMBERS.exotel, exotelNumber(publicUrl));

    return {
      sim,
      agent,
      redis,
      haproxy,
      workers,
      async restart(slot) {
        await slot.daemon.exited;
        slot.incarnation++;
        slot.daemon = await spawnDaemon(slot.port, env(slot.name, slot.incarnation));
        track(slot.daemon.proc);
        outputs[`${slot.name}.${slot.incarnation}`] = slot.daemon.output;
      },
      outputs: () => Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.join('')])),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** One agent per carrier, all on the scripted agent; humans anywhere in +1415555…. */
function agentsFile(agentUrl: string): unknown {
  return {
    defaultRegion: 'US',
    agents: (['twilio', 'plivo', 'exotel'] as const).map((carrier) => ({
      id: `desk-${carrier}`,
      numbers: [NUMBERS[carrier]],
      carrier,
      agent: { url: agentUrl },
      handoffConfig: {
        warm: false,
        whisper: 'A caller from the cluster test.',
        transferDestination: '+14155550133',
        ringTimeoutSec: RING_TIMEOUT_SEC,
      },
      destinationPolicy: { allow: ['+1415555*'], countries: [] },
    })),
  };
}

/**
 * What the agent heard on each of a call's sessions, for a report on a broken call: its `start`,
 * how the socket closed, every frame but media with its time, and how many media frames came.
 */
export function agentSessionsOf(cluster: Cluster, callId: string) {
  return cluster.agent.sessions
    .filter((a) => a.start?.callId === callId)
    .map((a) => ({
      start: a.start,
      closeCode: a.closeCode,
      received: a.received
        .filter((f) => f.frame.event !== 'media')
        .map((f) => ({ atMs: f.atMs, frame: f.frame })),
      media: a.received.filter((f) => f.frame.event === 'media').length,
    }));
}
