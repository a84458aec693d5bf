/**
 * CPU profiles of a benchmarked process, taken over IPC for exactly the window wanted (V8's
 * sampling profiler through `node:inspector`), written as `.cpuprofile` (open it in Chrome
 * DevTools) and summarized: self time by function and by module.
 */

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfPercent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  /** Share of samples where the process was idle (waiting in epoll). */
  readonly idlePercent: number;
  readonly topFunctions: readonly ProfileEntry[];
  readonly byModule: readonly ProfileEntry[];
}

export class CpuProfiler {
  #session: Session | undefined;

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    this.#session = session;
  }

  async stop(file: string): Promise<ProfileSummary> {
    const session = this.#session;
    if (session === undefined) throw new Error('profiler not started');
    this.#session = undefined;
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    session.disconnect();
    writeFileSync(file, JSON.stringify(profile));
    return summarizeProfile(profile, file);
  }
}

export function summarizeProfile(profile: CpuProfile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    const dt = Math.max(0, deltas[i + 1] ?? deltas[i] ?? 0);
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  }
  const fns = new Map<string, number>();
  const modules = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    if (name === '(idle)') idle += us;
    const where = shortUrl(frame.url);
    const key = where === '' ? name : `${name} ${where}:${frame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const module = moduleOf(frame.url, name);
    modules.set(module, (modules.get(module) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, selfPercent: pct(us, total) }));
  return {
    file,
    totalMs: Math.round(total / 1000),
    idlePercent: pct(idle, total),
    topFunctions: top(fns, 25),
    byModule: top(modules, 15),
  };
}

const pct = (part: number, whole: number): number =>
  whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const root = url.search(/\/(src|providers|bench|sim)\//);
  if (root >= 0) return url.slice(root + 1);
  return url.replace(/^node:/, 'node:');
}

/** Coarse buckets: the daemon's own folders, each dependency, Node internals, GC, idle. */
function moduleOf(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length).split('/')[0] ?? 'node_modules';
  const own = /\/(src\/[^/]+|providers\/[^/]+|bench\/[^/]+|sim)\//.exec(url);
  if (own !== null) return own[1] ?? 'project';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  return 'other';
}

interface HeapNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

/**
 * V8's sampling heap profiler (node:inspector): where a process allocates, by the function that
 * allocated, over a window. Objects collected before the window ends are kept in the profile
 * (`includeObjectsCollectedByMajorGC`/`…MinorGC`), so it is allocation, not what stays alive.
 */
export class HeapSampler {
  #session: Session | undefined;

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    this.#session = session;
  }

  /** Bytes allocated in the window by function (self), the largest first. */
  async stop(): Promise<{ readonly totalBytes: number; readonly top: readonly [string, number][] }> {
    const session = this.#session;
    if (session === undefined) throw new Error('heap sampling not started');
    this.#session = undefined;
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: HeapNode } };
    session.disconnect();
    const bySelf = new Map<string, number>();
    let total = 0;
    const walk = (node: HeapNode, stack: string): void => {
      const f = node.callFrame;
      const name = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
      const here = stack === '' ? name : `${name} < ${stack.split(' < ')[0]}`;
      if (node.selfSize > 0) {
        bySelf.set(here, (bySelf.get(here) ?? 0) + node.selfSize);
        total += node.selfSize;
      }
      for (const child of node.children) walk(child, name);
    };
    walk(profile.head, '');
    return { totalBytes: total, top: [...bySelf.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40) };
  }
}
