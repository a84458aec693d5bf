import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Media direction: `in` from the carrier, `out` to the carrier. */
export type MediaDirection = 'in' | 'out';

/** A finished transfer, as the metrics count it. */
export interface TransferEndedMetric {
  readonly mode: string;
  readonly outcome: string;
  readonly carrier: string;
  /** Dial to answer of the leg that connected, in ms. */
  readonly ringMs?: number;
  /** Transfer start to the human having the caller, in ms (connected transfers only). */
  readonly timeToHumanMs?: number;
  /** A hang-up whose bridge the carrier did not report (Exotel's whisper). */
  readonly bridgeUnconfirmed?: boolean;
}

export interface MetricsOptions {
  /** Node process metrics, including event-loop delay (`nodejs_eventloop_lag_*`). Default true. */
  readonly defaultMetrics?: boolean;
}

const SECONDS = 1000;

/**
 * The daemon's Prometheus metrics (docs/operations.md lists them). Plain methods, so the runtime
 * calls `metrics.transferEnded(…)` without knowing prom-client. Every instance has its own
 * registry: tests and several apps in one process do not collide. Labels never carry a phone
 * number or an id — only closed sets (carrier, mode, outcome, reason, direction).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #callsStarted: Counter<'carrier'>;
  readonly #callsEnded: Counter<'carrier' | 'ended_reason'>;
  readonly #transfersStarted: Counter<'mode' | 'trigger' | 'carrier'>;
  readonly #refusals: Counter<'refusal'>;
  readonly #transfers: Counter<'mode' | 'outcome' | 'carrier'>;
  readonly #bridgeUnconfirmed: Counter<'mode' | 'carrier'>;
  readonly #ring: Histogram<'mode' | 'carrier'>;
  readonly #timeToHuman: Histogram<'mode' | 'carrier'>;
  readonly #handoffGap: Histogram<'carrier'>;
  readonly #webhookRejects: Counter<'carrier' | 'reason'>;
  readonly #mediaRefused: Counter<'carrier'>;
  readonly #callerIdFallbacks: Counter<'carrier'>;
  readonly #markupFallbacks: Counter<'carrier'>;
  readonly #effectsAbandoned: Counter<'effect'>;
  readonly #pendingFrames: { in: number; out: number } = { in: 0, out: 0 };
  readonly #dropIn: Counter.Internal;
  readonly #dropOut: Counter.Internal;
  readonly #held: Counter;
  readonly #waitAudio: Counter;
  readonly #timerLateness: Histogram;
  readonly #storeErrors: Counter<'source'>;
  #activeCalls: () => number = () => 0;
  #storeUp: () => Promise<boolean> = async () => true;
  #draining: () => boolean = () => false;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.#callsStarted = new Counter({
      name: 'patchthrough_calls_started_total',
      help: 'Calls that reached an agent on this worker',
      labelNames: ['carrier'],
      registers,
    });
    this.#callsEnded = new Counter({
      name: 'patchthrough_calls_ended_total',
      help: 'Calls ended, by ended_reason',
      labelNames: ['carrier', 'ended_reason'],
      registers,
    });
    const active = (): number => this.#activeCalls();
    new Gauge({
      name: 'patchthrough_active_calls',
      help: 'Live calls whose media this worker holds',
      registers,
      collect() {
        this.set(active());
      },
    });
    this.#transfersStarted = new Counter({
      name: 'patchthrough_transfers_started_total',
      help: 'Transfers started, by mode and trigger',
      labelNames: ['mode', 'trigger', 'carrier'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'patchthrough_transfer_refusals_total',
      help: 'Transfer requests refused before dialing (destination_not_allowed, after_hours, ...)',
      labelNames: ['refusal'],
      registers,
    });
    this.#transfers = new Counter({
      name: 'patchthrough_transfers_total',
      help: 'Transfers ended, by mode, outcome and carrier',
      labelNames: ['mode', 'outcome', 'carrier'],
      registers,
    });
    this.#bridgeUnconfirmed = new Counter({
      name: 'patchthrough_transfers_bridge_unconfirmed_total',
      help: 'Transfers ended caller_hangup or human_hangup after the human answered, the carrier not reporting whether it had bridged the two',
      labelNames: ['mode', 'carrier'],
      registers,
    });
    this.#ring = new Histogram({
      name: 'patchthrough_transfer_ring_seconds',
      help: 'Dial to answer of the leg that reached a person',
      labelNames: ['mode', 'carrier'],
      buckets: [1, 2, 3, 5, 8, 10, 15, 20, 30, 45, 60],
      registers,
    });
    this.#timeToHuman = new Histogram({
      name: 'patchthrough_transfer_time_to_human_seconds',
      help: 'Transfer start to the human having the caller (connected transfers)',
      labelNames: ['mode', 'carrier'],
      buckets: [2, 5, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180],
      registers,
    });
    this.#handoffGap = new Histogram({
      name: 'patchthrough_handoff_gap_seconds',
      help: "The caller's silence between the AI's last frame and hold audio or the human",
      labelNames: ['carrier'],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers,
    });
    this.#webhookRejects = new Counter({
      name: 'patchthrough_webhook_rejects_total',
      help: 'Carrier webhooks refused (bad signature, invalid payload)',
      labelNames: ['carrier', 'reason'],
      registers,
    });
    this.#mediaRefused = new Counter({
      name: 'patchthrough_media_refused_total',
      help: 'Media WebSocket upgrades refused',
      labelNames: ['carrier'],
      registers,
    });
    this.#callerIdFallbacks = new Counter({
      name: 'patchthrough_caller_id_fallbacks_total',
      help: "Human legs the carrier refused with the planned caller ID and that were placed again with the call's own number",
      labelNames: ['carrier'],
      registers,
    });
    this.#markupFallbacks = new Counter({
      name: 'patchthrough_markup_fallbacks_total',
      help: "Requests to a fallback URL: the carrier could not get or run the daemon's markup at the primary URL",
      labelNames: ['carrier'],
      registers,
    });
    this.#effectsAbandoned = new Counter({
      name: 'patchthrough_effects_abandoned_total',
      help: 'Call effects (carrier commands, agent messages) that failed after their retries',
      labelNames: ['effect'],
      registers,
    });
    // Counted in plain numbers on the media path (50 frames a second per call) and handed to
    // prom-client only when scraped.
    const pending = this.#pendingFrames;
    const frames: Counter<'direction'> = new Counter({
      name: 'patchthrough_media_frames_total',
      help: 'Carrier media frames, by direction (in: from the carrier)',
      labelNames: ['direction'],
      registers,
      collect() {
        if (pending.in > 0) frames.labels('in').inc(pending.in);
        if (pending.out > 0) frames.labels('out').inc(pending.out);
        pending.in = 0;
        pending.out = 0;
      },
    });
    const drops = new Counter({
      name: 'patchthrough_media_dropped_frames_total',
      help: 'Media frames dropped (back-pressure, queue limits), by direction',
      labelNames: ['direction'],
      registers,
    });
    this.#held = new Counter({
      name: 'patchthrough_agent_audio_held_frames_total',
      help: 'Caller frames held while the agent socket opened (or reopened), then delivered in order',
      registers,
    });
    this.#waitAudio = new Counter({
      name: 'patchthrough_wait_audio_total',
      help: 'Times a caller began hearing the wait audio: the agent socket slow to open or reopen, or the carrier slow to move the caller at a transfer',
      registers,
    });
    this.#timerLateness = new Histogram({
      name: 'patchthrough_timer_lateness_seconds',
      help: 'How long after its deadline a durable timer fired on this worker',
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.#storeErrors = new Counter({
      name: 'patchthrough_store_errors_total',
      help: 'Store operations that failed, by what ran them (timers, heartbeat)',
      labelNames: ['source'],
      registers,
    });
    const storeUp = (): Promise<boolean> => this.#storeUp();
    new Gauge({
      name: 'patchthrough_store_up',
      help: "1 when the store answered this scrape's health check, else 0",
      registers,
      async collect() {
        this.set((await storeUp().catch(() => false)) ? 1 : 0);
      },
    });
    const draining = (): boolean => this.#draining();
    new Gauge({
      name: 'patchthrough_draining',
      help: '1 while this worker drains (readiness false, new calls refused)',
      registers,
      collect() {
        this.set(draining() ? 1 : 0);
      },
    });
    // Pre-bound children: a frame count is a hot path (50 frames/s per call and direction).
    frames.labels('in');
    frames.labels('out');
    this.#dropIn = drops.labels('in');
    this.#dropOut = drops.labels('out');
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** What `patchthrough_active_calls` reads at scrape time (the worker's live sessions). */
  trackActiveCalls(count: () => number): void {
    this.#activeCalls = count;
  }

  /** What `patchthrough_store_up` asks at scrape time (the store's health check). */
  trackStore(up: () => Promise<boolean>): void {
    this.#storeUp = up;
  }

  /** What `patchthrough_draining` reads at scrape time. */
  trackDraining(draining: () => boolean): void {
    this.#draining = draining;
  }

  /** A durable timer fired `ms` after its deadline. */
  timerFired(latenessMs: number): void {
    this.#timerLateness.observe(Math.max(0, latenessMs) / SECONDS);
  }

  storeError(source: 'timers' | 'heartbeat'): void {
    this.#storeErrors.inc({ source });
  }

  callStarted(carrier: string): void {
    this.#callsStarted.inc({ carrier });
  }

  callEnded(carrier: string, endedReason: string): void {
    this.#callsEnded.inc({ carrier, ended_reason: endedReason });
  }

  transferStarted(t: { readonly mode: string; readonly trigger: string; readonly carrier: string }): void {
    this.#transfersStarted.inc({ mode: t.mode, trigger: t.trigger, carrier: t.carrier });
  }

  transferRefused(refusal: string): void {
    this.#refusals.inc({ refusal });
  }

  transferEnded(t: TransferEndedMetric): void {
    this.#transfers.inc({ mode: t.mode, outcome: t.outcome, carrier: t.carrier });
    const labels = { mode: t.mode, carrier: t.carrier };
    if (t.bridgeUnconfirmed === true) this.#bridgeUnconfirmed.inc(labels);
    if (t.ringMs !== undefined && t.ringMs >= 0) this.#ring.observe(labels, t.ringMs / SECONDS);
    if (t.timeToHumanMs !== undefined && t.timeToHumanMs >= 0)
      this.#timeToHuman.observe(labels, t.timeToHumanMs / SECONDS);
  }

  /** The caller's gap between the AI's last frame and the next audio (hold or human), in ms. */
  handoffGapMs(ms: number, carrier = 'unknown'): void {
    if (ms >= 0) this.#handoffGap.observe({ carrier }, ms / SECONDS);
  }

  callerIdFallback(carrier: string): void {
    this.#callerIdFallbacks.inc({ carrier });
  }

  markupFallback(carrier: string): void {
    this.#markupFallbacks.inc({ carrier });
  }

  webhookRejected(carrier: string, reason: string): void {
    this.#webhookRejects.inc({ carrier, reason });
  }

  mediaRefused(carrier: string): void {
    this.#mediaRefused.inc({ carrier });
  }

  effectAbandoned(effect: string): void {
    this.#effectsAbandoned.inc({ effect });
  }

  mediaFrame(direction: MediaDirection): void {
    // Two named fields, not a keyed store: the 50-a-second path stays monomorphic.
    if (direction === 'in') this.#pendingFrames.in += 1;
    else this.#pendingFrames.out += 1;
  }

  mediaHeld(n: number): void {
    if (n > 0) this.#held.inc(n);
  }

  waitAudioStarted(): void {
    this.#waitAudio.inc();
  }

  mediaDrop(direction: MediaDirection, n = 1): void {
    if (n > 0) (direction === 'in' ? this.#dropIn : this.#dropOut).inc(n);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
