/**
 * What every media server child of the benches answers its parent over IPC (lib/ipc.ts): the
 * clock, samples of its process with its media state, CPU and heap profiles, and a stop. The
 * bare relay (relay-child.ts) and the daemon's media path alone (lean-child.ts) serve it alike.
 */
import { serveParent } from '../lib/ipc.js';
import { epochMs, startProbe } from '../lib/probe.js';
import { CpuProfiler, HeapSampler } from '../lib/profile.js';

export interface MediaChild {
  /** Calls open now. */
  readonly sessions: () => number;
  /** Bytes accepted toward the agents and not yet sent. */
  readonly agentBuffered: () => number;
  readonly stop: () => Promise<void>;
}

export function serveMediaChild(
  ready: { readonly port: number; readonly pid: number; readonly partsUrl?: string },
  child: MediaChild,
): void {
  const probe = startProbe();
  const profiler = new CpuProfiler();
  const heap = new HeapSampler();
  serveParent(ready, {
    clock: () => epochMs(),
    sample: (body) => ({
      ...probe.sample((body ?? {}) as { gc?: boolean; reset?: boolean }),
      media: { sessions: child.sessions(), agentBuffered: child.agentBuffered() },
    }),
    'profile-start': () => profiler.start(),
    'profile-stop': (body) => profiler.stop((body as { file: string }).file),
    'heap-start': () => heap.start(),
    'heap-stop': () => heap.stop(),
    stop: () => child.stop(),
  });
}
