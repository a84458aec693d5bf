/**
 * The Twilio front-end of the simulator: numbers with their voice URLs, calls and their TwiML,
 * media streams, conferences, and the REST API under `/2010-04-01/Accounts/{AccountSid}/`.
 */

import { detectAnsweringMachine } from '../../amd.js';
import type { CarrierFrontEnd, SimContext, SimHttpRequest, SimHttpResponse } from '../../front-end.js';
import type { Leg } from '../../leg.js';
import { playDigits } from '../../send-digits.js';
import { type FallbackConfig, type StatusCallbackConfig, TwilioCall, type TwilioDirection } from './call.js';
import { type ParticipantOptions, TwilioConference, type TwilioParticipant } from './conference.js';
import { TwilioHooks } from './hooks.js';
import { type StreamSpec, TwilioMediaStream } from './media-stream.js';
import {
  type ResolvedTwilioOptions,
  resolveOptions,
  type TwilioNumberConfig,
  type TwilioSimulatorOptions,
} from './options.js';
import { handleRest } from './rest-router.js';
import { parseTwiml } from './twiml-parser.js';
import { resolveUrl, TwimlRunner, type TwimlSource } from './twiml-runner.js';
import { runAudioDocument } from './verbs/audio.js';

export interface DialOutOptions {
  readonly direction: Exclude<TwilioDirection, 'inbound'>;
  readonly from: string;
  readonly to: string;
  readonly timeoutMs: number;
  readonly parentCallSid?: string;
  readonly statusCallback?: StatusCallbackConfig | undefined;
  readonly fallback?: FallbackConfig;
}

export class TwilioFrontEnd implements CarrierFrontEnd {
  readonly carrier = 'twilio';
  readonly ctx: SimContext;
  readonly options: ResolvedTwilioOptions;
  readonly hooks: TwilioHooks;
  readonly #numbers = new Map<string, TwilioNumberConfig>();
  readonly #calls = new Map<string, TwilioCall>();
  readonly #runners = new Map<string, TwimlRunner>();
  readonly #streams = new Map<string, TwilioMediaStream[]>();
  readonly #conferences = new Map<string, TwilioConference>();
  /** Calls created by the Participants API, with their conference; they end when they leave it. */
  readonly #apiParticipants = new Map<string, TwilioConference>();
  /** What an outbound-api call runs once answered (replaced by updates before answer). */
  readonly #pendingSource = new Map<string, TwimlSource>();

  constructor(ctx: SimContext, options: TwilioSimulatorOptions = {}) {
    this.ctx = ctx;
    this.options = resolveOptions(options);
    this.hooks = new TwilioHooks(ctx, this.options);
  }

  get accountSid(): string {
    return this.options.accountSid;
  }

  get authToken(): string {
    return this.options.authToken;
  }

  /** Configures one of the account's numbers (like an Incoming Phone Number's voice settings). */
  configureNumber(number: string, config: TwilioNumberConfig): void {
    this.#numbers.set(number, config);
  }

  ownsNumber(number: string): boolean {
    return this.#numbers.has(number);
  }

  /** Whether `number` may be used as caller ID: owned, verified, or (for `<Dial>`) the call's own parties. */
  callerIdAllowed(number: string, call?: TwilioCall): boolean {
    if (this.options.callerIdPolicy === 'any') return true;
    if (this.#numbers.has(number) || this.options.verifiedCallerIds.includes(number)) return true;
    return call !== undefined && (call.from === number || call.to === number);
  }

  /** A call by sid. */
  call(sid: string): TwilioCall | undefined {
    return this.#calls.get(sid);
  }

  get calls(): readonly TwilioCall[] {
    return [...this.#calls.values()];
  }

  get conferences(): readonly TwilioConference[] {
    return [...this.#conferences.values()];
  }

  /** A conference by `CF…` sid, or the active one with this friendly name. */
  conference(sidOrName: string): TwilioConference | undefined {
    return this.#conferences.get(sidOrName) ?? this.#activeNamed(sidOrName);
  }

  /** The active conference named `name`, created (status `init`) if none is. */
  conferenceNamed(name: string): TwilioConference {
    const existing = this.#activeNamed(name);
    if (existing) return existing;
    const conf = new TwilioConference(this.ctx.sid('CF'), name, {
      ctx: this.ctx,
      hooks: this.hooks,
      options: this.options,
      announce: (p, url, method) => this.#announce(conf, p, url, method),
    });
    this.#conferences.set(conf.sid, conf);
    return conf;
  }

  /** Media streams of a call, oldest first. */
  streamsOf(callSid: string): readonly TwilioMediaStream[] {
    return this.#streams.get(callSid) ?? [];
  }

  handles(pathname: string): boolean {
    return pathname.startsWith('/2010-04-01/');
  }

  handle(req: SimHttpRequest): Promise<SimHttpResponse> {
    return handleRest(this, req);
  }

  acceptInbound(leg: Leg): void {
    const config = this.#numbers.get(leg.to);
    const statusCallback: StatusCallbackConfig | undefined = config?.statusCallback
      ? {
          url: config.statusCallback,
          method: config.statusCallbackMethod ?? 'POST',
          events: new Set(['completed']),
        }
      : undefined;
    const call = this.#register(
      new TwilioCall(
        {
          sid: this.ctx.sid('CA'),
          direction: 'inbound',
          leg,
          statusCallback,
          ...(config?.voiceFallbackUrl === undefined
            ? {}
            : { fallback: { url: config.voiceFallbackUrl, method: config.voiceFallbackMethod ?? 'POST' } }),
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
      url: config.voiceUrl,
      method: config.voiceMethod ?? 'POST',
      kind: 'voice',
    });
  }

  /** Dials an endpoint for a new outbound call (REST create, `<Dial>`, Participants API). */
  dialOut(options: DialOutOptions): TwilioCall {
    const sid = this.ctx.sid('CA');
    const leg = this.ctx.network.dial({
      carrier: 'twilio',
      from: options.from,
      to: options.to,
      timeoutMs: options.timeoutMs,
      label: sid,
    });
    const call = this.#register(
      new TwilioCall(
        {
          sid,
          direction: options.direction,
          leg,
          ...(options.parentCallSid === undefined ? {} : { parentCallSid: options.parentCallSid }),
          ...(options.statusCallback === undefined ? {} : { statusCallback: options.statusCallback }),
          ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
        },
        this.ctx,
        this.hooks,
        this.options,
      ),
    );
    call.initiated();
    return call;
  }

  /** An outbound-api call runs `source` once answered. */
  runOnAnswer(
    call: TwilioCall,
    source: TwimlSource,
    options: { readonly machineDetection?: boolean; readonly sendDigits?: string } = {},
  ): void {
    this.#pendingSource.set(call.sid, source);
    const { machineDetection = false, sendDigits } = options;
    const fetch = (): void => {
      const src = this.#pendingSource.get(call.sid);
      this.#pendingSource.delete(call.sid);
      if (src && !call.leg.isEnded) void this.#runner(call).replace(src);
    };
    // `SendDigits`: keyed once connected, before the call's TwiML runs (UNCONFIRMED ordering).
    const run = (): void => {
      if (sendDigits === undefined) fetch();
      else void playDigits(call.leg, sendDigits, this.ctx.timers).then(fetch);
    };
    const off = call.leg.on((e) => {
      if (e.type !== 'leg.answered') return;
      off();
      if (!machineDetection) return run();
      // Synchronous `MachineDetection`: the Url is fetched once detection decided, with
      // `AnsweredBy` (`machine_start` in `Enable` mode; protocols.md §2.3).
      void detectAnsweringMachine(call.leg, this.ctx.clock, this.ctx.timers).then((verdict) => {
        call.answeredBy = verdict === 'machine' ? 'machine_start' : verdict;
        run();
      });
    });
  }

  /** A Participants-API call: joins `conf` once answered, hangs up when it leaves. */
  addApiParticipant(
    conf: TwilioConference,
    call: TwilioCall,
    options: ParticipantOptions,
  ): TwilioParticipant {
    this.#apiParticipants.set(call.sid, conf);
    const p = conf.addPending(call, options);
    void p.left.then((reason) => {
      if (this.#apiParticipants.get(call.sid) === conf) this.#apiParticipants.delete(call.sid);
      if (reason !== 'redirected' && !call.leg.isEnded) call.leg.hangup('completed', 'network');
    });
    return p;
  }

  /** REST update with `Url`/`Twiml`: the current TwiML is interrupted and `source` runs. */
  redirect(call: TwilioCall, source: TwimlSource): void {
    if (call.leg.state !== 'answered' && this.#pendingSource.has(call.sid)) {
      this.#pendingSource.set(call.sid, source);
      return;
    }
    const conf = this.#apiParticipants.get(call.sid);
    if (conf) {
      this.#apiParticipants.delete(call.sid);
      conf.leave(call.sid, 'redirected');
    }
    void this.#runner(call).replace(source);
  }

  startStream(call: TwilioCall, spec: StreamSpec): TwilioMediaStream {
    const stream = new TwilioMediaStream(this.ctx.sid('MZ'), call, spec, {
      ctx: this.ctx,
      options: this.options,
      hooks: this.hooks,
    });
    const list = this.#streams.get(call.sid) ?? [];
    list.push(stream);
    this.#streams.set(call.sid, list);
    return stream;
  }

  markupError(callSid: string, code: number, message: string): void {
    this.ctx.log.add({ carrier: 'twilio', callSid }, { type: 'markup.error', code, message });
  }

  reportError(callSid: string, err: unknown): void {
    this.ctx.log.add(
      { carrier: 'twilio', callSid },
      {
        type: 'sim.error',
        code: 'twilio.internal',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      },
    );
  }

  async stop(): Promise<void> {
    this.hooks.stop();
    for (const call of this.#calls.values()) call.leg.hangup('failed', 'network', 503);
    await Promise.all([...this.#runners.values()].map((r) => r.interrupt('hangup')));
    await Promise.all([...this.#streams.values()].flat().map((s) => s.stop()));
    for (const conf of this.#conferences.values()) conf.room.close();
  }

  #activeNamed(name: string): TwilioConference | undefined {
    for (const c of this.#conferences.values())
      if (c.friendlyName === name && c.status !== 'completed') return c;
    return undefined;
  }

  #register(call: TwilioCall): TwilioCall {
    this.#calls.set(call.sid, call);
    void call.leg.ended.then(async () => {
      this.#pendingSource.delete(call.sid);
      await this.#runners.get(call.sid)?.interrupt('hangup');
      await Promise.all(this.streamsOf(call.sid).map((s) => s.stop()));
    });
    return call;
  }

  #runner(call: TwilioCall): TwimlRunner {
    let runner = this.#runners.get(call.sid);
    if (!runner) {
      runner = new TwimlRunner(this, call);
      this.#runners.set(call.sid, runner);
    }
    return runner;
  }

  async #announce(
    conf: TwilioConference,
    p: TwilioParticipant,
    url: string,
    method: 'GET' | 'POST',
  ): Promise<boolean> {
    const reply = await this.hooks.fetchMarkup({
      kind: 'announce',
      url,
      method,
      params: {
        AccountSid: this.accountSid,
        ConferenceSid: conf.sid,
        FriendlyName: conf.friendlyName,
        CallSid: p.call.sid,
      },
      callSid: p.call.sid,
      conferenceSid: conf.sid,
    });
    if (!reply.ok) {
      this.markupError(p.call.sid, reply.code, reply.message);
      return false;
    }
    try {
      const doc = parseTwiml(reply.body);
      const abort = new AbortController();
      const off = p.call.leg.on((e) => {
        if (e.type === 'leg.ended') abort.abort();
      });
      const result = await runAudioDocument(
        this.ctx,
        this.options,
        p.call.leg,
        doc,
        abort.signal,
        (raw) => resolveUrl(raw, url),
        p.call.sid,
      );
      off();
      if (result === 'hangup') p.call.leg.hangup('completed', 'network');
      return result !== 'interrupted';
    } catch (err) {
      this.markupError(p.call.sid, 12100, err instanceof Error ? err.message : String(err));
      return false;
    }
  }
}
