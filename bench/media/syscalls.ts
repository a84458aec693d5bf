/**
 * `npm run bench -- syscalls`: what each server (the daemon, the bare relay) asks of the kernel
 * per media frame at a fixed number of calls — write and read syscalls and bytes per frame
 * (`/proc/<pid>/io`: `syscw`, `wchar`, `syscr`, `rchar`, all threads, no tracing overhead), CPU
 * per frame, and with `--strace` a breakdown by syscall (`strace -f -c` over a second, shorter
 * window: ptrace slows the server, so only the counts of that window are used, not its CPU).
 *
 * A frame here is one message crossing the server: caller → agent or agent → caller. Each
 * crossing is one read from one socket and one write to another at best; the bare relay shows
 * what `ws` alone needs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { startRedisServer } from '../../support/redis-server.js';
import { startDaemon } from '../lib/daemon-setup.js';
import { type ChildProc, forkChild } from '../lib/ipc.js';
import { machineCores, machineTicks } from '../lib/machine-load.js';
import { coresUsed, type ProcessSample, round3 } from '../lib/probe.js';
import { round2, sleep } from '../lib/stats.js';
import { CarrierStream, FrameClock, type StreamTarget } from './carrier-streams.js';
import { startEchoAgent } from './echo-agent.js';
import { FrameLedger } from './frames.js';
import { hangUpAll } from './ladder.js';

export interface SyscallOptions {
  /** Which servers to measure, in this order. */
  readonly servers: readonly ('relay' | 'daemon')[];
  readonly calls: readonly number[];
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Also run `strace -f -c` for this long at each step (0: not). */
  readonly straceMs: number;
  /**
   * Also sample each server with `perf record` (on-CPU time, kernel and JavaScript: the servers
   * run with `--perf-basic-prof`) for this long at each step, into `<perfDir>`; 0: not.
   */
  readonly perfMs: number;
  /** Also take a V8 CPU profile (node:inspector) of each server for this long at each step, into `<perfDir>`; 0: not. */
  readonly v8ProfileMs: number;
  /** Also sample each server's allocations (V8's sampling heap profiler) for this long at each step; 0: not. */
  readonly heapMs: number;
  readonly perfDir: string;
  /** Start the daemon with the control path's instrumentation (async hooks on), as `media` did before. */
  readonly instrument: boolean;
  /** More Node flags for both servers (e.g. `--trace-gc-nvp`). */
  readonly nodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

export interface SyscallRow {
  readonly server: 'relay' | 'daemon';
  readonly calls: number;
  /** Frames crossing the server per second (both directions). */
  readonly framesPerSecond: number;
  readonly serverCores: number;
  /** What the rest of the machine used in the window (everything but the server and this process). */
  readonly othersCores: number | null;
  /** Server CPU per frame crossing, µs. */
  readonly cpuUsPerFrame: number;
  /** Of it, in the kernel (system time), µs. */
  readonly systemUsPerFrame: number;
  /** Server CPU per call-second, ms. */
  readonly cpuMsPerCallSecond: number;
  readonly writeSyscallsPerFrame: number;
  readonly writtenBytesPerFrame: number;
  readonly readSyscallsPerFrame: number;
  readonly readBytesPerFrame: number;
  /**
   * Of the CPU per frame, what the process's other threads used (V8's GC helpers, libuv's pool),
   * µs: the main thread's share is {@link cpuUsPerFrame} less this.
   */
  readonly otherThreadsUsPerFrame: number;
  /** Context switches of all the server's threads (voluntary and not) per frame. */
  readonly switchesPerFrame: number;
  /** From strace (its own window): calls per frame by syscall, the busiest first. */
  readonly strace?: Readonly<Record<string, number>>;
}

interface ProcIo {
  readonly rchar: number;
  readonly wchar: number;
  readonly syscr: number;
  readonly syscw: number;
}

/** utime + stime so far of every thread of `pid` but the main one, in clock ticks (USER_HZ, 100). */
function otherThreadTicks(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (tid === String(pid)) continue;
    try {
      total += statTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

/** Context switches so far of every thread of `pid` (each `/proc/<pid>/task/<tid>/status`). */
function contextSwitches(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) total += Number(m[1]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

function procIo(pid: number): ProcIo {
  const fields: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
    const [key, value] = line.split(':');
    if (key !== undefined && value !== undefined) fields[key.trim()] = Number(value);
  }
  return {
    rchar: fields['rchar'] ?? 0,
    wchar: fields['wchar'] ?? 0,
    syscr: fields['syscr'] ?? 0,
    syscw: fields['syscw'] ?? 0,
  };
}

/** Frames that crossed the server so far: received by the agent plus received by the caller. */
function crossed(ledger: FrameLedger): number {
  const t = ledger.totals();
  return t.upReceived + t.downReceived;
}

export async function measureSyscalls(options: SyscallOptions): Promise<SyscallRow[]> {
  const ledger = new FrameLedger(20_000);
  const agent = await startEchoAgent(ledger);
  const redis = await startRedisServer();
  let index = 0;
  const rows: SyscallRow[] = [];
  try {
    const nodeFlags = [...(options.perfMs > 0 ? ['--perf-basic-prof'] : []), ...options.nodeFlags];
    const run = async (
      name: 'relay' | 'daemon',
      server: ChildProc<{ pid: number }>,
      target: StreamTarget,
    ): Promise<void> => {
      const pid = server.ready.pid;
      const streams: CarrierStream[] = [];
      const clock = new FrameClock();
      const firstFrame = crossed(ledger);
      for (const n of options.calls) {
        while (streams.length < n) {
          const batch = Math.min(50, n - streams.length);
          streams.push(
            ...(await Promise.all(
              Array.from({ length: batch }, () => CarrierStream.open(target, index++, ledger, agent.started)),
            )),
          );
        }
        clock.start(streams);
        await sleep(options.warmupMs);
        // Start the window in a quiet second if one comes soon (the machine is shared).
        await waitForQuiet(pid, 10_000);
        const s0 = await server.call<ProcessSample>('sample', {});
        const io0 = procIo(pid);
        const cs0 = contextSwitches(pid);
        const t0 = otherThreadTicks(pid);
        const f0 = crossed(ledger);
        const m0 = machineTicks();
        const l0 = process.cpuUsage();
        await sleep(options.measureMs);
        const s1 = await server.call<ProcessSample>('sample', {});
        const io1 = procIo(pid);
        const cs1 = contextSwitches(pid);
        const t1 = otherThreadTicks(pid);
        const f1 = crossed(ledger);
        const total = machineCores(m0, machineTicks());
        const load = (process.cpuUsage(l0).user + process.cpuUsage(l0).system) / ((s1.atMs - s0.atMs) * 1000);
        const frames = f1 - f0;
        const seconds = (s1.atMs - s0.atMs) / 1000;
        const cores = coresUsed(s0, s1);
        const per = (v: number) => round2(v / Math.max(1, frames));
        let strace: Record<string, number> | undefined;
        if (options.straceMs > 0) {
          const g0 = crossed(ledger);
          const counts = await straceCounts(pid, options.straceMs);
          const g = crossed(ledger) - g0;
          strace = {};
          for (const [call, count] of counts) strace[call] = round3(count / Math.max(1, g));
        }
        if (options.perfMs > 0) {
          const file = `${options.perfDir}/${name}-${n}.perf.data`;
          await perfRecord(pid, options.perfMs, file);
          options.log(`  perf: ${file} (perf report -i ${file} --no-children --sort dso,sym)`);
        }
        if (options.heapMs > 0) {
          const h0 = crossed(ledger);
          await server.call('heap-start');
          await sleep(options.heapMs);
          const heap = await server.call<{ totalBytes: number; top: [string, number][] }>('heap-stop');
          const frames = Math.max(1, crossed(ledger) - h0);
          options.log(
            `  ${name} ${n} calls: ${Math.round(heap.totalBytes / frames)} bytes allocated per frame crossing`,
          );
          for (const [where, bytes] of heap.top)
            options.log(`    ${(bytes / frames).toFixed(1).padStart(7)}  ${where}`);
        }
        if (options.v8ProfileMs > 0) {
          const file = `${options.perfDir}/syscalls-${name}-${n}.cpuprofile`;
          await server.call('profile-start');
          await sleep(options.v8ProfileMs);
          await server.call('profile-stop', { file });
          options.log(`  V8 profile: ${file}`);
        }
        const row: SyscallRow = {
          server: name,
          calls: n,
          framesPerSecond: Math.round(frames / seconds),
          serverCores: cores,
          othersCores: total === null ? null : Math.max(0, round2(total - cores - load)),
          cpuUsPerFrame: round2((cores * seconds * 1e6) / Math.max(1, frames)),
          systemUsPerFrame: round2((s1.cpuSystemUs - s0.cpuSystemUs) / Math.max(1, frames)),
          cpuMsPerCallSecond: round3((cores * 1000) / n),
          writeSyscallsPerFrame: per(io1.syscw - io0.syscw),
          writtenBytesPerFrame: per(io1.wchar - io0.wchar),
          readSyscallsPerFrame: per(io1.syscr - io0.syscr),
          readBytesPerFrame: per(io1.rchar - io0.rchar),
          otherThreadsUsPerFrame: round2(((t1 - t0) * 1e4) / Math.max(1, frames)),
          switchesPerFrame: round3((cs1 - cs0) / Math.max(1, frames)),
          ...(strace === undefined ? {} : { strace }),
        };
        rows.push(row);
        options.log(`  ${name} ${n} calls: ${JSON.stringify(row)}`);
      }
      clock.stop();
      await hangUpAll(streams);
      options.log(`  ${name}: ${crossed(ledger) - firstFrame} frames crossed in all (pid ${pid})`);
    };

    for (const name of options.servers) {
      if (name === 'relay') {
        const relay = await forkChild<{ port: number; pid: number }>(
          new URL('./relay-child.ts', import.meta.url),
          { args: [agent.url], nodeFlags },
        );
        await run('relay', relay, { kind: 'relay', url: `ws://127.0.0.1:${relay.ready.port}/` }).finally(() =>
          relay.stop(),
        );
      } else {
        const daemon = await startDaemon({
          redisUrl: redis.url,
          agentUrl: agent.url,
          nodeFlags,
          instrument: options.instrument,
        });
        await run('daemon', daemon, { kind: 'daemon', publicUrl: daemon.ready.publicUrl }).finally(() =>
          daemon.stop(),
        );
      }
    }
  } finally {
    await agent.close();
    await redis.stop();
  }
  return rows;
}

/** Waits (at most `maxMs`) for a second in which processes other than `pid` and this one used < 0.2 cores. */
async function waitForQuiet(pid: number, maxMs: number): Promise<void> {
  const started = performance.now();
  while (performance.now() - started < maxMs) {
    const m0 = machineTicks();
    const p0 = procCpuTicks(pid);
    const l0 = process.cpuUsage();
    await sleep(1_000);
    const total = machineCores(m0, machineTicks());
    if (total === null) return;
    const own =
      (procCpuTicks(pid) - p0) / 100 + (process.cpuUsage(l0).user + process.cpuUsage(l0).system) / 1e6;
    if (total - own < 0.2) return;
  }
}

/** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux). */
function procCpuTicks(pid: number): number {
  return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime of a `/proc/…/stat` line, in clock ticks. */
function statTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function perfRecord(pid: number, ms: number, file: string): Promise<void> {
  const child = spawn('perf', ['record', '-q', '-g', '-F', '1999', '-p', String(pid), '-o', file], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', () => undefined);
  await sleep(ms);
  child.kill('SIGINT');
  await exited;
}

/** `strace -f -c -p pid` for `ms`; the calls of each syscall, the busiest first. */
async function straceCounts(pid: number, ms: number): Promise<[string, number][]> {
  const child = spawn('strace', ['-f', '-c', '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', () => undefined);
  await sleep(ms);
  child.kill('SIGINT');
  await exited;
  const counts: [string, number][] = [];
  // strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined && m[2] !== 'total') counts.push([m[2], Number(m[1])]);
  }
  return counts.sort((a, b) => b[1] - a[1]).slice(0, 10);
}

export function syscallTable(rows: readonly SyscallRow[]): string {
  return [
    '### Syscalls per frame crossing',
    '',
    '| server | calls | frames/s | server cores | others | CPU µs/frame | of it system | CPU ms/call-s | other threads µs/frame | writes/frame | bytes written/frame | reads/frame | bytes read/frame | context switches/frame | strace (calls/frame) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.server} | ${r.calls} | ${r.framesPerSecond} | ${r.serverCores} | ${r.othersCores ?? '?'} | ${r.cpuUsPerFrame} | ${r.systemUsPerFrame} | ${r.cpuMsPerCallSecond} | ${r.otherThreadsUsPerFrame} | ` +
        `${r.writeSyscallsPerFrame} | ${r.writtenBytesPerFrame} | ${r.readSyscallsPerFrame} | ${r.readBytesPerFrame} | ${r.switchesPerFrame} | ` +
        `${
          r.strace === undefined
            ? '–'
            : Object.entries(r.strace)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')
        } |`,
    ),
  ].join('\n');
}
