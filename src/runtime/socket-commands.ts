import type { TransferOutcome } from '../domain/outcome.js';
import { systemTime, type Timers } from '../lib/time.js';
import type { Log } from '../log.js';
import { KeyedQueue } from '../store/apply-event.js';
import type { CallEffect } from './call-reducer.js';
import { errorSummary } from './executor.js';
import { closeSession, type SessionRegistry } from './sessions.js';
import type { Workers } from './workers.js';

/** A `resume` the agent was not told yet: its caller had not come back to a stream of the owner. */
export interface PendingResume {
  readonly transferId: string;
  readonly outcome: TransferOutcome;
  readonly carrierCode?: string;
}

/** Messages between workers about a call's sockets (Redis pub/sub, `cmd:{workerId}`). */
export type SocketCommand =
  /** Run a socket effect on the worker holding the call's agent socket. */
  | { readonly type: 'effect'; readonly callId: string; readonly effect: CallEffect }
  /** The caller's stream landed on worker `to`: give it the agent session. */
  | { readonly type: 'handover'; readonly callId: string; readonly to: string }
  /**
   * Reply to `handover`: the session is closed here (`held`), with the `resume` still owed and
   * the transfers whose `resume` it told (`resumesTold`; absent from a worker that predates it).
   */
  | {
      readonly type: 'released';
      readonly callId: string;
      readonly held: boolean;
      readonly resume?: PendingResume;
      readonly resumesTold?: readonly string[];
    };

/** What a worker starting a call's agent session learned from the previous holder. */
export interface TakeOver {
  /** The agent had a session for this call: the new socket's `start` says `resumed`. */
  readonly resumed: boolean;
  /** Tell the agent once the caller's stream is joined. */
  readonly resume?: PendingResume;
  /**
   * Transfers whose `resume` the previous session told. The call's record learns it a round trip
   * later (`agent.resumed`), so a stream starting here meanwhile could read it as still owed.
   */
  readonly resumesTold?: readonly string[];
}

export interface SocketCommandsOptions {
  readonly workers: Workers<SocketCommand>;
  readonly sessions: SessionRegistry;
  readonly log: Log;
  /** Runs a relayed socket effect here, where the session is. */
  readonly runHere: (callId: string, effect: CallEffect) => Promise<void>;
  /**
   * Runs now what the call's record still owes its sockets here: a guarded effect relayed while
   * this worker's subscription was down (its guard is still pending), and what the unguarded ones
   * would have done (the call's end, a detach, a `resume`: catch-up.ts). Called for each session
   * held here once the subscription is back.
   */
  readonly catchUp?: (callId: string) => Promise<void>;
  /** Bounded wait for the previous holder's `released`, ms. Default 2 000. */
  readonly handoverWaitMs?: number;
  /** Default the system's. */
  readonly timers?: Timers;
}

/**
 * Socket effects reach the worker holding the call's sockets wherever the event was applied,
 * and a caller's stream that lands on another worker takes the agent session over: the old
 * worker closes its agent socket and passes the `resume` it still owed, and the new one opens
 * the agent socket with `resumed` (the agent protocol's reconnect contract: same `callId`, the
 * agent keeps its conversation). docs/operations.md says why this rather than balancer stickiness.
 */
export class SocketCommands {
  readonly #o: SocketCommandsOptions;
  readonly #queue = new KeyedQueue();
  readonly #waiting = new Map<string, (reply: Extract<SocketCommand, { type: 'released' }>) => void>();
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(options: SocketCommandsOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#o.workers.commands.subscribe(
      this.#o.workers.workerId,
      (message) => this.#receive(message),
      () => this.#back(),
    );
  }

  /**
   * The subscription is back after its connection was lost (a Redis restart): effects relayed
   * here meanwhile reached nobody, and a guarded one would wait for its guard's retry, seconds
   * later, when the call may have ended and its agent is never told (soak seed 36304: a cold
   * transfer's `connected` relayed 1 s after a restart, the call over 2.5 s later), and an
   * unguarded one (`call.finished`) would never come again. Each call held here catches up now,
   * in order with its other commands. The relaying worker does not
   * publish again in the meantime: its next effects would wait on it.
   */
  #back(): void {
    const catchUp = this.#o.catchUp;
    const held = this.#o.sessions.ids();
    this.#o.log.info({ calls: held.length }, 'socket_command.subscription_back');
    if (catchUp === undefined) return;
    for (const callId of held)
      this.#queue
        .run(callId, () => catchUp(callId))
        .catch((err: unknown) =>
          this.#o.log.error({ callId, err: errorSummary(err) }, 'socket_command.catch_up_failed'),
        );
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /**
   * Sends a socket effect to the call's socket owner. False when there is nobody else to send
   * it to (no owner, the owner is this worker or stopped beating, or nobody listened).
   */
  async relay(callId: string, effect: CallEffect): Promise<boolean> {
    const owner = await this.#otherHolder(callId);
    if (owner === null) return false;
    return this.#o.workers.commands.publish(owner, { type: 'effect', callId, effect });
  }

  /**
   * The live worker other than this one holding the call's socket, or null. One Redis read when
   * nobody or this worker holds it (no heartbeat look-up: the answer is null either way).
   */
  async #otherHolder(callId: string): Promise<string | null> {
    const holder = await this.#o.workers.sockets.holder(callId);
    if (holder === null || holder === this.#o.workers.workerId) return null;
    return (await this.#o.workers.isAlive(holder)) ? holder : null;
  }

  /**
   * Before a new agent session for `callId` here: takes the session over from its holder.
   * `holderRead`: the holder as the stream's start already read it (stream-start.ts); read here
   * when not given.
   */
  async takeOver(callId: string, holderRead?: string | null): Promise<TakeOver> {
    const me = this.#o.workers.workerId;
    const holder = holderRead === undefined ? await this.#o.workers.sockets.holder(callId) : holderRead;
    if (holder === null) return { resumed: false };
    // The call's socket was held before, by this worker before a restart or by one that died:
    // nobody to hand over from, but the agent already knows the call (its `start` says `resumed`).
    if (holder === me || !(await this.#o.workers.isAlive(holder))) return { resumed: true };
    const replied = new Promise<Extract<SocketCommand, { type: 'released' }> | null>((resolve) => {
      const timers = this.#o.timers ?? systemTime;
      const timer = timers.setTimeout(() => {
        this.#waiting.delete(callId);
        resolve(null);
      }, this.#o.handoverWaitMs ?? 2_000);
      this.#waiting.set(callId, (reply) => {
        timers.clearTimeout(timer);
        this.#waiting.delete(callId);
        resolve(reply);
      });
    });
    const heard = await this.#o.workers.commands.publish(holder, {
      type: 'handover',
      callId,
      to: me,
    });
    if (!heard) {
      this.#waiting.get(callId)?.({ type: 'released', callId, held: false });
      return { resumed: true };
    }
    const reply = await replied;
    // No answer in time: the holder is alive and had the socket, so the agent knows this call.
    if (reply === null) {
      this.#o.log.warn({ callId, from: holder }, 'session.handover_unanswered');
      return { resumed: true };
    }
    this.#o.log.info({ callId, from: holder, held: reply.held }, 'session.taken_over');
    return {
      resumed: reply.held,
      ...(reply.resume === undefined ? {} : { resume: reply.resume }),
      ...(reply.resumesTold === undefined || reply.resumesTold.length === 0
        ? {}
        : { resumesTold: reply.resumesTold }),
    };
  }

  #receive(message: unknown): void {
    if (!isCommand(message)) {
      this.#o.log.warn('socket_command.invalid');
      return;
    }
    if (message.type === 'released') {
      this.#waiting.get(message.callId)?.(message);
      return;
    }
    // One call's commands in the order they were sent: a relayed `resume` before the handover.
    this.#queue
      .run(message.callId, () =>
        message.type === 'effect' ? this.#o.runHere(message.callId, message.effect) : this.#release(message),
      )
      .catch((err: unknown) =>
        this.#o.log.error({ callId: message.callId, err: errorSummary(err) }, 'socket_command.failed'),
      );
  }

  async #release(message: Extract<SocketCommand, { type: 'handover' }>): Promise<void> {
    const session = this.#o.sessions.delete(message.callId);
    const resume = session?.onCallerBack === undefined ? undefined : session.pendingResume;
    const resumesTold = [...(session?.resumed ?? [])];
    await this.#o.workers.commands.publish(message.to, {
      type: 'released',
      callId: message.callId,
      held: session !== undefined,
      ...(resume === undefined ? {} : { resume }),
      ...(resumesTold.length === 0 ? {} : { resumesTold }),
    });
    if (session !== undefined) await closeSession(session, 'handed over');
  }
}

function isCommand(message: unknown): message is SocketCommand {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  if (typeof m['callId'] !== 'string') return false;
  switch (m['type']) {
    case 'effect':
      return typeof m['effect'] === 'object' && m['effect'] !== null;
    case 'handover':
      return typeof m['to'] === 'string';
    case 'released':
      return (
        typeof m['held'] === 'boolean' &&
        (m['resumesTold'] === undefined ||
          (Array.isArray(m['resumesTold']) && m['resumesTold'].every((id) => typeof id === 'string')))
      );
    default:
      return false;
  }
}
