/**
 * What the LiveKit transport needs from LiveKit, and nothing more: the server API (rooms) and one
 * room participant (audio, RPC, data, attributes, DTMF). The real port (rtc-port.ts) is
 * `@livekit/rtc-node` and `livekit-server-sdk`, loaded only when a LiveKit agent is used; the
 * transport's logic (wire.ts) is tested with this port faked.
 */

/** A room to create for one call. */
export interface LivekitRoomSpec {
  /** `${roomPrefix}${callId}`: never a phone number. */
  readonly name: string;
  /** Dispatch this agent into the room (LiveKit Agents' `agentName`), with `metadata`. */
  readonly dispatch?: { readonly agentName: string; readonly metadata: string };
  /** The room's own metadata (the same JSON as the dispatch's). */
  readonly metadata: string;
  /** Seconds an empty room lives (the server's `emptyTimeout`): a room left behind goes by itself. */
  readonly emptyTimeoutSec: number;
}

/** How the daemon joins a room. */
export interface LivekitJoin {
  readonly roomName: string;
  readonly identity: string;
  /** Display name of the daemon's participant. */
  readonly name: string;
  /** The rate of the caller's published track and of the agent's audio as received, in Hz. */
  readonly sampleRate: number;
  /** Attributes the participant joins with. */
  readonly attributes: Readonly<Record<string, string>>;
}

/** A participant of the room other than the daemon. */
export interface LivekitParticipant {
  readonly identity: string;
  /** A LiveKit Agents participant (`ParticipantKind.AGENT`). */
  readonly isAgent: boolean;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Why a participant or the daemon left the room. `normal`: it said so (a client-initiated leave;
 * for the daemon: its room deleted or it was removed). `replaced`: the daemon only — another
 * worker joined with its identity (a call handed over).
 */
export type LivekitLeave = 'normal' | 'abnormal' | 'replaced';

/** An RPC call to one of the daemon's methods. */
export interface LivekitRpcCall {
  readonly callerIdentity: string;
  readonly payload: string;
  /** How long the caller waits for the answer, in ms. */
  readonly responseTimeoutMs: number;
}

/**
 * An RPC failure, in terms both sides share: thrown by a method handler (the port answers it as
 * an `RpcError`), and raised by {@link LivekitRoom.performRpc} when the callee answered one.
 */
export class LivekitRpcFailure extends Error {
  /** LiveKit's `RpcError` code: 1500 application error, 1400 unsupported method, 150x timeouts. */
  readonly code: number;
  /** Our JSON `{ code, message }` for application errors. */
  readonly data: string | undefined;

  constructor(code: number, message: string, data?: string) {
    super(message);
    this.name = 'LivekitRpcFailure';
    this.code = code;
    this.data = data;
  }
}

/** LiveKit's `RpcError.ErrorCode` values the transport uses. */
export const RPC_APPLICATION_ERROR = 1500;
export const RPC_UNSUPPORTED_METHOD = 1400;

/** What the room reports. Called only between `connect` resolving and `disconnect`. */
export interface LivekitRoomEvents {
  participantJoined(participant: LivekitParticipant): void;
  participantLeft(identity: string, leave: LivekitLeave): void;
  attributesChanged(identity: string, attributes: Readonly<Record<string, string>>): void;
  /** A remote participant subscribed to the daemon's track: the agent can hear the caller. */
  callerTrackSubscribed(): void;
  /** Mono PCM16 samples of a participant's audio track, at the join's sample rate. */
  audio(identity: string, samples: Int16Array): void;
  /** A data packet. */
  data(identity: string, topic: string, payload: Uint8Array): void;
  /** A text stream opened by `identity` on `topic` (LiveKit Agents: `lk.transcription`); chunks as they come. */
  textStream(identity: string, topic: string, chunks: AsyncIterable<string>): void;
  /** The signalling or media connection dropped; the room is getting it back. */
  reconnecting(): void;
  reconnected(): void;
  /** The daemon is out of the room for good (not by {@link LivekitRoom.disconnect}). */
  disconnected(leave: LivekitLeave): void;
}

/** The daemon's participant in one room. */
export interface LivekitRoom {
  readonly identity: string;
  readonly participants: () => readonly LivekitParticipant[];
  /** Queues mono PCM16 at the join's rate on the caller track; resolves once queued. */
  captureAudio(samples: Int16Array): Promise<void>;
  /** Drops caller audio queued and not yet sent. */
  clearAudio(): void;
  publishData(payload: Uint8Array, topic: string): Promise<void>;
  setAttributes(attributes: Readonly<Record<string, string>>): Promise<void>;
  /** A DTMF key: `code` is its RFC 4733 event number (0–9, `*` 10, `#` 11). */
  publishDtmf(code: number, digit: string): Promise<void>;
  /** A method other participants may call. The handler's {@link LivekitRpcFailure} is its `RpcError`. */
  registerRpc(method: string, handler: (call: LivekitRpcCall) => Promise<string>): void;
  /** Calls a participant's method; rejects with a {@link LivekitRpcFailure}. */
  performRpc(identity: string, method: string, payload: string, timeoutMs: number): Promise<string>;
  disconnect(): Promise<void>;
}

/** The LiveKit server and its rooms. */
export interface LivekitPort {
  /** Creates the room (idempotent on LiveKit: an existing room is returned as is). */
  createRoom(spec: LivekitRoomSpec): Promise<void>;
  deleteRoom(name: string): Promise<void>;
  /** Joins with a short-lived token; resolves once connected and the caller track is published. */
  connect(join: LivekitJoin, events: LivekitRoomEvents): Promise<LivekitRoom>;
}
