/**
 * The daemon under benchmark, in a process of its own: the app as lib/bench-app.ts builds it
 * (exactly as src/main.ts wires it), plus the instrumentation of lib/instrument.ts unless the
 * config turns it off (the media benches). Configured by one JSON argument
 * (lib/daemon-setup.ts); reports to the parent over IPC (lib/ipc.ts).
 */

import { Redis } from 'ioredis';
import { buildBenchApp } from './lib/bench-app.js';
import type { DaemonChildConfig, DaemonReady } from './lib/daemon-setup.js';
import {
  attributionOn,
  countCommands,
  instrumentEngine,
  labelStore,
  matchRestByCall,
  newCounters,
  restMatchCheck,
  setAttribution,
  watchGcPauses,
} from './lib/instrument.js';
import { serveParent } from './lib/ipc.js';
import { epochMs, startProbe } from './lib/probe.js';
import { CpuProfiler, HeapSampler } from './lib/profile.js';

const config = JSON.parse(process.argv[2] ?? '{}') as DaemonChildConfig;
const instrumented = config.instrument !== false;
let counters = newCounters();
if (instrumented) countCommands(Redis, () => counters);
const { app, store, publicUrl } = buildBenchApp(
  config,
  instrumented ? (s) => labelStore(s, () => counters) : undefined,
);
if (instrumented) {
  instrumentEngine(app.engine, () => counters);
  watchGcPauses(() => counters);
}
const probe = startProbe();
const profiler = new CpuProfiler();
const heap = new HeapSampler();
await app.listen();

/** Sums over the live sessions: what the bridges hold and what the agent sockets have not sent. */
function mediaState(): Record<string, number> {
  let queuedToAgent = 0;
  let queuedToCarrier = 0;
  let droppedToAgent = 0;
  let droppedToCarrier = 0;
  let agentBuffered = 0;
  let agentDroppedFrames = 0;
  for (const id of app.sessions.ids()) {
    const session = app.sessions.get(id);
    if (session === undefined) continue;
    const s = session.bridge.stats();
    queuedToAgent += s.queuedBytesToAgent;
    queuedToCarrier += s.queuedBytesToCarrier;
    droppedToAgent += s.droppedBytesToAgent;
    droppedToCarrier += s.droppedBytesToCarrier;
    agentBuffered += session.agent.backlogBytes();
    agentDroppedFrames += session.agent.stats().droppedFrames;
  }
  return {
    sessions: app.sessions.size,
    queuedToAgent,
    queuedToCarrier,
    droppedToAgent,
    droppedToCarrier,
    agentBuffered,
    agentDroppedFrames,
  };
}

const ready: DaemonReady = { port: config.port, publicUrl, pid: process.pid };
serveParent(ready, {
  clock: () => epochMs(),
  sample: (body) => ({
    ...probe.sample((body ?? {}) as { gc?: boolean; reset?: boolean }),
    media: mediaState(),
  }),
  /** Hands over the control-path counters collected since the last call, and starts new ones. */
  counters: () => {
    const out = {
      ...matchRestByCall(counters),
      ...(attributionOn() ? { restMatchCheck: restMatchCheck(counters) } : {}),
    };
    counters = newCounters();
    return out;
  },
  /** The sessions still open and their calls' records: what a ladder that waits for none left shows. */
  'open-sessions': async () =>
    Promise.all(
      app.sessions.ids().map(async (callId) => {
        const stored = await store.calls.get(callId).catch(() => undefined);
        const record = stored?.record;
        return {
          callId,
          phase: record?.phase,
          endedReason: record?.endedReason,
          version: stored?.version,
          timeline: record?.timeline.slice(-4).map((e) => e.event),
        };
      }),
    ),
  /** Attribution of Redis commands and REST requests to dispatches on or off (lib/instrument.ts). */
  attribution: (body) => setAttribution((body as { on: boolean }).on),
  'profile-start': () => profiler.start(),
  'profile-stop': (body) => profiler.stop((body as { file: string }).file),
  'heap-start': () => heap.start(),
  'heap-stop': () => heap.stop(),
  stop: async () => {
    await app.close();
  },
});
