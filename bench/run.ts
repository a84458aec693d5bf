/**
 * `npm run bench [-- <what> …] [-- flags]`: the benchmarks of DESIGN.md "Targets", each against
 * processes it starts and stops itself (daemon, bare relay, simulator, private redis-server),
 * on loopback, bounded in time. `what`: `media`, `frame-cost`, `control`, `handoff`, `store`, or
 * `all` (default). Each writes `bench/results/<what>.json` and prints a markdown table. `livekit`
 * runs only the media bench's LiveKit row (bench/livekit/; `media` includes it); `syscalls` counts
 * each media server's syscalls, bytes and CPU per frame at fixed loads (bench/media/syscalls.ts);
 * `paired` runs the daemon and the relay at once, measured in the same windows
 * (bench/media/paired.ts: `--ladder` its calls on each server, first value; `--measure-s`;
 * `--relay-with redis,http,daemon` runs those of the daemon's parts in the relay's process:
 * bench/media/relay-parts.ts, and `thread` the relay in a worker thread of it; `--relay-as lean` puts the daemon's media path alone, in a process of its
 * own, in the relay's place: bench/media/lean-child.ts; `--daemon-as lean` in the daemon's, and
 * `--daemon-as split` the idle daemon with its media path alone in a worker thread).
 *
 * After the parts, when `media` or `control` ran: DESIGN.md's targets judged from this run's
 * figures (targets.ts), printed and written to `bench/results/targets.json`.
 *
 * Flags: `--quick` (short steps, smaller ladders: a smoke run), `--ladder 50,100,200` (media
 * calls per step; `syscalls`: the loads), `--measure-s 5` (`media`: each of the alternating
 * windows, three per server per step), `--no-profile`, `--strace`, `--perf`, `--v8-profile`,
 * `--heap` (`syscalls`: a breakdown by syscall; `perf record`, a V8 CPU profile or where each
 * server allocates), `--servers relay,daemon` (`syscalls`: which, in that order),
 * `--node-flag <flag>` (`syscalls`, `paired`: given to both servers; `control`: to the daemon),
 * `--pin` (`control`: the daemon on a core of its own, its load and Redis on the others,
 * lib/cores.ts), `--instrumented` (`syscalls`: the daemon with the control path's
 * instrumentation, as `media` ran it before 2026-12-02).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { controlTable } from './control/control-report.js';
import { runControl } from './control/run-control.js';
import { handoffTable } from './handoff/handoff-report.js';
import { runHandoff } from './handoff/run-handoff.js';
import { startProbe } from './lib/probe.js';
import { livekitTable } from './livekit/livekit-report.js';
import { runLivekit } from './livekit/run-livekit.js';
import { frameCostTable, measureFrameCost } from './media/frame-cost.js';
import { mediaTable } from './media/media-report.js';
import { DAEMON_AS, type DaemonAs, measurePaired, pairedTable } from './media/paired.js';
import { RELAY_PARTS, type RelayPart } from './media/relay-parts.js';
import { runMedia } from './media/run-media.js';
import { measureSyscalls, syscallTable } from './media/syscalls.js';
import { type ControlFigures, type MediaFigures, targetsTable, targetVerdicts } from './targets.js';

const WHAT = ['media', 'frame-cost', 'control', 'handoff', 'store'] as const;
/** Parts run only when named (not in `all`). */
const EXTRA = ['livekit', 'syscalls', 'paired'] as const;
type What = (typeof WHAT)[number] | (typeof EXTRA)[number];

interface Flags {
  readonly what: readonly What[];
  readonly quick: boolean;
  readonly ladder: readonly number[] | undefined;
  readonly measureS: number | undefined;
  readonly profile: boolean;
  readonly pin: boolean;
  readonly strace: boolean;
  readonly perf: boolean;
  readonly v8Profile: boolean;
  readonly heap: boolean;
  readonly instrument: boolean;
  readonly nodeFlags: readonly string[];
  readonly servers: readonly ('relay' | 'daemon')[];
  readonly relayWith: readonly RelayPart[];
  readonly relayAs: 'bare' | 'lean';
  readonly daemonAs: DaemonAs;
}

function parseFlags(argv: readonly string[]): Flags {
  const what: What[] = [];
  let quick = false;
  let ladder: number[] | undefined;
  let measureS: number | undefined;
  let profile = true;
  let pin = false;
  let strace = false;
  let perf = false;
  let v8Profile = false;
  let heap = false;
  let instrument = false;
  const nodeFlags: string[] = [];
  let servers: ('relay' | 'daemon')[] = ['relay', 'daemon'];
  let relayWith: RelayPart[] = [];
  let relayAs: 'bare' | 'lean' = 'bare';
  let daemonAs: DaemonAs = 'daemon';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === 'all') what.push(...WHAT);
    else if ((WHAT as readonly string[]).includes(arg) || (EXTRA as readonly string[]).includes(arg))
      what.push(arg as What);
    else if (arg === '--quick') quick = true;
    else if (arg === '--no-profile') profile = false;
    else if (arg === '--pin') pin = true;
    else if (arg === '--strace') strace = true;
    else if (arg === '--perf') perf = true;
    else if (arg === '--v8-profile') v8Profile = true;
    else if (arg === '--heap') heap = true;
    else if (arg === '--instrumented') instrument = true;
    else if (arg === '--node-flag') nodeFlags.push(argv[++i] ?? '');
    else if (arg === '--servers')
      servers = (argv[++i] ?? '')
        .split(',')
        .filter((s): s is 'relay' | 'daemon' => s === 'relay' || s === 'daemon');
    else if (arg === '--ladder')
      ladder = (argv[++i] ?? '')
        .split(',')
        .map(Number)
        .filter((n) => n > 0);
    else if (arg === '--measure-s') measureS = Number(argv[++i]);
    else if (arg === '--relay-with') relayWith = relayParts(argv[++i] ?? '');
    else if (arg === '--relay-as') {
      const as = argv[++i];
      if (as !== 'bare' && as !== 'lean') throw new Error(`--relay-as: expected bare or lean, got ${as}`);
      relayAs = as;
    } else if (arg === '--daemon-as') {
      const as = argv[++i];
      if (!(DAEMON_AS as readonly (string | undefined)[]).includes(as))
        throw new Error(`--daemon-as: expected ${DAEMON_AS.join(', ')}, got ${as}`);
      daemonAs = as as DaemonAs;
    } else
      throw new Error(
        `unknown argument ${arg} (expected ${[...WHAT, ...EXTRA].join(', ')}, all, --quick, --ladder, --measure-s, --no-profile, --pin, --strace, --perf, --v8-profile, --heap, --instrumented, --node-flag, --servers, --relay-with, --relay-as, --daemon-as)`,
      );
  }
  return {
    what: what.length === 0 ? WHAT : [...new Set(what)],
    quick,
    ladder,
    measureS,
    profile,
    pin,
    strace,
    perf,
    v8Profile,
    heap,
    instrument,
    nodeFlags,
    servers,
    relayWith,
    relayAs,
    daemonAs,
  };
}

/** `--relay-with redis,http,daemon`: the daemon's parts the paired bench runs beside the relay. */
function relayParts(list: string): RelayPart[] {
  const parts = list.split(',').filter((p) => p !== '');
  for (const p of parts)
    if (!(RELAY_PARTS as readonly string[]).includes(p))
      throw new Error(`--relay-with: unknown part ${p} (expected ${RELAY_PARTS.join(', ')})`);
  return parts as RelayPart[];
}

const resultsDir = fileURLToPath(new URL('./results', import.meta.url));
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function machine(): Record<string, unknown> {
  const list = cpus();
  return {
    node: process.version,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    platform: `${process.platform} ${process.arch}`,
  };
}

function write(name: string, body: unknown): void {
  mkdirSync(resultsDir, { recursive: true });
  const file = `${resultsDir}/${name}.json`;
  writeFileSync(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), ...(body as object) }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
}

async function runStore(): Promise<void> {
  const script = fileURLToPath(new URL('./store.ts', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit' });
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench/store.ts exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  mkdirSync(`${resultsDir}/profiles`, { recursive: true });
  const probe = startProbe();
  const started = performance.now();
  const livekit = {
    ladder: flags.quick ? [1, 2] : [1, 2, 4, 8],
    warmupMs: flags.quick ? 1000 : 2000,
    measureMs: flags.quick ? 2000 : 4000,
  };
  let mediaResult: MediaFigures | undefined;
  let controlResult: ControlFigures | undefined;
  for (const what of flags.what) {
    if (what === 'media') {
      const result = await runMedia({
        ladder: flags.ladder ?? (flags.quick ? [50, 300] : [50, 100, 200, 300, 400, 600, 800, 1000, 1200]),
        settleMs: flags.quick ? 750 : 1000,
        windowMs: (flags.measureS ?? (flags.quick ? 1 : 2.5)) * 1000,
        windows: flags.quick ? 2 : 3,
        stall: { calls: 10, seconds: flags.quick ? 5 : 15, rate: 50 },
        profileMs: flags.profile ? (flags.quick ? 2000 : 4000) : 0,
        profileAtCalls: 300,
        livekit,
        resultsDir,
        probe,
        log,
      });
      write('media', result);
      mediaResult = result;
      process.stdout.write(`${mediaTable(result)}\n`);
    } else if (what === 'livekit') {
      const result = await runLivekit({ ...livekit, log });
      write('media-livekit', { livekit: result });
      process.stdout.write(`${livekitTable(result)}\n`);
    } else if (what === 'syscalls') {
      const rows = await measureSyscalls({
        servers: flags.servers,
        calls: flags.ladder ?? [100, 300],
        warmupMs: 2000,
        measureMs: (flags.measureS ?? 5) * 1000,
        straceMs: flags.strace ? 3000 : 0,
        perfMs: flags.perf ? 8000 : 0,
        v8ProfileMs: flags.v8Profile ? 8000 : 0,
        heapMs: flags.heap ? 3000 : 0,
        perfDir: `${resultsDir}/profiles`,
        nodeFlags: flags.nodeFlags,
        instrument: flags.instrument,
        log,
      });
      write('syscalls', { rows });
      process.stdout.write(`${syscallTable(rows)}\n`);
    } else if (what === 'paired') {
      const result = await measurePaired({
        calls: flags.ladder?.[0] ?? 150,
        windows: flags.quick ? 3 : 8,
        relayWith: flags.relayWith,
        relayAs: flags.relayAs,
        daemonAs: flags.daemonAs,
        warmupMs: 2000,
        measureMs: (flags.measureS ?? 4) * 1000,
        nodeFlags: flags.nodeFlags,
        log,
      });
      write('paired', result);
      process.stdout.write(`${pairedTable(result)}\n`);
    } else if (what === 'frame-cost') {
      const rows = measureFrameCost();
      write('frame-cost', { rows });
      process.stdout.write(`${frameCostTable(rows)}\n`);
    } else if (what === 'control') {
      const result = await runControl({
        phases: flags.quick
          ? [
              { calls: 20, triggerSpreadMs: 2000 },
              { calls: 40, triggerSpreadMs: 500 },
            ]
          : [
              // Rounds enough for ≥ 150 warm triggers each: a p99, not the maximum of 25 or 50.
              { calls: 50, triggerSpreadMs: 5000, rounds: 6 },
              { calls: 100, triggerSpreadMs: 4000, rounds: 3 },
              { calls: 150, triggerSpreadMs: 1000 },
            ],
        placeSpreadMs: flags.quick ? 1000 : 2500,
        probe,
        ...(flags.profile ? { profileDir: `${resultsDir}/profiles` } : {}),
        nodeFlags: flags.nodeFlags,
        pin: flags.pin,
        log,
      });
      write('control', result);
      controlResult = result;
      process.stdout.write(`${controlTable(result)}\n`);
    } else if (what === 'handoff') {
      const result = await runHandoff({ perScenario: flags.quick ? 3 : 10, log });
      write('handoff', result);
      process.stdout.write(`${handoffTable(result)}\n`);
    } else if (what === 'store') {
      await runStore();
    }
  }
  if (mediaResult !== undefined || controlResult !== undefined) {
    // Judged only from this run's parts: a target whose part did not run says so.
    const verdicts = targetVerdicts(mediaResult, controlResult);
    write('targets', { verdicts });
    process.stdout.write(`${targetsTable(verdicts)}\n`);
  }
  log(`bench: ${Math.round((performance.now() - started) / 1000)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
