import type { Log } from '../log.js';
import type { SessionRegistry } from '../runtime/sessions.js';

/**
 * What a worker must offer to be drained. The App provides it (see {@link appDrainTarget}).
 */
export interface DrainTarget {
  /** Readiness goes false and new calls are refused; everything else keeps working. */
  beginDrain(): void;
  /** Calls whose media this worker holds. */
  liveCalls(): readonly string[];
  /** Whether the call's carrier media socket is still open on this worker. */
  streaming(callId: string): boolean;
  /**
   * Closes the call's carrier media socket. The carrier then runs the continuation that ends
   * every stream document (Twilio `<Redirect>`, DESIGN.md invariant 1): any ready worker answers
   * it from the call's record in the store and the caller is back with the agent.
   */
  handBack(callId: string): void;
  /** Ordered shutdown: stop listening, timers, registry, sessions, then the store. */
  close(): Promise<void>;
}

export interface DrainOptions {
  /** `DRAIN_TIMEOUT_MS`: everything is over by then (then the store closes). */
  readonly timeoutMs: number;
  /**
   * Streams still open this long before the deadline are handed back to the carrier. Default
   * `min(5000, timeoutMs / 2)`: calls get most of the time to finish by themselves.
   */
  readonly handBackMs?: number;
  /** How often live calls are checked, ms. Default 100. */
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: Log;
}

export interface DrainReport {
  /** Live calls when the drain began. */
  readonly liveAtStart: number;
  /** Calls whose stream was handed back to the carrier's continuation. */
  readonly handedBack: number;
  /** Streams still open when the deadline came (closed by `close()`). */
  readonly stillStreaming: number;
  readonly durationMs: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM (STYLE.md 16): readiness false and no new calls → let live calls finish → hand the
 * remaining streams back to the carrier's continuation → close (stop accepting, timers, store).
 * Never throws from the drain itself; `close()` errors propagate.
 */
export async function drainAndClose(target: DrainTarget, options: DrainOptions): Promise<DrainReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? 100;
  const startMs = now();
  const deadline = startMs + options.timeoutMs;
  const handBackAt = deadline - (options.handBackMs ?? Math.min(5_000, options.timeoutMs / 2));

  target.beginDrain();
  const liveAtStart = target.liveCalls().length;
  options.log?.info({ liveCalls: liveAtStart, timeoutMs: options.timeoutMs }, 'drain.started');

  while (target.liveCalls().length > 0 && now() < handBackAt) await sleep(pollMs);

  // Hand back every open stream (again for a stream that joined meanwhile), then wait for the
  // sockets to close, until none is left or the deadline comes.
  const handed = new Set<string>();
  const streamingNow = (): string[] => target.liveCalls().filter((id) => target.streaming(id));
  for (;;) {
    const open = streamingNow();
    if (open.length === 0) break;
    for (const callId of open) {
      if (handed.has(callId)) continue;
      handed.add(callId);
      target.handBack(callId);
    }
    if (now() >= deadline) break;
    await sleep(Math.max(1, Math.min(pollMs, deadline - now())));
  }
  const handedBack = handed.size;
  const stillStreaming = streamingNow().length;
  options.log?.info({ handedBack, stillStreaming }, 'drain.calls_released');
  await target.close();
  const report = { liveAtStart, handedBack, stillStreaming, durationMs: now() - startMs };
  options.log?.info(report, 'drain.done');
  return report;
}

/** The parts of the App a drain uses. */
export interface DrainableApp {
  drain(): void;
  readonly sessions: SessionRegistry;
  close(): Promise<void>;
}

/** {@link DrainTarget} over the App: its draining flag, its local sessions, its ordered close. */
export function appDrainTarget(app: DrainableApp): DrainTarget {
  return {
    beginDrain: () => app.drain(),
    liveCalls: () => app.sessions.ids(),
    streaming: (callId) => app.sessions.get(callId)?.closeCarrier !== undefined,
    handBack: (callId) => app.sessions.get(callId)?.closeCarrier?.(),
    close: () => app.close(),
  };
}
