import type {
  LivekitJoin,
  LivekitLeave,
  LivekitParticipant,
  LivekitPort,
  LivekitRoom,
  LivekitRoomEvents,
  LivekitRoomSpec,
  LivekitRpcCall,
} from '../../../src/agent/livekit/port.js';
import { LivekitRpcFailure, RPC_UNSUPPORTED_METHOD } from '../../../src/agent/livekit/port.js';

/** One data packet or attribute change the daemon made, in order. */
export type FakeRoomAction =
  | { readonly type: 'data'; readonly topic: string; readonly body: unknown }
  | { readonly type: 'attributes'; readonly attributes: Readonly<Record<string, string>> }
  | { readonly type: 'dtmf'; readonly code: number; readonly digit: string };

/**
 * A LiveKit server and room in memory, as the daemon's port sees them: it records what the daemon
 * does (rooms, audio, data, attributes, DTMF) and lets a test play the agent (join, leave, speak,
 * call RPC methods, publish text streams). No media, no network: the transport's logic only.
 */
export class FakeLivekitPort implements LivekitPort {
  readonly created: LivekitRoomSpec[] = [];
  readonly deleted: string[] = [];
  readonly rooms: FakeRoom[] = [];
  /** Fail the next createRoom (the server refused). */
  failCreate = false;
  /** Called with each room the daemon joins, before `connect` resolves (a test's agent joins there). */
  onRoom: ((room: FakeRoom) => void) | undefined;

  async createRoom(spec: LivekitRoomSpec): Promise<void> {
    if (this.failCreate) throw new Error('twirp error: unauthenticated');
    this.created.push(spec);
  }

  async deleteRoom(name: string): Promise<void> {
    this.deleted.push(name);
  }

  async connect(join: LivekitJoin, events: LivekitRoomEvents): Promise<LivekitRoom> {
    const room = new FakeRoom(join, events);
    this.rooms.push(room);
    this.onRoom?.(room);
    return room;
  }

  /** The room of the last connect. */
  get room(): FakeRoom | undefined {
    return this.rooms.at(-1);
  }
}

export class FakeRoom implements LivekitRoom {
  readonly identity: string;
  readonly captured: Int16Array[] = [];
  readonly actions: FakeRoomAction[] = [];
  readonly rpcs = new Map<string, (call: LivekitRpcCall) => Promise<string>>();
  /** The agent's methods the daemon may call (`patchthrough.summarize`). */
  readonly agentMethods = new Map<string, (payload: string) => Promise<string>>();
  readonly present: LivekitParticipant[] = [];
  cleared = 0;
  disconnected = false;
  /**
   * `instant`: what the daemon publishes reaches the agent at once. `queued`: it waits in the
   * order sent (data packets and RPC requests on one reliable, ordered channel) until
   * {@link deliver}, and leaving drops what is still queued — what libwebrtc does with a data
   * channel's send buffer when the peer connection closes.
   */
  network: 'instant' | 'queued' = 'instant';
  /** What the daemon published (data packets, RPC requests) that had not arrived when it left. */
  dropped = 0;
  /** The agent's methods the daemon called, in order (the agent answers unknown ones "unsupported"). */
  readonly rpcCalls: { readonly method: string; readonly payload: string }[] = [];
  #queue: { readonly arrive: () => void; readonly drop: () => void }[] = [];
  /** Called with each chunk of caller audio (a test's agent echoes it). */
  onCapture: ((samples: Int16Array) => void) | undefined;

  constructor(
    readonly join: LivekitJoin,
    readonly events: LivekitRoomEvents,
  ) {
    this.identity = join.identity;
  }

  participants(): readonly LivekitParticipant[] {
    return this.present;
  }

  async captureAudio(samples: Int16Array): Promise<void> {
    this.captured.push(samples);
    this.onCapture?.(samples);
  }

  clearAudio(): void {
    this.cleared += 1;
  }

  /** Handed to LiveKit: resolves at once; arrives now, or at {@link deliver} when queued. */
  async publishData(payload: Uint8Array, topic: string): Promise<void> {
    const arrive = () =>
      this.actions.push({ type: 'data', topic, body: JSON.parse(Buffer.from(payload).toString('utf8')) });
    if (this.network === 'instant') arrive();
    else this.#queue.push({ arrive, drop: () => undefined });
  }

  async setAttributes(attributes: Readonly<Record<string, string>>): Promise<void> {
    this.actions.push({ type: 'attributes', attributes });
  }

  async publishDtmf(code: number, digit: string): Promise<void> {
    this.actions.push({ type: 'dtmf', code, digit });
  }

  registerRpc(method: string, handler: (call: LivekitRpcCall) => Promise<string>): void {
    this.rpcs.set(method, handler);
  }

  async performRpc(_identity: string, method: string, payload: string): Promise<string> {
    if (this.network === 'queued') {
      // The request travels behind what was published before it.
      await new Promise<void>((resolve, reject) =>
        this.#queue.push({
          arrive: resolve,
          drop: () => reject(new LivekitRpcFailure(1503, 'Recipient disconnected')),
        }),
      );
    }
    this.rpcCalls.push({ method, payload });
    const handler = this.agentMethods.get(method);
    if (handler === undefined)
      throw new LivekitRpcFailure(RPC_UNSUPPORTED_METHOD, 'Method not supported at destination');
    return handler(payload);
  }

  async disconnect(): Promise<void> {
    this.disconnected = true;
    const lost = this.#queue.splice(0);
    this.dropped += lost.length;
    for (const q of lost) q.drop();
  }

  /** The network carries what the daemon published, in order (`queued`). */
  deliver(): void {
    for (const q of this.#queue.splice(0)) q.arrive();
  }

  // ——— the agent's side ———

  agentJoins(identity = 'agent-1', attributes: Record<string, string> = {}): void {
    const participant = { identity, isAgent: true, attributes };
    this.present.push(participant);
    this.events.participantJoined(participant);
  }

  agentSubscribes(): void {
    this.events.callerTrackSubscribed();
  }

  agentLeaves(leave: LivekitLeave, identity = 'agent-1'): void {
    const at = this.present.findIndex((p) => p.identity === identity);
    if (at >= 0) this.present.splice(at, 1);
    this.events.participantLeft(identity, leave);
  }

  /** The agent calls one of the daemon's methods; resolves with the answer or the failure. */
  async call(
    method: string,
    payload: unknown,
    options: { from?: string; timeoutMs?: number } = {},
  ): Promise<{ ok: true; answer: unknown } | { ok: false; failure: LivekitRpcFailure }> {
    const handler = this.rpcs.get(method);
    if (handler === undefined) throw new Error(`no method ${method}`);
    try {
      const answer = await handler({
        callerIdentity: options.from ?? 'agent-1',
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
        responseTimeoutMs: options.timeoutMs ?? 10_000,
      });
      return { ok: true, answer: JSON.parse(answer) };
    } catch (err) {
      if (err instanceof LivekitRpcFailure) return { ok: false, failure: err };
      throw err;
    }
  }

  /** The agent says `text` (its transcription stream), in these deltas. */
  say(deltas: readonly string[], identity = 'agent-1'): Promise<void> {
    let release: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* chunks(): AsyncIterable<string> {
      for (const delta of deltas) {
        await Promise.resolve();
        yield delta;
      }
      release();
    }
    this.events.textStream(identity, 'lk.transcription', chunks());
    return done;
  }

  data(body: unknown, identity = 'agent-1', topic = 'patchthrough.events'): void {
    this.events.data(identity, topic, Buffer.from(JSON.stringify(body)));
  }

  /** Data packets the daemon sent on `patchthrough.events`. */
  get sentEvents(): unknown[] {
    return this.actions.flatMap((a) =>
      a.type === 'data' && a.topic === 'patchthrough.events' ? [a.body] : [],
    );
  }
}
