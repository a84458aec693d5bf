/**
 * What one call looked like from outside the daemon: the simulator's own record (legs with their
 * ends, what each party heard, the REST requests it received and the callbacks it delivered),
 * what the scripted agent received, and — only to compare with what the parties did — the
 * daemon's call record. Plain data on one clock (epoch ms), so `checkInvariants` is a pure
 * function and a failing run can be printed whole.
 */

/** How a leg ended at the carrier (sim/leg.ts). */
export interface LegEndSeen {
  readonly status: string;
  /** `endpoint`: the party hung up (or was busy, or declined); `network`: the carrier ended it. */
  readonly by: string;
  readonly atMs: number;
}

/** A run of audio one party heard from one source on one leg (sim/heard.ts). */
export interface HeardSpan {
  /** `stream:…`, `party:<leg>`, `hold`, `ringback`, `say`, `play`, `beep`. */
  readonly source: string;
  /** The carrier id of the leg that heard it. */
  readonly leg: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Stream audio that is not a voice: `silence` (nothing) or `quiet` (comfort noise) (sim/heard.ts). */
  readonly level?: 'silence' | 'quiet';
}

export interface LegSeen {
  /** The carrier's id of the leg (`CA…`, a CallUUID…). */
  readonly sid: string;
  readonly createdAtMs: number;
  readonly answeredAtMs?: number;
  /** Absent: the leg was still up when the observation was taken. */
  readonly end?: LegEndSeen;
}

export interface HumanSeen {
  readonly address: string;
  /** Every leg the carrier dialed to this address, oldest first. */
  readonly legs: readonly LegSeen[];
  readonly heard: readonly HeardSpan[];
}

/** A REST request the carrier received. */
export interface RestSeen {
  /** When the request reached the carrier, which acted on it then. */
  readonly atMs: number;
  /** When the carrier answered it: later than `atMs` when the answer was slow (`rest.slow`). */
  readonly answeredAtMs: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** A request the carrier made to the daemon, with the call it was about. */
export interface CallbackSeen {
  readonly atMs: number;
  readonly kind: string;
  readonly callSid: string;
  /** The daemon's HTTP answer (absent: no answer, e.g. a timeout). */
  readonly status?: number;
}

/**
 * One thing the agent received, in socket order. Control frames keep the fields the invariants
 * read; caller audio is cut into 20 ms frames, each named by its position in what the caller
 * said (`-1`: not the caller's audio, e.g. silence).
 */
export type AgentFrameSeen =
  | { readonly event: 'media'; readonly atMs: number; readonly frame: number }
  | {
      readonly event: 'transfer_status';
      readonly atMs: number;
      readonly transferId: string;
      readonly status: string;
      readonly destination?: string;
    }
  | { readonly event: 'resume'; readonly atMs: number; readonly transferId: string; readonly outcome: string }
  | { readonly event: 'start' | 'stop' | 'other'; readonly atMs: number };

export interface AgentSessionSeen {
  /** The `role` its `start` named (`briefing`: an agentic briefing of the human); absent for the call's own. */
  readonly role?: string;
  readonly frames: readonly AgentFrameSeen[];
  /** The socket's close code; absent while it is open. */
  readonly closeCode?: number;
  /** When the socket closed (absent: still open when observed). */
  readonly closedAtMs?: number;
}

/** One frame the caller said (it went to the carrier), by position in the caller's audio. */
export interface SaidFrame {
  readonly atMs: number;
  readonly frame: number;
}

export interface TransferSeen {
  readonly transferId: string;
  readonly startedAtMs: number;
  readonly endedAtMs?: number;
  readonly outcome?: string;
  /** The record does not know whether the caller was bridged to the human (Exotel's whisper). */
  readonly bridge?: 'unconfirmed';
}

/** The daemon's record of the call, reduced to what is compared with the parties. */
export interface RecordSeen {
  readonly phase: string;
  readonly endedReason?: string;
  readonly transfers: readonly TransferSeen[];
  /** Transfer requests refused (never transfers; told to the agent on `{callId}.refused`). */
  readonly refusals?: number;
}

export interface Observation {
  /** What was run (scenario name and seed), for messages. */
  readonly label: string;
  readonly caller: {
    readonly sid: string;
    readonly answeredAtMs?: number;
    readonly end?: LegEndSeen;
    readonly heard: readonly HeardSpan[];
    /** Every frame the caller said while its call was up, in order. */
    readonly said: readonly SaidFrame[];
    /** Position (in what the caller said) of the first frame the carrier's first stream sent. */
    readonly firstStreamFrame?: number;
    /**
     * When the carrier had a media stream of the call open (from its `start` to its end), on the
     * simulator's clock. Absent: not known (every frame counts as streamed).
     */
    readonly streams?: readonly { readonly fromMs: number; readonly toMs: number }[];
  };
  readonly humans: readonly HumanSeen[];
  /** REST requests about this call or its humans' legs. */
  readonly rest: readonly RestSeen[];
  /** Callbacks about this call or its humans' legs. */
  readonly callbacks: readonly CallbackSeen[];
  /** The agent's sessions for this call, in the order they opened. */
  readonly agent: readonly AgentSessionSeen[];
  /** Absent: the daemon has no record of the call. */
  readonly record?: RecordSeen;
  /**
   * When the world broke the daemon on purpose while the call ran (the soak: a worker SIGKILLed
   * or SIGTERMed, Redis restarted), from the fault to the moment it was over (the worker back,
   * Redis answering), on the simulator's clock. The audio invariants allow for them (bounds.ts).
   */
  readonly outages?: readonly { readonly fromMs: number; readonly toMs: number }[];
  /**
   * Silence the scenario itself puts on the AI, added to the dead-air bound: a silence-triggered
   * transfer waits for the AI and the caller to be quiet for the no-response timeout, once, and
   * again after an agent socket that dropped is reopened.
   */
  readonly quietByDesignMs?: number;
}
