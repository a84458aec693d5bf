import { backgroundTime, every, type Timers } from '../lib/time.js';
import type {
  CallStore,
  PubSub,
  SocketStore,
  StoredCall,
  WorkerInfo,
  WorkerRegistryStore,
} from '../store/types.js';

/** The parts of a `Store` the worker registry uses. */
export interface WorkersStore {
  readonly workers: WorkerRegistryStore;
  readonly sockets: SocketStore;
  readonly pubsub: PubSub;
  readonly calls: Pick<CallStore<object>, 'listActive'>;
}

/** Options of `Workers`. Every duration is in ms. */
export interface WorkersOptions {
  readonly store: WorkersStore;
  /** Unique per process, e.g. `${hostname}:${pid}:${random}`. */
  readonly workerId: string;
  /** Between two heartbeats. Default 5 000. */
  readonly heartbeatIntervalMs?: number;
  /** A worker missing heartbeats this long counts as dead. Default 15 000 (three beats). */
  readonly heartbeatTtlMs?: number;
  /** Wall clock, epoch ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Where heartbeats are timed. Default the system's (never keeping the process alive). */
  readonly timers?: Timers;
  /** Extra facts published with each heartbeat (calls held, version). */
  readonly meta?: () => Readonly<Record<string, string | number>>;
  /** A heartbeat that failed (the next one will try again). */
  readonly onError?: (err: unknown) => void;
}

/** Who holds a call's media socket, and whether that worker still beats. */
export interface SocketOwner {
  readonly workerId: string;
  /**
   * False when the holder stopped heartbeating: commands to it go nowhere, so the caller falls
   * back to the carrier-level continuation (DESIGN.md invariant 1).
   */
  readonly alive: boolean;
}

const commandChannel = (workerId: string): string => `cmd:${workerId}`;

/**
 * This worker's place among the others: heartbeats in the registry, ownership of media
 * sockets, and commands addressed to the worker holding a socket (Redis pub/sub, or an
 * in-process emitter on the memory store). `M` is the command message type (JSON).
 */
export class Workers<M = unknown> {
  readonly workerId: string;
  readonly sockets: {
    /** This worker now holds the call's socket; returns the previous holder, if any. */
    claim(callId: string): Promise<string | null>;
    owner(callId: string): Promise<SocketOwner | null>;
    /** The worker holding the call's socket, without asking whether it is alive (one read). */
    holder(callId: string): Promise<string | null>;
    /** Gives the socket up, unless another worker took it meanwhile. */
    release(callId: string): Promise<boolean>;
  };
  readonly commands: {
    /**
     * Sends a command to the worker holding a socket. Resolves false when nobody listened (the
     * worker is gone): the caller falls back to the carrier. Delivery is at most once.
     */
    publish(workerId: string, message: M): Promise<boolean>;
    /**
     * Listens for commands to `workerId` (normally this worker's own id); `onBack` as
     * `PubSub.subscribe`'s (commands published while the connection was lost reached nobody).
     */
    subscribe(
      workerId: string,
      handler: (message: M) => void,
      onBack?: () => void,
    ): Promise<() => Promise<void>>;
  };

  readonly #store: WorkersStore;
  readonly #intervalMs: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #meta: () => Readonly<Record<string, string | number>>;
  readonly #onError: (err: unknown) => void;
  #startedAtMs = 0;
  #stopBeating: (() => void) | undefined;

  constructor(options: WorkersOptions) {
    this.workerId = options.workerId;
    this.#store = options.store;
    this.#intervalMs = options.heartbeatIntervalMs ?? 5_000;
    this.#ttlMs = options.heartbeatTtlMs ?? 15_000;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? backgroundTime;
    this.#meta = options.meta ?? (() => ({}));
    this.#onError = options.onError ?? (() => undefined);
    const store = this.#store;
    this.sockets = {
      claim: (callId) => store.sockets.claim(callId, this.workerId),
      owner: async (callId) => {
        const workerId = await store.sockets.owner(callId);
        if (workerId === null) return null;
        return { workerId, alive: await store.workers.isAlive(workerId) };
      },
      holder: (callId) => store.sockets.owner(callId),
      release: (callId) => store.sockets.release(callId, this.workerId),
    };
    this.commands = {
      publish: async (workerId, message) =>
        (await store.pubsub.publish(commandChannel(workerId), JSON.stringify(message))) > 0,
      subscribe: (workerId, handler, onBack) =>
        store.pubsub.subscribe(
          commandChannel(workerId),
          (raw) => {
            let message: M;
            try {
              message = JSON.parse(raw) as M;
            } catch {
              return; // not ours: every command is JSON (the handler checks its shape)
            }
            handler(message);
          },
          onBack,
        ),
    };
  }

  /** Registers this worker (first heartbeat, awaited) and keeps beating until `stop()`. */
  async start(): Promise<void> {
    this.#startedAtMs = this.#now();
    await this.beat();
    this.#stopBeating ??= every(this.#timers, this.#intervalMs, () => {
      this.beat().catch((err: unknown) => this.#onError(err));
    });
  }

  /** One heartbeat now. */
  async beat(): Promise<void> {
    const info: WorkerInfo = {
      workerId: this.workerId,
      startedAtMs: this.#startedAtMs === 0 ? this.#now() : this.#startedAtMs,
      lastBeatMs: this.#now(),
      meta: this.#meta(),
    };
    await this.#store.workers.heartbeat(info, this.#ttlMs);
  }

  /** Stops beating and leaves the registry (shutdown: after calls were drained). */
  async stop(): Promise<void> {
    this.#stopBeating?.();
    this.#stopBeating = undefined;
    await this.#store.workers.remove(this.workerId);
  }

  /** Live workers. */
  list(): Promise<readonly WorkerInfo[]> {
    return this.#store.workers.list();
  }

  isAlive(workerId: string): Promise<boolean> {
    return this.#store.workers.isAlive(workerId);
  }

  /** Calls not ended, for the status CLI. */
  listActiveCalls(limit?: number): Promise<readonly StoredCall<object>[]> {
    return this.#store.calls.listActive(limit === undefined ? undefined : { limit });
  }
}
