/**
 * Gathers an {@link Observation} of one call from a running harness: the simulator's legs, what
 * each party heard, its log of REST requests and callbacks, the scripted agent's sessions of the
 * call and the daemon's record. Everything is put on the simulator's clock (epoch ms): the
 * scripted agent stamps frames with its time's monotonic clock, turned into epoch ms here.
 */
import type { SimCall } from '../../sim/endpoints/caller.js';
import type { HeardSegment } from '../../sim/heard.js';
import type { Leg } from '../../sim/leg.js';
import type { Simulator } from '../../sim/simulator.js';
import type { ScriptedSession } from '../../src/agent/scripted-agent-server.js';
import type { VirtualTime } from '../../src/lib/virtual-time.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { Harness } from '../e2e/harness.js';
import { eventually } from '../support/eventually.js';
import { type CallerAudio, FRAME_BYTES } from './caller-audio.js';
import type {
  AgentFrameSeen,
  AgentSessionSeen,
  HeardSpan,
  LegSeen,
  Observation,
  RecordSeen,
  SaidFrame,
} from './observation.js';
import type { Carrier } from './scenario.js';

/** How long after the caller's hang-up the record, the legs and the agent may take to settle. */
const SETTLE_TIMEOUT_MS = 10_000;
/** The agent wire's one reconnect (250 ms later) and its connect, with room to spare. */
const RECONNECT_GRACE_MS = 1_500;

/** Records every frame the caller says from now on (call it right after placing the call), on the simulator's clock. */
export function tapCaller(sim: Simulator, call: SimCall, audio: CallerAudio): SaidFrame[] {
  const said: SaidFrame[] = [];
  call.leg.onAudio((frame) => {
    said.push({ atMs: sim.clock.nowMs(), frame: audio.frameOf(frame) });
  });
  return said;
}

export interface CollectInput {
  readonly label: string;
  readonly carrier: Carrier;
  readonly call: SimCall;
  /** The addresses of every human the call may be transferred to. */
  readonly humans: readonly string[];
  readonly said: readonly SaidFrame[];
  readonly audio: CallerAudio;
}

/** Where an observation is read from: the simulator, the scripted agent's sessions, the daemon's record. */
export interface CollectSource {
  readonly sim: Simulator;
  sessions(): readonly ScriptedSession[];
  record(callId: string): Promise<CallRecord | undefined>;
  /**
   * Whether the daemon's session of the call ended and is still closing: an agent socket that
   * was reconnecting as the call ended is told what it is owed first. Absent: not known.
   */
  closing?(callId: string): boolean;
}

/** Waits (bounded) for the call, its legs and its record to end, then reads everything. */
export function collect(h: Harness, input: CollectInput, time?: VirtualTime): Promise<Observation> {
  return collectFrom(
    {
      sim: h.sim,
      sessions: () => h.agent?.sessions ?? [],
      record: (id) => h.app.engine.get(id),
      closing: (id) => h.app.sessions.isClosing(id),
    },
    input,
    time,
  );
}

/** {@link collect} from any source: a harness, or a cluster's simulator, agent and store (the soak). */
export async function collectFrom(
  source: CollectSource,
  input: CollectInput,
  time?: VirtualTime,
): Promise<Observation> {
  const { call } = input;
  const sim = source.sim;
  const humans = input.humans.filter((a) => sim.network.hasEndpoint(a)).map((a) => sim.network.endpoint(a));
  let record: CallRecord | undefined;
  const sessionsOf = (): ScriptedSession[] => source.sessions().filter((s) => s.start?.callId === call.sid);
  const ended = async (): Promise<boolean> => {
    record = await source.record(call.sid);
    return (
      call.state === 'ended' &&
      record?.phase === 'ended' &&
      humans.every((x) => x.legs.every((l) => l.isEnded)) &&
      sessionsOf().every((s) => s.closeCode !== undefined) &&
      source.closing?.(call.sid) !== true
    );
  };
  const what = 'the call, its legs, its agent sockets and its record to end';
  const settle = () =>
    (time === undefined
      ? eventually(ended, what, { timeoutMs: SETTLE_TIMEOUT_MS, everyMs: 50 })
      : time.runUntil(ended, { timeoutMs: SETTLE_TIMEOUT_MS, what })
    ).catch(() => undefined);
  await settle();
  // An agent socket that dropped just before the end is reconnected once to be told what it is
  // owed (agent-link.ts): its new session opens after every socket seen so far closed. A source
  // that knows the daemon's closing sessions waits for them in `ended`; the soak's cluster does
  // not, and this grace is all it gets.
  await (time === undefined
    ? new Promise((r) => setTimeout(r, RECONNECT_GRACE_MS))
    : time.runFor(RECONNECT_GRACE_MS));
  await settle();
  const sids = new Set([call.sid, ...humans.flatMap((x) => x.legs.map((l) => l.label))]);
  const mentions = (path: string): boolean => [...sids].some((sid) => path.includes(sid));
  const sessions = sessionsOf();
  return {
    label: input.label,
    caller: {
      sid: call.sid,
      ...(call.leg.answeredAtMs === undefined ? {} : { answeredAtMs: call.leg.answeredAtMs }),
      ...(call.leg.end === undefined ? {} : { end: endOf(call.leg) }),
      heard: spans(call.heard.segments),
      said: [...input.said],
      ...firstStreamFrame(sim, input.carrier, call.sid, input.audio),
      streams: streamsOpen(sim, call.sid),
    },
    humans: humans.map((x) => ({
      address: x.address,
      legs: x.legs.map(legOf),
      heard: spans(x.heard.segments),
    })),
    rest: sim.log
      .ofType('rest.request')
      .filter((e) => mentions(e.path))
      .map((e) => ({
        atMs: e.receivedAtMs,
        answeredAtMs: e.atMs,
        method: e.method,
        path: e.path,
        status: e.status,
      })),
    callbacks: sim.log
      .ofType('webhook.sent')
      .filter((e) => e.callSid !== undefined && sids.has(e.callSid))
      .map((e) => ({
        atMs: e.atMs,
        kind: e.kind,
        callSid: e.callSid as string,
        ...(e.status === undefined ? {} : { status: e.status }),
      })),
    // The agent stamps frames on the monotonic clock of the time both run on; the simulator on its wall clock.
    agent: sessions.map((s) => sessionOf(s, input.audio, sim.time.epochMs() - sim.time.nowMs())),
    ...(record === undefined ? {} : { record: recordOf(record) }),
  };
}

function endOf(leg: Leg): { status: string; by: string; atMs: number } {
  const end = leg.end as NonNullable<Leg['end']>;
  return { status: end.status, by: end.by, atMs: end.atMs };
}

function legOf(leg: Leg): LegSeen {
  return {
    sid: leg.label,
    createdAtMs: leg.createdAtMs,
    ...(leg.answeredAtMs === undefined ? {} : { answeredAtMs: leg.answeredAtMs }),
    ...(leg.end === undefined ? {} : { end: endOf(leg) }),
  };
}

function spans(segments: readonly HeardSegment[]): HeardSpan[] {
  return segments.map((s) => ({
    source: s.source,
    leg: s.leg,
    startMs: s.startMs,
    endMs: s.endMs,
    ...(s.level === undefined ? {} : { level: s.level }),
  }));
}

/** When each of the call's media streams was open at the carrier: its `start` to its end (or now). */
function streamsOpen(sim: Simulator, sid: string): { fromMs: number; toMs: number }[] {
  const open = new Map<string, { fromMs: number; toMs: number }>();
  for (const e of sim.log.forCall(sid).entries) {
    if (e.type !== 'media.event' || e.direction !== 'sent') continue;
    if (e.event === 'start') open.set(e.streamId, { fromMs: e.atMs, toMs: Number.POSITIVE_INFINITY });
    else if (e.event.startsWith('ended')) {
      const s = open.get(e.streamId);
      if (s !== undefined) s.toMs = Math.min(s.toMs, e.atMs);
    }
  }
  return [...open.values()];
}

/** The first caller frame the carrier's first media stream of the call sent. */
function firstStreamFrame(
  sim: Simulator,
  carrier: Carrier,
  sid: string,
  audio: CallerAudio,
): { firstStreamFrame?: number } {
  const streams =
    carrier === 'twilio'
      ? sim.twilio.streamsOf(sid)
      : carrier === 'plivo'
        ? sim.plivo.streamsOf(sid)
        : sim.exotel.streamsOf(sid);
  const first = streams[0]?.stats.firstInboundFrame;
  return first === undefined ? {} : { firstStreamFrame: audio.frameOf(first) };
}

/** The agent's frames on the simulator's clock; caller audio cut into 20 ms frames and named. */
function sessionOf(session: ScriptedSession, audio: CallerAudio, toEpochMs: number): AgentSessionSeen {
  const frames: AgentFrameSeen[] = [];
  let pending = Buffer.alloc(0);
  for (const r of session.received) {
    const atMs = toEpochMs + r.atMs;
    const f = r.frame;
    if (f.event === 'media') {
      const payload = (f['media'] as { payload?: unknown } | undefined)?.payload;
      if (typeof payload !== 'string') continue;
      pending = Buffer.concat([pending, Buffer.from(payload, 'base64')]);
      while (pending.length >= FRAME_BYTES) {
        frames.push({ event: 'media', atMs, frame: audio.frameOf(pending.subarray(0, FRAME_BYTES)) });
        pending = pending.subarray(FRAME_BYTES);
      }
    } else if (f.event === 'transfer_status') {
      const destination = f['destination'];
      frames.push({
        event: 'transfer_status',
        atMs,
        transferId: String(f['transferId']),
        status: String(f['status']),
        ...(typeof destination === 'string' ? { destination } : {}),
      });
    } else if (f.event === 'resume') {
      frames.push({
        event: 'resume',
        atMs,
        transferId: String(f['transferId']),
        outcome: String(f['outcome']),
      });
    } else {
      frames.push({ event: f.event === 'start' || f.event === 'stop' ? f.event : 'other', atMs });
    }
  }
  const role = session.start?.customParameters['role'];
  return {
    ...(role === undefined ? {} : { role }),
    frames,
    ...(session.closeCode === undefined ? {} : { closeCode: session.closeCode }),
    ...(session.closedAtMs === undefined ? {} : { closedAtMs: toEpochMs + session.closedAtMs }),
  };
}

function recordOf(r: CallRecord): RecordSeen {
  return {
    phase: r.phase,
    ...(r.endedReason === undefined ? {} : { endedReason: r.endedReason }),
    ...(r.refusals.length === 0 ? {} : { refusals: r.refusals.length }),
    transfers: r.transfers.map((t) => ({
      transferId: t.transferId,
      startedAtMs: t.startedAtMs,
      ...(t.endedAtMs === undefined ? {} : { endedAtMs: t.endedAtMs }),
      ...(t.outcome === undefined ? {} : { outcome: t.outcome }),
      ...(t.bridge === undefined ? {} : { bridge: t.bridge }),
    })),
  };
}
