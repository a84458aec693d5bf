import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { CARRIER_ADAPTERS, mediaToken } from '../providers/index.js';
import type { CarrierAdapter, CarrierAdapterFactory } from '../providers/types.js';
import { createAgentRepository, SeedingAgentRepository } from './agent-repository/index.js';
import type { AgentRepository } from './agent-repository/types.js';
import type { AgentsConfig } from './config/agent-types.js';
import type { DaemonEnv } from './config/env.js';
import type { Carrier } from './domain/carrier.js';
import { DaemonError } from './domain/errors.js';
import { engineCallsPort } from './http/api/calls-port.js';
import { LiveFeed } from './http/api/console-feed.js';
import { carrierOutbound } from './http/api/outbound.js';
import type { TryIt } from './http/api/routes-console.js';
import { buildHttpServer } from './http/server.js';
import { backgroundTime, systemTime, type Time } from './lib/time.js';
import type { Log } from './log.js';
import { meteredRunner } from './ops/effect-metrics.js';
import { Metrics } from './ops/metrics.js';
import { BriefingSessions } from './runtime/briefings.js';
import type { CallRecord } from './runtime/call-record.js';
import { catchUpCall } from './runtime/catch-up.js';
import { parseTimerKey } from './runtime/commit-changes.js';
import { DestinationLookups } from './runtime/destination-lookup.js';
import { retryIdOf } from './runtime/effect-failures.js';
import { CallEngine } from './runtime/engine.js';
import { EffectExecutor, errorSummary } from './runtime/executor.js';
import { CallLiveness } from './runtime/liveness.js';
import { LocalTimers } from './runtime/local-timers.js';
import { MediaSessions } from './runtime/media-sessions.js';
import { admitMediaToken } from './runtime/media-token.js';
import { LegReplies } from './runtime/replies.js';
import { closeSession, SessionRegistry } from './runtime/sessions.js';
import { type SocketCommand, SocketCommands } from './runtime/socket-commands.js';
import { TimerPoller } from './runtime/timer-poller.js';
import { WebhookHandler } from './runtime/webhooks.js';
import { Workers } from './runtime/workers.js';
import { createStore } from './store/create-store.js';
import type { StartedTimer, Store } from './store/types.js';
import type { TimerId } from './transfer/machine-types.js';
import { TRANSFER_MODES } from './transfer/modes.js';
import { configuredMode } from './transfer/plan.js';

export interface AppOptions {
  readonly env: DaemonEnv;
  readonly agents: AgentsConfig;
  /**
   * The carrier adapters to build from `env.carriers`; default the registry (providers/index.ts).
   * A test passes its own list to plug in an adapter of its own.
   */
  readonly carriers?: readonly CarrierAdapterFactory[];
  readonly log: Log;
  /** Injected store (tests); default: from `env.redisUrl`. */
  readonly store?: Store<CallRecord>;
  /** Wall clock, epoch ms; default `time`'s. */
  readonly now?: () => number;
  /**
   * Every clock and timer of the daemon: timer polls, heartbeats, media pacing, the tag chain,
   * silence checks, whisper waits, REST retries, the agent socket's deadlines, the memory store.
   * Default the system's. A test passes a virtual one (src/lib/virtual-time.ts); a Redis store
   * still expires keys on the server's clock, so virtual-time runs use the memory store.
   */
  readonly time?: Time;
  /** Secret for per-call media tokens; default random per process (set it for multi-worker). */
  readonly mediaSecret?: string;
  /** Timer poll interval, ms (default 250). */
  readonly timerIntervalMs?: number;
  /**
   * Fire the timers this worker starts from a local timer at their deadline (default true);
   * false leaves every timer to the poll (the backstop for a worker that died).
   */
  readonly localTimers?: boolean;
  /**
   * The liveness check's interval and quiet time, ms (liveness.ts); default
   * `env.callCheckIntervalSec` for both.
   */
  readonly callCheck?: { readonly intervalMs: number; readonly idleMs?: number };
  /** Injected agent repository (tests); default: Redis or memory like the store, seeded from `agents`. */
  readonly agentRepository?: AgentRepository;
  /** Injected metrics (tests); default a fresh registry. */
  readonly metrics?: Metrics;
  /** The console's "Try it": given when the daemon runs beside the carrier simulator (demo, playground). */
  readonly tryIt?: TryIt;
}

export interface App {
  readonly http: FastifyInstance;
  readonly engine: CallEngine;
  readonly store: Store<CallRecord>;
  readonly sessions: SessionRegistry;
  readonly workerId: string;
  /** Agent configurations, draft vs published; the runtime serves calls from published versions. */
  readonly agents: AgentRepository;
  readonly metrics: Metrics;
  /** Readiness false and new calls refused; everything else keeps running (src/ops/drain.ts). */
  drain(): void;
  /** Listens on env.host:env.port (port 0: a free one); returns the bound port. */
  listen(): Promise<number>;
  /** Ordered shutdown (STYLE.md 16): stop accepting → readiness false → drain → close the store. */
  close(): Promise<void>;
}

const seenMessage =
  "agent.caller_id_own_number: the carrier refuses the caller's number as caller ID on these legs, so the human sees the number the call came in on (outbound: the agent's number)";

/**
 * Which legs of an agent's transfers will not show the caller's number although its `callerId`
 * is `caller`: a mode that dials from the caller's call dials inside it, one that reaches the
 * human by a leg creates it by REST (a mode the carrier cannot run runs its fallback).
 */
function callerIdSeen(agent: AgentsConfig['agents'][number], adapter: CarrierAdapter): string | undefined {
  const rule = adapter.capabilities.callerNumberAsCallerId;
  if (agent.handoffConfig.callerId !== 'caller' || rule === undefined) return undefined;
  const ran = TRANSFER_MODES.resolve(
    configuredMode(agent.handoffConfig),
    (c) => adapter.capabilities[c] === true,
  );
  const kind = ran.ok && ran.mode.dialsFrom === 'leg' ? 'rest' : 'dial';
  if (rule[kind]) return undefined;
  return kind === 'rest'
    ? `${ran.ok ? ran.mode.name : 'warm'} (created by REST)`
    : 'cold (dialed inside the call)';
}

/** The composition root: wires everything, holds no logic. */
export function buildApp(options: AppOptions): App {
  const { env, log } = options;
  const time = options.time ?? systemTime;
  // Timers that only serve work something else holds open never keep the process alive.
  const background = options.time ?? backgroundTime;
  const now = options.now ?? (() => time.epochMs());
  const workerId = env.workerId ?? `${hostname()}-${process.pid}`;
  const store =
    options.store ??
    createStore<CallRecord>({
      ...(env.redisUrl === undefined ? {} : { redisUrl: env.redisUrl }),
      flagTtlMs: env.transferFlagTtlSec * 1000,
      retentionMs: env.callRetentionSec * 1000,
      now,
      timers: background,
    });
  if (!store.durable) log.warn({ store: store.kind }, 'store.in_memory: nothing survives a restart');

  const adapters = new Map<Carrier, CarrierAdapter>();
  const carriers = options.carriers ?? CARRIER_ADAPTERS;
  for (const factory of carriers) {
    const configured = env.carriers[factory.carrier];
    if (configured === undefined) continue;
    adapters.set(
      factory.carrier,
      factory.create({
        publicUrl: env.publicUrl,
        credentials: configured.credentials,
        apiBase: configured.apiBase,
        timers: time,
        ...(configured.numberRegion === undefined ? {} : { numberRegion: configured.numberRegion }),
      }),
    );
  }
  const agents: AgentRepository =
    options.agentRepository ??
    new SeedingAgentRepository(
      createAgentRepository({
        ...(env.redisUrl === undefined ? {} : { redisUrl: env.redisUrl }),
        defaultRegion: options.agents.defaultRegion,
        ...(options.carriers === undefined ? {} : { carriers: options.carriers.map((f) => f.carrier) }),
      }),
      options.agents,
      (report) => {
        log.info({ created: report.created, kept: report.kept }, 'agents.seeded');
        for (const u of report.unpublished)
          log.warn({ agentId: u.id, code: u.code }, 'agents.seed_unpublished');
      },
    );
  const metrics = options.metrics ?? new Metrics();
  for (const [index, agent] of options.agents.agents.entries()) {
    const adapter = adapters.get(agent.carrier);
    const outbound = adapter?.outboundNext();
    if (agent.outboundNumber !== undefined && typeof outbound === 'string') {
      // An agent with an outbound number places calls; the carrier cannot without more setup.
      throw new DaemonError('config_invalid', `agent ${agent.id} (${agent.carrier}): ${outbound}`);
    }
    if (adapter !== undefined) {
      const seen = callerIdSeen(agent, adapter);
      if (seen !== undefined)
        log.warn({ agentId: agent.id, carrier: agent.carrier, legs: seen }, seenMessage);
    }
    if (adapter === undefined)
      log.warn({ agentId: agent.id, carrier: agent.carrier }, 'agent.carrier_not_configured');
    else {
      // The mode's own rule (src/transfer/mode.ts): its fallback where the carrier lacks what it
      // requires (said once here, at start), else the daemon refuses to start.
      const mode = configuredMode(agent.handoffConfig);
      const ran = TRANSFER_MODES.resolve(mode, (capability) => adapter.capabilities[capability] === true);
      if (!ran.ok) {
        // Not silently degraded: a mode with no fallback the carrier can run is a configuration error.
        throw new DaemonError(
          'config_invalid',
          `agents[${index}].handoffConfig.mode: agent ${agent.id} (${agent.carrier}): ${ran.detail}`,
        );
      }
      if (
        Object.keys(agent.handoffConfig.sendDigits).length > 0 &&
        adapter.capabilities.sendDigits !== true
      ) {
        // Not silently dropped: a switchboard never keyed leaves its callers with the wrong person.
        throw new DaemonError(
          'config_invalid',
          `agents[${index}].handoffConfig.sendDigits: agent ${agent.id} (${agent.carrier}): ${agent.carrier} cannot key digits to a destination once it answered; give a direct number or a SIP URI instead`,
        );
      }
      if (agent.handoffConfig.machineDetection && adapter.capabilities.machineDetection !== true) {
        // Not silently ignored: a voicemail greeting would be taken for the human and connected.
        throw new DaemonError(
          'config_invalid',
          `agents[${index}].handoffConfig.machineDetection: agent ${agent.id} (${agent.carrier}): ${agent.carrier} cannot tell a person from an answering machine; remove machineDetection or use another carrier`,
        );
      }
      if (ran.instead !== undefined) {
        const { whisper, holdAudio } = adapter.capabilities;
        log.error(
          {
            agentId: agent.id,
            carrier: agent.carrier,
            mode,
            runsAs: ran.mode.name,
            missing: ran.instead.missing,
            keeps: { whisper, holdAudio },
          },
          'agent.mode_runs_as_fallback: the carrier lacks what the mode needs, so its transfers run in the fallback mode (the whisper and hold audio kept where the carrier can play them)',
        );
      }
    }
  }

  const mediaSecret = options.mediaSecret ?? env.mediaTokenSecret ?? randomBytes(32).toString('hex');
  const media = (callId: string): Record<string, string> => ({
    callId,
    mediaToken: mediaToken(callId, mediaSecret),
  });
  const sessions = new SessionRegistry();
  metrics.trackActiveCalls(() => sessions.size);
  const legReplies = new LegReplies(background);
  const adapterFor = (record: CallRecord): CarrierAdapter => {
    const adapter = adapters.get(record.carrier);
    if (adapter === undefined)
      throw new DaemonError('carrier_not_configured', `no ${record.carrier} credentials`);
    return adapter;
  };
  const workers = new Workers<SocketCommand>({
    store,
    workerId,
    now,
    timers: background,
    onError: (err) => {
      metrics.storeError('heartbeat');
      log.warn({ err: errorSummary(err) }, 'worker.heartbeat_failed');
    },
  });
  const briefings = new BriefingSessions({
    engine: { get: (callId) => engine.get(callId), dispatch: (...args) => engine.dispatch(...args) },
    agents,
    log,
    verifyToken: (callId, token) => admitMediaToken(store, callId, token, mediaSecret, log),
    time: background,
    ...(env.livekit === undefined ? {} : { transportSecrets: { livekit: env.livekit } }),
  });
  const executor = new EffectExecutor({
    adapterFor,
    sessions,
    log,
    media,
    legReplies,
    briefings,
    onCallerIdFallback: (carrier) => metrics.callerIdFallback(carrier),
    relay: (callId, effect) => socketCommands.relay(callId, effect),
    time: background,
    holdsSockets: async (callId) => {
      const holder = await workers.sockets.holder(callId);
      return holder === null || holder === workerId;
    },
  });
  /** One due timer, from the local timer or a poll's claim: applied with its generation. */
  async function fireTimer(timer: StartedTimer): Promise<void> {
    metrics.timerFired(now() - timer.atMs);
    const parsed = parseTimerKey(timer.timerId);
    if (parsed === null) return;
    if (parsed.kind === 'call') {
      const retryId = retryIdOf(parsed.name);
      if (retryId !== null) await engine.dispatch(timer.callId, { type: 'effect.retry', retryId }, { timer });
      return;
    }
    await engine.dispatch(
      timer.callId,
      {
        type: 'transfer.event',
        transferId: parsed.transferId,
        event: { type: 'timer.fired', timerId: parsed.timerId as TimerId },
      },
      { timer },
    );
  }
  const localTimers =
    options.localTimers === false
      ? undefined
      : new LocalTimers({
          fire: fireTimer,
          now,
          scheduler: background,
          onError: (err) => log.error({ err: errorSummary(err) }, 'timer.failed'),
        });
  const engine = new CallEngine({
    store,
    agents,
    runner: meteredRunner(executor, metrics),
    log,
    now,
    defaultRegion: env.defaultRegion,
    flagTtlMs: env.transferFlagTtlSec * 1000,
    retentionMs: env.callRetentionSec * 1000,
    carrierCan: (carrier, capability) => {
      const adapter = adapters.get(carrier);
      return adapter === undefined || adapter.capabilities[capability] === true;
    },
    canCancelLegs: (carrier) => adapters.get(carrier)?.capabilities.streamCloseMovesCaller !== true,
    callerNumberAsCallerId: (carrier) => adapters.get(carrier)?.capabilities.callerNumberAsCallerId,
    ...(localTimers === undefined ? {} : { timers: localTimers }),
  });
  executor.bind(
    async (callId, input, dedupeKey) => (await engine.dispatch(callId, input, dedupeKey)).status,
    (callId) => engine.get(callId),
  );
  const socketCommands = new SocketCommands({
    workers,
    sessions,
    log,
    timers: time,
    runHere: async (callId, effect) => {
      const record = await engine.get(callId);
      if (record !== undefined) await executor.run(record, [effect], { relayed: true });
    },
    catchUp: catchUpCall({
      sessions,
      log,
      get: (callId) => engine.get(callId),
      dispatch: (callId, input) => engine.dispatch(callId, input, undefined),
      runHere: (record, effects) => executor.run(record, effects, { relayed: true }),
      streamCloseMovesCaller: (record) => adapterFor(record).capabilities.streamCloseMovesCaller === true,
      holder: (callId) => workers.sockets.holder(callId),
      workerId,
    }),
  });

  let draining = false;
  metrics.trackDraining(() => draining);
  metrics.trackStore(async () => (await store.health()).ok);
  const webhooks = new WebhookHandler({
    engine,
    onLegEnded: (carrierCallId) => executor.legEnded(carrierCallId),
    agents,
    adapters,
    legReplies,
    media,
    log,
    accepting: () => !draining,
    onReject: (carrier, reason) => metrics.webhookRejected(carrier, reason),
    onCallStarted: (carrier) => metrics.callStarted(carrier),
    onMarkupFallback: (carrier) => metrics.markupFallback(carrier),
    publicUrl: env.publicUrl,
  });
  const lookups = new DestinationLookups({ secret: env.lookupSigningSecret, log, now });
  const mediaSessions = new MediaSessions({
    engine,
    lookups,
    agents,
    sessions,
    log,
    workerId,
    verifyToken: (callId, token) => admitMediaToken(store, callId, token, mediaSecret, log),
    onFrame: (direction) => metrics.mediaFrame(direction),
    onDrop: (direction, frames) => metrics.mediaDrop(direction, frames),
    onHeld: (frames) => metrics.mediaHeld(frames),
    onWaitAudio: () => metrics.waitAudioStarted(),
    takeOver: (callId, holder) => socketCommands.takeOver(callId, holder),
    socketHolder: (callId) => workers.sockets.holder(callId),
    briefings,
    time: background,
    ...(env.livekit === undefined ? {} : { transportSecrets: { livekit: env.livekit } }),
  });
  // The console reads the store only while a console stream is open (src/http/api/console-feed.ts).
  const feed = new LiveFeed({
    source: store.calls,
    timers: background,
    onError: (err) => log.warn({ err: errorSummary(err) }, 'console.feed_failed'),
  });
  const http = buildHttpServer({
    publicUrl: env.publicUrl,
    adapters,
    webhooks,
    media: mediaSessions,
    log,
    api: {
      agents,
      calls: engineCallsPort({
        engine,
        startOutbound: carrierOutbound({ adapters, engine, log }),
        lookups: { service: lookups, agents },
      }),
      keys: env.apiKeys,
      defaultRegion: env.defaultRegion,
      log,
      now,
      console: {
        calls: store.calls,
        feed,
        timers: background,
        ...(options.tryIt === undefined ? {} : { tryIt: options.tryIt }),
      },
    },
    metrics,
    onMediaRefused: (carrier) => metrics.mediaRefused(carrier),
    // Readiness is this worker's own state (draining), not Redis's: every worker shares Redis, so
    // following it would take all of them out of the balancer at once, which then answers the
    // carriers itself (503: their application error, callers dropped) until two more checks pass
    // after Redis is back. A worker answers a carrier's ask during an outage with a pause and a
    // new ask (webhooks.ts); the store's state is in the detail, for monitoring.
    health: async () => {
      const h = await store.health();
      return {
        ready: !draining,
        detail: { draining, store: h.detail, storeOk: h.ok, liveCalls: sessions.size },
      };
    },
  });

  const poller = new TimerPoller({
    timers: store.timers,
    workerId,
    now,
    scheduler: time,
    ...(options.timerIntervalMs === undefined ? {} : { intervalMs: options.timerIntervalMs }),
    onTimer: fireTimer,
    onError: (err) => {
      metrics.storeError('timers');
      log.error({ err: errorSummary(err) }, 'timer.failed');
    },
  });
  const callCheckMs = options.callCheck?.intervalMs ?? env.callCheckIntervalSec * 1000;
  const liveness = new CallLiveness({
    calls: store.calls,
    dedupe: store.dedupe,
    callLive: (carrier) => {
      const control = adapters.get(carrier)?.control;
      return control?.callLive?.bind(control);
    },
    streamingHere: (callId) => sessions.get(callId)?.closeCarrier !== undefined,
    ended: async (callId) => {
      log.warn({ callId }, 'call.end_unreported');
      await engine.dispatch(callId, { type: 'call.ended', via: 'status_check' }, undefined);
    },
    now,
    timers: background,
    intervalMs: callCheckMs,
    ...(options.callCheck?.idleMs === undefined ? {} : { idleMs: options.callCheck.idleMs }),
    onError: (err, callId) => log.warn({ callId, err: errorSummary(err) }, 'call.check_failed'),
  });
  return {
    http,
    engine,
    store,
    sessions,
    workerId,
    agents,
    metrics,
    drain() {
      draining = true;
    },
    async listen() {
      await agents.ready();
      await http.listen({ port: env.port, host: env.host });
      poller.start();
      liveness.start();
      await workers.start();
      await socketCommands.start();
      const address = http.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : env.port;
      log.info({ port, workerId, store: store.kind }, 'daemon.listening');
      return port;
    },
    async close() {
      draining = true;
      await http.close();
      await localTimers?.close();
      await poller.stop();
      await liveness.stop();
      await socketCommands.stop();
      await workers.stop();
      for (const id of sessions.ids()) {
        const s = sessions.delete(id);
        if (s !== undefined) await closeSession(s, 'worker stopping');
      }
      // Calls that ended just before: their agents are told how their transfers ended first.
      await sessions.closed();
      await briefings.closed();
      await store.close();
      await agents.close();
    },
  };
}
