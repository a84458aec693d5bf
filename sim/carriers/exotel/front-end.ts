/**
 * The Exotel front-end of the simulator: numbers with their call flows (Voicebot, Passthru,
 * Connect, Hangup applets), calls, Voicebot streams, and the REST API under
 * `/v1/Accounts/{AccountSid}/` (`Calls/connect`, call details).
 */
import type { CarrierFrontEnd, SimContext, SimHttpRequest, SimHttpResponse } from '../../front-end.js';
import type { Leg } from '../../leg.js';
import { ExotelCall, type ExotelDirection, type StatusCallbackConfig } from './call.js';
import { ExotelFlowRunner } from './flow.js';
import { ExotelHooks } from './hooks.js';
import { fromExotelNumber } from './numbers.js';
import {
  type ExotelApplet,
  type ExotelNumberConfig,
  type ExotelSimulatorOptions,
  type ResolvedExotelOptions,
  resolveOptions,
} from './options.js';
import { handleRest } from './rest.js';
import { ExotelVoicebotStream } from './voicebot.js';

export class ExotelFrontEnd implements CarrierFrontEnd {
  readonly carrier = 'exotel';
  readonly ctx: SimContext;
  readonly options: ResolvedExotelOptions;
  readonly hooks: ExotelHooks;
  readonly #numbers = new Map<string, ExotelNumberConfig>();
  readonly #flows = new Map<string, readonly ExotelApplet[]>();
  readonly #calls = new Map<string, ExotelCall>();
  readonly #runners = new Map<string, ExotelFlowRunner>();
  readonly #streams = new Map<string, ExotelVoicebotStream[]>();

  constructor(ctx: SimContext, options: ExotelSimulatorOptions = {}) {
    this.ctx = ctx;
    this.options = resolveOptions(options);
    this.hooks = new ExotelHooks(ctx, this.options);
  }

  get accountSid(): string {
    return this.options.accountSid;
  }

  get apiKey(): string {
    return this.options.apiKey;
  }

  get apiToken(): string {
    return this.options.apiToken;
  }

  /** The daemon's webhook secret the flows of {@link daemonFlow} carry. */
  get daemonWebhookSecret(): string {
    return this.options.daemonWebhookSecret;
  }

  /** The app id {@link daemonFlow}'s flow is registered under for the daemon's outbound calls. */
  get daemonOutboundAppId(): string {
    return this.options.daemonOutboundAppId;
  }

  /** Configures one of the account's numbers (an ExoPhone) with the flow its calls run. */
  configureNumber(number: string, config: ExotelNumberConfig): void {
    this.#numbers.set(number, config);
  }

  /**
   * Registers a flow (an app) for `Calls/connect` `Url`; returns the URL to pass:
   * `http://my.exotel.com/{sid}/exoml/start_voice/{appId}` (§4.3).
   */
  configureFlow(appId: string, flow: readonly ExotelApplet[]): string {
    this.#flows.set(appId, flow);
    return `http://my.exotel.com/${this.accountSid}/exoml/start_voice/${appId}`;
  }

  /** A flow registered with {@link configureFlow}. */
  flow(appId: string): readonly ExotelApplet[] | undefined {
    return this.#flows.get(appId);
  }

  /** Whether `number` (E.164 or Exotel's national format) is an ExoPhone of the account. */
  ownsNumber(number: string): boolean {
    const wanted = fromExotelNumber(number);
    return [...this.#numbers.keys()].some((n) => fromExotelNumber(n) === wanted);
  }

  call(sid: string): ExotelCall | undefined {
    return this.#calls.get(sid);
  }

  get calls(): readonly ExotelCall[] {
    return [...this.#calls.values()];
  }

  /** Voicebot streams of a call, oldest first. */
  streamsOf(callSid: string): readonly ExotelVoicebotStream[] {
    return this.#streams.get(callSid) ?? [];
  }

  handles(pathname: string): boolean {
    return /^\/v1\/accounts\//i.test(pathname);
  }

  handle(req: SimHttpRequest): Promise<SimHttpResponse> {
    return handleRest(this, req);
  }

  acceptInbound(leg: Leg): void {
    const config = this.#numbers.get(leg.to);
    const statusCallback: StatusCallbackConfig | undefined =
      config?.statusCallback === undefined
        ? undefined
        : {
            url: config.statusCallback,
            contentType: config.statusCallbackContentType ?? 'multipart',
            events: new Set(['terminal']),
          };
    const call = this.register({ leg, direction: 'incoming', ...(statusCallback ? { statusCallback } : {}) });
    if (config === undefined) {
      leg.hangup('failed', 'network', 404);
      return;
    }
    // Exotel answers the call when its flow starts.
    leg.answer();
    void this.runFlow(call, config.flow);
  }

  /** Wraps a leg in a call with a fresh `CallSid`; its streams stop when it ends. */
  register(init: {
    sid?: string;
    leg: Leg;
    direction: ExotelDirection;
    statusCallback?: StatusCallbackConfig;
    flowId?: string;
  }): ExotelCall {
    const call = new ExotelCall(
      { ...init, sid: init.sid ?? this.ctx.sid('') },
      this.ctx,
      this.hooks,
      this.options,
    );
    this.#calls.set(call.sid, call);
    void call.leg.ended.then(async () => {
      await this.#runners.get(call.sid)?.stop();
      await Promise.all(this.streamsOf(call.sid).map((s) => s.stop('callended')));
    });
    return call;
  }

  /** Runs `flow` for `call` (once per call). */
  runFlow(call: ExotelCall, flow: readonly ExotelApplet[]): Promise<void> {
    const runner = new ExotelFlowRunner(this, call, flow);
    this.#runners.set(call.sid, runner);
    return runner.run();
  }

  startStream(call: ExotelCall, url: string): ExotelVoicebotStream {
    const stream = new ExotelVoicebotStream(this.ctx.sid(''), call, { url }, this.ctx, this.options);
    const list = this.#streams.get(call.sid) ?? [];
    list.push(stream);
    this.#streams.set(call.sid, list);
    return stream;
  }

  markupError(callSid: string, message: string): void {
    this.ctx.log.add({ carrier: 'exotel', callSid }, { type: 'markup.error', code: 0, message });
  }

  reportError(callSid: string, err: unknown): void {
    this.ctx.log.add(
      { carrier: 'exotel', callSid },
      {
        type: 'sim.error',
        code: 'exotel.internal',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      },
    );
  }

  async stop(): Promise<void> {
    this.hooks.stop();
    for (const call of this.#calls.values()) call.leg.hangup('failed', 'network', 503);
    await Promise.all([...this.#runners.values()].map((r) => r.stop()));
    await Promise.all([...this.#streams.values()].flat().map((s) => s.stop('callended')));
  }
}
