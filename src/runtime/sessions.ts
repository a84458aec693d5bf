import type { AgentCloseReason, AgentTransport } from '../agent/transport.js';
import type { Log } from '../log.js';
import type { MediaBridge } from '../media/bridge.js';
import type { TransferTagScanner } from '../transfer/tags.js';
import type { CallInput } from './call-reducer.js';
import type { PendingResume } from './socket-commands.js';

/**
 * The live parts of a call held by this worker: the agent transport, the media bridge and the
 * `[TRANSFER:…]` scanner. They outlive one carrier stream: a caller who comes back from a
 * failed transfer gets a new stream joined to the same agent transport, so the conversation goes on.
 */
/**
 * How long a caller's stream may be gone while they belong with the AI before the carrier is
 * asked about the call (and a live caller moved back to the AI), ms: a stream that closed by
 * itself, or a caller the AI was resumed for whose stream has not come back.
 */
export const STREAM_LOST_GRACE_MS = 2_000;

export interface LocalSession {
  readonly callId: string;
  readonly agent: AgentTransport;
  readonly bridge: MediaBridge;
  readonly scanner: TransferTagScanner;
  /** Closes the carrier stream socket currently joined, if any. */
  closeCarrier?: () => void;
  /**
   * Runs once the caller's next stream has joined: `resume` is only worth telling the agent
   * when the caller can hear it again (otherwise its first words fall into the gap).
   */
  onCallerBack?: () => void;
  /** What `onCallerBack` will tell the agent: handed to the next worker with the session. */
  pendingResume?: PendingResume;
  /** Transfers whose `resume` this session has told the agent (never twice). */
  readonly resumed?: Set<string>;
  /** Terminal `transfer_status`es this session has told the agent, as `transferId|status` (never twice). */
  readonly statusesTold?: Set<string>;
  /** Stops this session's own timers (the silence watch). */
  stopTimers?: () => void;
  /** Waiting for the agent's `said`, by transfer id (its caller message has been sent as audio). */
  said?: Map<string, () => void>;
}

/**
 * Tells the agent `resume` for a transfer, once per session, with the caller's audio flowing to
 * it again, and records that it was told (`agent.resumed`), so no other worker or stream tells it
 * again and none leaves it owed.
 */
export function tellResume(
  session: LocalSession,
  resume: PendingResume,
  record: (input: CallInput) => Promise<unknown>,
  log: Log,
): void {
  if (session.resumed?.has(resume.transferId) === true) return;
  session.resumed?.add(resume.transferId);
  session.bridge.resumeAgentAudio();
  session.agent.sendResume(resume.transferId, resume.outcome, resume.carrierCode);
  record({ type: 'agent.resumed', transferId: resume.transferId }).catch((err: unknown) =>
    log.warn(
      { callId: session.callId, err: err instanceof Error ? err.message : String(err) },
      'agent.resumed_unrecorded',
    ),
  );
}

/**
 * Whether this is the first time the session tells the agent `status` of `transferId` (then it is
 * noted as told): a terminal status reaches a session more than once when a guard's retry
 * (effect-guards.ts) or an owed `resume` (media-sessions.ts) brings it again, and is told once.
 */
export function firstTelling(session: LocalSession, transferId: string, status: string): boolean {
  const key = `${transferId}|${status}`;
  if (session.statusesTold?.has(key) === true) return false;
  session.statusesTold?.add(key);
  return true;
}

/** Ends a session's local parts: timers, bridge, carrier socket, then the agent transport. */
export async function closeSession(session: LocalSession, reason: AgentCloseReason): Promise<void> {
  session.stopTimers?.();
  session.bridge.close();
  session.closeCarrier?.();
  await session.agent.close(reason);
}

/**
 * Takes a session off this worker as its transfer connects (`agent.detach`): its timers and
 * bridge stop now, and its agent socket closes in the background — noted as closing, so `isClosing`
 * says so and a stopping worker's `closed()` waits for it. Not awaited: a socket reconnecting when
 * the transfer connected opens again to be told `connected` (agent-link.ts), which may take up to
 * its connect timeout, and even an open one waits for the agent's close frame; neither may hold up
 * the effects after it, nor the webhook that led to them. A close that fails goes to `failed`.
 */
export function detachSession(
  sessions: SessionRegistry,
  session: LocalSession,
  reason: AgentCloseReason,
  failed: (err: unknown) => void,
): void {
  if (sessions.get(session.callId) === session) sessions.delete(session.callId);
  session.stopTimers?.();
  session.bridge.close();
  sessions.closing(session.callId, session.agent.close(reason)).catch(failed);
}

/**
 * Ends the call's session held here, if any: the agent gets `stop` and a normal close with
 * `reason` (the call's end, `call.finished`: `call ended`). False when no session was held here.
 * The close is noted as closing (a stopping worker's `closed()` waits for it) and not awaited:
 * it waits for the agent's close frame (up to the wire's close timeout for an agent that stopped
 * reading) or, for a socket reconnecting with an outcome owed, up to its connect timeout, and
 * the carrier's webhook that told of the call's end must not wait for either. A close that
 * fails goes to `failed`.
 */
export function endSession(
  sessions: SessionRegistry,
  callId: string,
  failed: (err: unknown) => void,
  reason: AgentCloseReason = 'call ended',
): boolean {
  const ended = sessions.delete(callId);
  if (ended === undefined) return false;
  sessions.closing(callId, closeSession(ended, reason)).catch(failed);
  return true;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, LocalSession>();
  /**
   * Sessions ended and still closing: an agent socket that was reconnecting when its call ended
   * reconnects once to be told what it is owed before it closes (agent-link.ts).
   */
  readonly #closing = new Map<string, Promise<void>>();

  get(callId: string): LocalSession | undefined {
    return this.#sessions.get(callId);
  }

  set(session: LocalSession): void {
    this.#sessions.set(session.callId, session);
  }

  delete(callId: string): LocalSession | undefined {
    const s = this.#sessions.get(callId);
    this.#sessions.delete(callId);
    return s;
  }

  get size(): number {
    return this.#sessions.size;
  }

  ids(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Notes `callId`'s ended session as closing until `closed` settles, and returns `closed`. */
  closing(callId: string, closed: Promise<void>): Promise<void> {
    // A call can have two sessions closing (one detached as its transfer connected, then one
    // ended with the call): the call is closing until both have closed.
    const before = this.#closing.get(callId);
    const both = before === undefined ? closed : Promise.allSettled([before]).then(() => closed);
    const done = both.finally(() => {
      if (this.#closing.get(callId) === done) this.#closing.delete(callId);
    });
    this.#closing.set(callId, done);
    return done;
  }

  /** Whether `callId`'s session ended and is still closing (its agent not yet told and gone). */
  isClosing(callId: string): boolean {
    return this.#closing.has(callId);
  }

  /** Settles once every session closing now has closed (a stopping worker's last step). */
  async closed(): Promise<void> {
    await Promise.allSettled([...this.#closing.values()]);
  }
}
