/**
 * `npm run bench -- paired`: the daemon and the bare relay measured in the same windows.
 *
 * On a virtual machine the CPU one frame costs moves by a third between windows of the same code
 * (the scheduler, the host), so a ratio of two windows minutes apart carries that noise. Here
 * both servers run at once with the same number of calls, their streams interleaved on one 20 ms
 * clock, and each window measures both: whatever the machine does to one it does to the other.
 * The ladder (`media`, ladder.ts) instead alternates short windows of one server at a time, so
 * each server meets the load process alone, as in production it meets its carriers and agents;
 * the two can differ, since a server's CPU per frame depends on how its frames come (how many
 * per wake-up), and here each server's frames come among the other's.
 */
import { startRedisServer } from '../../support/redis-server.js';
import { startDaemon } from '../lib/daemon-setup.js';
import { type ChildProc, forkChild } from '../lib/ipc.js';
import { machineCores, machineTicks } from '../lib/machine-load.js';
import { coresUsed, type ProcessSample } from '../lib/probe.js';
import { round2, sleep } from '../lib/stats.js';
import { CarrierStream, FrameClock, type StreamTarget } from './carrier-streams.js';
import { startEchoAgent } from './echo-agent.js';
import { FrameLedger } from './frames.js';
import { hangUpAll } from './ladder.js';
import type { RelayPart } from './relay-parts.js';
import type { SyscallOptions } from './syscalls.js';

export interface PairedOptions extends Pick<SyscallOptions, 'warmupMs' | 'measureMs' | 'nodeFlags' | 'log'> {
  /** Calls on each server. */
  readonly calls: number;
  readonly windows: number;
  /**
   * The daemon's parts run beside the relay, in its process (relay-parts.ts): what sharing a
   * process with them costs the same relay path. Empty: the bare relay.
   */
  readonly relayWith: readonly RelayPart[];
  /**
   * What runs in the relay's place: `bare` (relay-child.ts, default) or `lean` — the daemon's own
   * media path in a process of its own (lean-child.ts): what splitting media from the rest of
   * the daemon would leave of the gap.
   */
  readonly relayAs?: 'bare' | 'lean';
  /**
   * What runs in the daemon's place: the `daemon` (default), `lean` (lean-child.ts), or `split`:
   * the idle daemon on a process's main thread and its media path alone in a worker thread
   * (relay-child.ts with the `daemon` and `thread` parts): a media thread split from the daemon.
   */
  readonly daemonAs?: DaemonAs;
}

export interface PairedWindow {
  /** Server CPU per frame crossing (carrier → agent or agent → carrier), µs. */
  readonly relayUsPerFrame: number;
  readonly daemonUsPerFrame: number;
  /** Relay ÷ daemon CPU per frame: the daemon's capacity per core as a share of the relay's. */
  readonly ratio: number;
  /** Frames that crossed each server per second. */
  readonly relayFramesPerSecond: number;
  readonly daemonFramesPerSecond: number;
  /** Cores used by the load process and by everything else on the machine in the window. */
  readonly loadCores: number;
  readonly othersCores: number | null;
}

export interface PairedResult {
  readonly calls: number;
  readonly relayWith: readonly RelayPart[];
  readonly relayAs: 'bare' | 'lean';
  readonly daemonAs: DaemonAs;
  readonly windows: readonly PairedWindow[];
  /** Median over the windows of relay ÷ daemon CPU per frame. */
  readonly medianRatio: number;
  /** Frames sent and not received, both servers, after the last window drained. */
  readonly lost: number;
}

type Server = ChildProc<{ pid: number }>;

export const DAEMON_AS = ['daemon', 'lean', 'split'] as const;
export type DaemonAs = (typeof DAEMON_AS)[number];

export async function measurePaired(options: PairedOptions): Promise<PairedResult> {
  const ledger = new FrameLedger(4 * options.calls + 64);
  const agent = await startEchoAgent(ledger);
  const redis = await startRedisServer();
  const relay = await forkChild<{ port: number; pid: number; partsUrl?: string }>(
    new URL(options.relayAs === 'lean' ? './lean-child.ts' : './relay-child.ts', import.meta.url),
    {
      args: [
        agent.url,
        JSON.stringify({ parts: options.relayWith, redisUrl: redis.url, agentUrl: agent.url }),
      ],
      nodeFlags: options.nodeFlags,
    },
  );
  const daemon: ChildProc<{ pid: number; port?: number; publicUrl?: string }> =
    options.daemonAs === 'lean'
      ? await forkChild<{ port: number; pid: number }>(new URL('./lean-child.ts', import.meta.url), {
          args: [agent.url],
          nodeFlags: options.nodeFlags,
        })
      : options.daemonAs === 'split'
        ? await forkChild<{ port: number; pid: number }>(new URL('./relay-child.ts', import.meta.url), {
            args: [
              agent.url,
              JSON.stringify({
                parts: ['daemon', 'thread'],
                server: 'lean',
                redisUrl: redis.url,
                agentUrl: agent.url,
              }),
            ],
            nodeFlags: options.nodeFlags,
          })
        : await startDaemon({
            redisUrl: redis.url,
            agentUrl: agent.url,
            nodeFlags: options.nodeFlags,
            instrument: false,
          });
  // The relay's HTTP part gets a webhook per call, from here, as the daemon does.
  const partsUrl = relay.ready.partsUrl;
  if (partsUrl !== undefined)
    await Promise.all(
      Array.from({ length: options.calls }, (_, i) =>
        fetch(partsUrl, { method: 'POST', body: `CallSid=CA${i}` }).then((r) => r.text()),
      ),
    );
  const targets: Record<'relay' | 'daemon', StreamTarget> = {
    relay: { kind: 'relay', url: `ws://127.0.0.1:${relay.ready.port}/` },
    daemon:
      daemon.ready.publicUrl === undefined
        ? { kind: 'relay', url: `ws://127.0.0.1:${daemon.ready.port ?? 0}/` }
        : { kind: 'daemon', publicUrl: daemon.ready.publicUrl },
  };
  const streams: CarrierStream[] = [];
  const clock = new FrameClock();
  try {
    // Even indices on the relay, odd on the daemon: the clock serves them alternately.
    for (let i = 0; i < 2 * options.calls; i += 50) {
      const batch = Math.min(50, 2 * options.calls - i);
      streams.push(
        ...(await Promise.all(
          Array.from({ length: batch }, (_, k) => {
            const index = i + k;
            return CarrierStream.open(
              index % 2 === 0 ? targets.relay : targets.daemon,
              index,
              ledger,
              agent.started,
            );
          }),
        )),
      );
    }
    clock.start(streams);
    await sleep(options.warmupMs);
    const windows: PairedWindow[] = [];
    for (let w = 0; w < options.windows; w++) {
      const window = await measureWindow(relay, daemon, ledger, options.measureMs);
      windows.push(window);
      options.log(
        `  paired ${options.calls} + ${options.calls} calls, window ${w + 1}: ${JSON.stringify(window)}`,
      );
    }
    clock.stop();
    await sleep(1_000);
    const t = ledger.totals();
    const lost = t.sent - t.upReceived + (t.echoed - t.downReceived);
    const ratios = windows.map((w) => w.ratio).sort((a, b) => a - b);
    const mid = ratios.length >> 1;
    const medianRatio =
      ratios.length % 2 === 1 ? (ratios[mid] ?? 0) : ((ratios[mid - 1] ?? 0) + (ratios[mid] ?? 0)) / 2;
    return {
      calls: options.calls,
      relayWith: options.relayWith,
      relayAs: options.relayAs ?? 'bare',
      daemonAs: options.daemonAs ?? 'daemon',
      windows,
      medianRatio: round3(medianRatio),
      lost,
    };
  } finally {
    clock.stop();
    await hangUpAll(streams);
    await relay.stop();
    await daemon.stop();
    await agent.close();
    await redis.stop();
  }
}

/** Frames that crossed the servers so far, by parity of the call's index: [relay, daemon]. */
function crossedByServer(ledger: FrameLedger): [number, number] {
  let even = 0;
  let odd = 0;
  for (const direction of [ledger.up, ledger.down]) {
    const received = direction.received;
    for (let i = 0; i < received.length; i += 2) even += received[i] ?? 0;
    for (let i = 1; i < received.length; i += 2) odd += received[i] ?? 0;
  }
  return [even, odd];
}

async function measureWindow(
  relay: Server,
  daemon: Server,
  ledger: FrameLedger,
  measureMs: number,
): Promise<PairedWindow> {
  const r0 = await relay.call<ProcessSample>('sample', {});
  const d0 = await daemon.call<ProcessSample>('sample', {});
  const f0 = crossedByServer(ledger);
  const m0 = machineTicks();
  const l0 = process.cpuUsage();
  await sleep(measureMs);
  const r1 = await relay.call<ProcessSample>('sample', {});
  const d1 = await daemon.call<ProcessSample>('sample', {});
  const f1 = crossedByServer(ledger);
  const load = process.cpuUsage(l0);
  const total = machineCores(m0, machineTicks());
  const relayCores = coresUsed(r0, r1);
  const daemonCores = coresUsed(d0, d1);
  const relaySeconds = (r1.atMs - r0.atMs) / 1000;
  const daemonSeconds = (d1.atMs - d0.atMs) / 1000;
  const relayFrames = f1[0] - f0[0];
  const daemonFrames = f1[1] - f0[1];
  const relayUs = (relayCores * relaySeconds * 1e6) / Math.max(1, relayFrames);
  const daemonUs = (daemonCores * daemonSeconds * 1e6) / Math.max(1, daemonFrames);
  const loadCores = (load.user + load.system) / (measureMs * 1000);
  return {
    relayUsPerFrame: round2(relayUs),
    daemonUsPerFrame: round2(daemonUs),
    ratio: round3(daemonUs === 0 ? 0 : relayUs / daemonUs),
    relayFramesPerSecond: Math.round(relayFrames / relaySeconds),
    daemonFramesPerSecond: Math.round(daemonFrames / daemonSeconds),
    loadCores: round2(loadCores),
    othersCores: total === null ? null : Math.max(0, round2(total - relayCores - daemonCores - loadCores)),
  };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const DAEMON_LABEL: Readonly<Record<DaemonAs, string>> = {
  daemon: '',
  lean: '; daemon replaced by its media path alone (lean)',
  split: '; daemon idle, its media path alone in a worker thread of its process (split)',
};

export function pairedTable(result: PairedResult): string {
  return [
    `### Daemon and relay in the same windows (${result.calls} calls each; relay ${
      result.relayAs === 'lean'
        ? "replaced by the daemon's media path alone (lean)"
        : result.relayWith.length === 0
          ? 'bare'
          : `with the daemon's ${result.relayWith.filter((p) => p !== 'thread').join(' and ')} parts${
              result.relayWith.includes('thread') ? ', itself in a worker thread' : ''
            }`
    }${DAEMON_LABEL[result.daemonAs]})`,
    '',
    '| window | relay µs/frame | daemon µs/frame | relay ÷ daemon | relay frames/s | daemon frames/s | load cores | others |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...result.windows.map(
      (w, i) =>
        `| ${i + 1} | ${w.relayUsPerFrame} | ${w.daemonUsPerFrame} | ${w.ratio} | ${w.relayFramesPerSecond} | ` +
        `${w.daemonFramesPerSecond} | ${w.loadCores} | ${w.othersCores ?? '?'} |`,
    ),
    '',
    `Median relay ÷ daemon: **${result.medianRatio}**; frames lost: ${result.lost}.`,
  ].join('\n');
}
