import type { Log } from '../../log.js';
import type { Timers } from '../../media/clock.js';
import type { TransferStatus } from '../../transfer/machine-types.js';
import { type DaemonControl, type ToolResult, toolArguments } from '../control-events.js';
import type { AgentControlEvent } from '../events.js';
import { errorSummary } from './audio.js';
import {
  type LivekitRoom,
  type LivekitRpcCall,
  LivekitRpcFailure,
  RPC_APPLICATION_ERROR,
  RPC_UNSUPPORTED_METHOD,
} from './port.js';
import {
  parseHangupPayload,
  parseSummaryAnswer,
  parseToolCallPayload,
  parseTransferPayload,
  RPC_HANGUP,
  RPC_SUMMARIZE,
  RPC_TOOL_CALL,
  RPC_TRANSFER,
} from './protocol.js';

/** However long the caller says it waits, an RPC is answered within this, in ms. */
const MAX_ANSWER_WAIT_MS = 15_000;
/** Answered this much before the caller's own response timeout, so the answer still reaches it, in ms. */
const ANSWER_MARGIN_MS = 250;
/** Requests waiting for their answer at once (a misbehaving agent cannot grow this). */
const MAX_PENDING = 32;

export interface LivekitRpcsOptions {
  /** Hands an event to the runtime; `false` when the link is not open (the RPC is refused). */
  readonly control: (event: AgentControlEvent) => boolean;
  /** Only the room's agent may call the daemon's methods. */
  readonly isAgent: (identity: string) => boolean;
  readonly timers: Timers;
  readonly log: Log;
}

interface Pending {
  readonly settle: (result: ToolResult) => void;
}

/**
 * The daemon's RPC methods (docs/livekit.md): `patchthrough.transfer` (the WebSocket `transfer`
 * event's body), `patchthrough.tool_call` (`{ id?, name, arguments? }`) and `patchthrough.hangup`
 * (`{ reason? }`). A transfer or tool call becomes the runtime's event with a request id, and the
 * runtime's `tool_result` for that id is the RPC's answer: `{ transferId, status }` for a transfer,
 * or an `RpcError` (1500) whose message is our error code and whose data is `{ code, message }`.
 * And the agent's method the daemon calls for a summary, `patchthrough.summarize` (the other it
 * calls, `patchthrough.leaving`, is the wire's: wire.ts #flush).
 */
export class LivekitRpcs {
  readonly #o: LivekitRpcsOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #statuses = new Map<string, TransferStatus>();
  #seq = 0;
  #closed = false;

  constructor(options: LivekitRpcsOptions) {
    this.#o = options;
  }

  register(room: LivekitRoom): void {
    room.registerRpc(RPC_TRANSFER, (call) => this.#transfer(call));
    room.registerRpc(RPC_TOOL_CALL, (call) => this.#toolCall(call));
    room.registerRpc(RPC_HANGUP, (call) => this.#hangup(call));
  }

  /** A `tool_result` answering a pending RPC: settles it and returns true. */
  answer(message: Extract<DaemonControl, { event: 'tool_result' }>): boolean {
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return false;
    this.#pending.delete(message.id);
    const { event: _event, id: _id, ...result } = message;
    pending.settle(result);
    return true;
  }

  /** The latest status of each transfer, for the `status` of an RPC's answer. */
  noteStatus(transferId: string, status: TransferStatus): void {
    this.#statuses.set(transferId, status);
  }

  /** The call is over: pending RPCs are answered `call_ended`. */
  close(): void {
    this.#closed = true;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending)
      p.settle({ ok: false, error: { code: 'call_ended', message: 'the call has ended' } });
  }

  /**
   * Asks the agent for the whisper summary. An agent without the method answers `''` (no summary:
   * the whisper's template is spoken at once instead of after the summary timeout).
   */
  async summarize(room: LivekitRoom, agent: string, transferId: string, timeoutMs: number): Promise<string> {
    try {
      const answer = await room.performRpc(
        agent,
        RPC_SUMMARIZE,
        JSON.stringify({ transferId, timeoutMs }),
        Math.max(500, timeoutMs),
      );
      return parseSummaryAnswer(answer) ?? '';
    } catch (err) {
      if (err instanceof LivekitRpcFailure && err.code === RPC_UNSUPPORTED_METHOD) return '';
      throw err;
    }
  }

  async #transfer(call: LivekitRpcCall): Promise<string> {
    this.#admit(call);
    const parsed = parseTransferPayload(call.payload);
    if (!parsed.ok) throw failure('invalid_request', parsed.message);
    const { event: _event, ...request } = parsed.value;
    const id = this.#nextId();
    const result = await this.#ask(id, call, { type: 'agent.transfer', requestId: id, ...request });
    return JSON.stringify(this.#withStatus(result));
  }

  async #toolCall(call: LivekitRpcCall): Promise<string> {
    this.#admit(call);
    const parsed = parseToolCallPayload(call.payload, this.#nextId());
    if (!parsed.ok) throw failure('invalid_request', parsed.message);
    const { id, name } = parsed.value;
    if (this.#pending.has(id)) throw failure('invalid_request', 'id: a tool call with this id is pending');
    const result = await this.#ask(id, call, {
      type: 'agent.tool_call',
      id,
      name,
      args: toolArguments(parsed.value.arguments),
    });
    return JSON.stringify(this.#withStatus(result));
  }

  async #hangup(call: LivekitRpcCall): Promise<string> {
    this.#admit(call);
    const parsed = parseHangupPayload(call.payload);
    if (!parsed.ok) throw failure('invalid_request', parsed.message);
    const reason = parsed.value.reason;
    const event: AgentControlEvent =
      reason === undefined
        ? { type: 'agent.hangup', via: 'event' }
        : { type: 'agent.hangup', via: 'event', reason };
    if (!this.#o.control(event)) throw failure('agent_not_connected', 'the call is not with this agent now');
    return JSON.stringify({ ok: true });
  }

  #admit(call: LivekitRpcCall): void {
    if (this.#closed) throw failure('call_ended', 'the call has ended');
    if (!this.#o.isAgent(call.callerIdentity)) {
      throw failure('not_allowed', 'only the agent of this call may call this method');
    }
    if (this.#pending.size >= MAX_PENDING) throw failure('too_many_requests', 'too many requests pending');
  }

  /** Hands `event` to the runtime and waits for its `tool_result` (bounded by the caller's timeout). */
  #ask(id: string, call: LivekitRpcCall, event: AgentControlEvent): Promise<unknown> {
    const waitMs = Math.max(0, Math.min(call.responseTimeoutMs - ANSWER_MARGIN_MS, MAX_ANSWER_WAIT_MS));
    return new Promise<unknown>((resolve, reject) => {
      const timer = this.#o.timers.setTimeout(() => {
        if (this.#pending.get(id) !== pending) return;
        this.#pending.delete(id);
        this.#o.log.warn({ requestId: id }, 'agent.livekit_rpc_timeout');
        reject(failure('timeout', 'no answer in time; the request may still be carried out'));
      }, waitMs);
      const pending: Pending = {
        settle: (result) => {
          this.#o.timers.clearTimeout(timer);
          if (result.ok) resolve(result.result);
          else reject(failure(result.error.code, result.error.message));
        },
      };
      // Registered before the event goes: the runtime may answer while it is handed over.
      this.#pending.set(id, pending);
      let accepted = false;
      try {
        accepted = this.#o.control(event);
      } catch (err) {
        this.#o.log.warn({ err: errorSummary(err) }, 'agent.listener_error');
      }
      if (!accepted && this.#pending.get(id) === pending) {
        this.#pending.delete(id);
        this.#o.timers.clearTimeout(timer);
        reject(failure('agent_not_connected', 'the call is not with this agent now'));
      }
    });
  }

  /** A transfer's answer: `{ transferId, status }` (the latest status sent for it, else `started`). */
  #withStatus(result: unknown): unknown {
    if (typeof result !== 'object' || result === null) return result;
    const transferId = (result as { transferId?: unknown }).transferId;
    if (typeof transferId !== 'string') return result;
    return { ...result, transferId, status: this.#statuses.get(transferId) ?? 'started' };
  }

  #nextId(): string {
    this.#seq += 1;
    return `rpc-${this.#seq}`;
  }
}

/** Our error code as LiveKit's application error: message the code, data `{ code, message }`. */
function failure(code: string, message: string): LivekitRpcFailure {
  return new LivekitRpcFailure(RPC_APPLICATION_ERROR, code, JSON.stringify({ code, message }));
}
