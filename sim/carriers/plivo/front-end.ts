/**
 * The Plivo front-end of the simulator: numbers with their application URLs, calls and their
 * XML, audio streams, conferences, and the REST API under `/v1/Account/{auth_id}/`.
 */
import crypto from 'node:crypto';
import { detectAnsweringMachine, plivoAmdTimings } from '../../amd.js';
import type { CarrierFrontEnd, SimContext, SimHttpRequest, SimHttpResponse } from '../../front-end.js';
import type { Leg } from '../../leg.js';
import { playDigits } from '../../send-digits.js';
import { networkAddress } from './addresses.js';
import { type Notification, PlivoCall } from './call.js';
import { PlivoConference } from './conference.js';
import { PlivoHooks } from './hooks.js';
import { PlivoAudioStream, type StreamSpec } from './media-stream.js';
import {
  type PlivoNumberConfig,
  type PlivoSimulatorOptions,
  type ResolvedPlivoOptions,
  resolveOptions,
} from './options.js';
import { handleRest } from './rest-router.js';
import { XmlRunner, type XmlSource } from './runner.js';

/** A call's asynchronous machine detection, as `POST /Call/` asked for it. */
export interface MachineDetectionSpec {
  /** `machine_detection=hangup` ends a machine's call; `true` lets it continue. */
  readonly ifMachine: 'continue' | 'hangup';
  /** `machine_detection_time`, ms. */
  readonly timeMs: number;
  /** `machine_detection_url` and its method: where the verdict is posted. */
  readonly url?: Notification;
}

export interface DialOutOptions {
  readonly from: string;
  readonly to: string;
  readonly timeoutMs: number;
  /** `<Dial>` B-legs: the A-leg's CallUUID. */
  readonly aLegUuid?: string;
  /** REST creates: the `request_uuid` answered. */
  readonly requestUuid?: string;
  readonly ringUrl?: Notification;
  readonly hangupUrl?: Notification;
}

export class PlivoFrontEnd implements CarrierFrontEnd {
  readonly carrier = 'plivo';
  readonly ctx: SimContext;
  readonly options: ResolvedPlivoOptions;
  readonly hooks: PlivoHooks;
  readonly #numbers = new Map<string, PlivoNumberConfig>();
  readonly #calls = new Map<string, PlivoCall>();
  readonly #byRequest = new Map<string, PlivoCall>();
  readonly #runners = new Map<string, XmlRunner>();
  readonly #streams = new Map<string, PlivoAudioStream[]>();
  readonly #conferences: PlivoConference[] = [];
  /** What a REST-created call runs once answered. */
  readonly #pendingSource = new Map<string, XmlSource>();

  constructor(ctx: SimContext, options: PlivoSimulatorOptions = {}) {
    this.ctx = ctx;
    this.options = resolveOptions(options);
    this.hooks = new PlivoHooks(ctx, this.options);
  }

  get authId(): string {
    return this.options.authId;
  }

  get authToken(): string {
    return this.options.authToken;
  }

  /** Configures one of the account's numbers (`+14155550100` or `14155550100`) and its application. */
  configureNumber(number: string, config: PlivoNumberConfig): void {
    this.#numbers.set(networkAddress(number), config);
  }

  ownsNumber(number: string): boolean {
    return this.#numbers.has(networkAddress(number));
  }

  /** Whether REST create accepts `number` (network form) as `from`. */
  callerIdAllowed(number: string): boolean {
    if (this.options.callerIdPolicy === 'any') return true;
    return this.#numbers.has(number) || this.options.verifiedCallerIds.map(networkAddress).includes(number);
  }

  /** A call by CallUUID. */
  call(uuid: string): PlivoCall | undefined {
    return this.#calls.get(uuid);
  }

  /** A REST-created call by the `request_uuid` its create answered with. */
  callByRequest(requestUuid: string): PlivoCall | undefined {
    return this.#byRequest.get(requestUuid);
  }

  get calls(): readonly PlivoCall[] {
    return [...this.#calls.values()];
  }

  /** Every conference, ended ones included, oldest first. */
  get conferences(): readonly PlivoConference[] {
    return this.#conferences;
  }

  /** The active conference named `name`. */
  conference(name: string): PlivoConference | undefined {
    return this.#conferences.find((c) => c.name === name && c.isActive);
  }

  /** The active conference named `name`, created if none is. */
  conferenceNamed(name: string): PlivoConference {
    const existing = this.conference(name);
    if (existing) return existing;
    const conf = new PlivoConference(name, { ctx: this.ctx, hooks: this.hooks, options: this.options });
    this.#conferences.push(conf);
    return conf;
  }

  /** Audio streams of a call, oldest first. */
  streamsOf(callUuid: string): readonly PlivoAudioStream[] {
    return this.#streams.get(callUuid) ?? [];
  }

  handles(pathname: string): boolean {
    return pathname.startsWith('/v1/Account/');
  }

  handle(req: SimHttpRequest): Promise<SimHttpResponse> {
    return handleRest(this, req);
  }

  acceptInbound(leg: Leg): void {
    const config = this.#numbers.get(networkAddress(leg.to));
    const call = this.#register(
      new PlivoCall(
        {
          direction: 'inbound',
          leg,
          ...(config?.hangupUrl === undefined
            ? {}
            : { hangupUrl: { url: config.hangupUrl, method: config.hangupMethod ?? 'POST' } }),
        },
        this.ctx,
        this.hooks,
        this.options,
      ),
    );
    if (!config) {
      leg.hangup('failed', 'network', 404);
      return;
    }
    void this.#runner(call).replace({
      type: 'url',
      url: config.answerUrl,
      method: config.answerMethod ?? 'POST',
      kind: 'voice',
      ...(config.fallbackUrl === undefined
        ? {}
        : { fallback: { url: config.fallbackUrl, method: config.fallbackMethod ?? 'POST' } }),
    });
  }

  /** Dials an endpoint for a new outbound call (REST create, `<Dial>`). */
  dialOut(options: DialOutOptions): PlivoCall {
    const uuid = crypto.randomUUID();
    const leg = this.ctx.network.dial({
      carrier: 'plivo',
      from: options.from,
      to: options.to,
      timeoutMs: options.timeoutMs + this.options.ringOverrunMs,
      label: uuid,
    });
    const call = this.#register(
      new PlivoCall(
        {
          uuid,
          direction: 'outbound',
          leg,
          ...(options.requestUuid === undefined ? {} : { requestUuid: options.requestUuid }),
          ...(options.aLegUuid === undefined ? {} : { aLegUuid: options.aLegUuid }),
          ...(options.ringUrl === undefined ? {} : { ringUrl: options.ringUrl }),
          ...(options.hangupUrl === undefined ? {} : { hangupUrl: options.hangupUrl }),
        },
        this.ctx,
        this.hooks,
        this.options,
      ),
    );
    if (options.requestUuid !== undefined) this.#byRequest.set(options.requestUuid, call);
    return call;
  }

  /**
   * A REST-created call runs `source` (its `answer_url`) once answered; with `machineDetection`,
   * detection listens meanwhile and posts its verdict (asynchronous detection).
   */
  runOnAnswer(
    call: PlivoCall,
    source: XmlSource,
    options: { readonly sendDigits?: string; readonly machineDetection?: MachineDetectionSpec } = {},
  ): void {
    const { sendDigits, machineDetection } = options;
    this.#pendingSource.set(call.uuid, source);
    const fetch = (): void => {
      const src = this.#pendingSource.get(call.uuid);
      this.#pendingSource.delete(call.uuid);
      if (src && !call.leg.isEnded) void this.#runner(call).replace(src);
    };
    const off = call.leg.on((e) => {
      if (e.type !== 'leg.answered') return;
      off();
      // `send_digits`: keyed once answered, before the answer XML runs (UNCONFIRMED ordering).
      if (sendDigits === undefined) fetch();
      else void playDigits(call.leg, sendDigits, this.ctx.timers).then(fetch);
      if (machineDetection !== undefined) this.#detect(call, machineDetection);
    });
  }

  /**
   * Asynchronous machine detection on an answered call: judged on what the callee sends, due by
   * `machine_detection_time`; `hangup` ends a machine's call; the verdict goes to
   * `machine_detection_url` with Plivo's parameters (`Machine`, `IfMachine`, `Event`
   * `MachineDetection`, `CallStatus` `in-progress`, the call's ids). Sent for a human too
   * (`Machine=false`; UNCONFIRMED: the page names only the machine case).
   */
  #detect(call: PlivoCall, spec: MachineDetectionSpec): void {
    const { clock, timers } = this.ctx;
    void detectAnsweringMachine(call.leg, clock, timers, plivoAmdTimings(spec.timeMs)).then((verdict) => {
      if (call.leg.isEnded) return;
      const machine = verdict === 'machine';
      if (spec.url !== undefined) {
        this.hooks.notify({
          kind: 'machine',
          url: spec.url.url,
          method: spec.url.method,
          params: {
            ...call.params(),
            Machine: machine ? 'true' : 'false',
            IfMachine: spec.ifMachine,
            Event: 'MachineDetection',
            CallStatus: 'in-progress',
          },
          callSid: call.uuid,
          event: 'MachineDetection',
        });
      }
      if (machine && spec.ifMachine === 'hangup') {
        call.hangupSource = 'Plivo';
        call.leg.hangup('completed', 'network');
      }
    });
  }

  /** `calls.transfer` of the A-leg: the running XML is interrupted and `source` runs. */
  transfer(call: PlivoCall, source: XmlSource): void {
    void this.#runner(call).replace(source);
  }

  startStream(call: PlivoCall, spec: StreamSpec): PlivoAudioStream {
    const stream = new PlivoAudioStream(crypto.randomUUID(), call, spec, {
      ctx: this.ctx,
      options: this.options,
      hooks: this.hooks,
    });
    this.#streams.set(call.uuid, [...this.streamsOf(call.uuid), stream]);
    return stream;
  }

  markupError(callUuid: string, message: string): void {
    this.ctx.log.add({ carrier: 'plivo', callSid: callUuid }, { type: 'markup.error', code: 0, message });
  }

  reportError(callUuid: string, err: unknown): void {
    this.ctx.log.add(
      { carrier: 'plivo', callSid: callUuid },
      {
        type: 'sim.error',
        code: 'plivo.internal',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      },
    );
  }

  async stop(): Promise<void> {
    this.hooks.stop();
    for (const call of this.#calls.values()) call.leg.hangup('failed', 'network', 503);
    await Promise.all([...this.#runners.values()].map((r) => r.interrupt('hangup')));
    await Promise.all([...this.#streams.values()].flat().map((s) => s.stop()));
    for (const conf of this.#conferences) conf.room.close();
  }

  #register(call: PlivoCall): PlivoCall {
    this.#calls.set(call.uuid, call);
    void call.leg.ended.then(async () => {
      this.#pendingSource.delete(call.uuid);
      await this.#runners.get(call.uuid)?.interrupt('hangup');
      await Promise.all(this.streamsOf(call.uuid).map((s) => s.stop()));
    });
    return call;
  }

  #runner(call: PlivoCall): XmlRunner {
    let runner = this.#runners.get(call.uuid);
    if (!runner) {
      runner = new XmlRunner(this, call);
      this.#runners.set(call.uuid, runner);
    }
    return runner;
  }
}
