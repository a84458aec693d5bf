/**
 * The virtual phone network: addresses (E.164 numbers, `sip:` URIs) mapped to scripted
 * endpoints, callers placing inbound calls to carrier numbers, carriers dialing endpoints.
 * Carrier-neutral; front-ends register themselves here.
 */
import type { AudioSpec } from './audio.js';
import type { Clock, Ticker, Timers } from './clock.js';
import { SimCall } from './endpoints/caller.js';
import { type HumanBehaviour, HumanEndpoint } from './endpoints/human.js';
import { Voice } from './endpoints/voice.js';
import { SimError } from './errors.js';
import type { Faults } from './faults.js';
import type { CarrierFrontEnd } from './front-end.js';
import { HangupFaults } from './hangup-faults.js';
import { Heard, type HeardSegment } from './heard.js';
import { Leg } from './leg.js';
import type { SimLog } from './log.js';

export interface NetworkOptions {
  /** Keep the bytes every party hears (for `heard.audio()`); default true. */
  readonly keepAudio?: boolean;
  /** How addresses nobody added behave when dialed; default `{ type: 'fail' }` (SIP 404). */
  readonly unknownNumber?: HumanBehaviour;
}

export interface PlaceCallOptions {
  /** Which carrier's front-end receives the call: `twilio`, … */
  readonly carrier: string;
  readonly from: string;
  /** A number configured on that carrier's front-end. */
  readonly to: string;
  /** What the caller says once answered; nothing by default. */
  readonly audio?: AudioSpec;
  /** Hang up this long after the carrier answers. */
  readonly hangupAfterMs?: number;
}

export interface DialOptions {
  readonly carrier: string;
  readonly from: string;
  readonly to: string;
  /** Ring this long at most, then the network cancels the leg as `no-answer`. */
  readonly timeoutMs: number;
  /** The carrier's id for the new leg. */
  readonly label: string;
}

export interface NetworkDeps {
  readonly clock: Clock;
  readonly ticker: Ticker;
  readonly timers: Timers;
  readonly log: SimLog;
  /** The fault registry, for `human.hangup` and `caller.hangup`; none without it. */
  readonly faults?: Faults;
}

export class Network {
  readonly #deps: NetworkDeps;
  readonly #keepAudio: boolean;
  readonly #unknown: HumanBehaviour;
  readonly #humans = new Map<string, HumanEndpoint>();
  readonly #frontEnds = new Map<string, CarrierFrontEnd>();
  readonly #calls: SimCall[] = [];
  readonly #legs: Leg[] = [];
  readonly #hangups: HangupFaults | undefined;
  readonly #callListeners = new Set<(call: SimCall) => void>();
  #nextLeg = 1;

  constructor(deps: NetworkDeps, options: NetworkOptions = {}) {
    this.#deps = deps;
    this.#hangups = deps.faults ? new HangupFaults(deps.faults, deps.timers) : undefined;
    this.#keepAudio = options.keepAudio ?? true;
    this.#unknown = options.unknownNumber ?? { type: 'fail' };
    deps.log.setHeardLookup((sid) => this.heardOn(sid));
  }

  /** Called by the simulator for each front-end it starts. */
  registerFrontEnd(frontEnd: CarrierFrontEnd): void {
    this.#frontEnds.set(frontEnd.carrier, frontEnd);
  }

  /** Adds (or re-scripts) a human at `address`; default: answers after 1 s. */
  addHuman(address: string, behaviour: HumanBehaviour = { type: 'answer' }): HumanEndpoint {
    const existing = this.#humans.get(address);
    if (existing) {
      existing.setBehaviour(behaviour);
      return existing;
    }
    const human = new HumanEndpoint(address, behaviour, { ...this.#deps, keepAudio: this.#keepAudio });
    this.#humans.set(address, human);
    return human;
  }

  /** The human at `address`; throws `sim.unknown_endpoint` if none was added. */
  endpoint(address: string): HumanEndpoint {
    const human = this.#humans.get(address);
    if (!human) throw new SimError('sim.unknown_endpoint', `no endpoint at ${address}`);
    return human;
  }

  hasEndpoint(address: string): boolean {
    return this.#humans.has(address);
  }

  /**
   * Calls `fn` for each call placed from now on, before its carrier sees it (so faults installed
   * there apply to its first webhook). Returns a function that stops it.
   */
  onCall(fn: (call: SimCall) => void): () => void {
    this.#callListeners.add(fn);
    return () => {
      this.#callListeners.delete(fn);
    };
  }

  /** Every call placed with {@link placeCall}, oldest first. */
  get calls(): readonly SimCall[] {
    return this.#calls;
  }

  /** Every leg, oldest first. */
  get legs(): readonly Leg[] {
    return this.#legs;
  }

  /**
   * A caller dials a carrier number. Resolves once the carrier has the call (its id is
   * `call.sid`); a number no front-end serves fails at once (SIP 404).
   */
  async placeCall(options: PlaceCallOptions): Promise<SimCall> {
    const frontEnd = this.#frontEnds.get(options.carrier);
    if (!frontEnd) throw new SimError('sim.no_front_end', `no front-end for carrier ${options.carrier}`);
    const heard = new Heard(this.#keepAudio);
    const leg = this.#newLeg('inbound', options.carrier, options.from, options.to, heard);
    const voice = new Voice(this.#deps.ticker, leg);
    const call = new SimCall(leg, heard, voice, this.#deps.timers);
    this.#calls.push(call);
    if (options.audio) voice.say(options.audio);
    if (options.hangupAfterMs !== undefined) {
      const ms = options.hangupAfterMs;
      const off = leg.on((e) => {
        if (e.type !== 'leg.answered') return;
        off();
        const cancel = this.#deps.timers.after(ms, () => call.hangup());
        void leg.ended.then(cancel);
      });
    }
    leg.ring();
    if (!frontEnd.ownsNumber(options.to)) {
      this.#logLeg(leg);
      leg.hangup('failed', 'network', 404);
      return call;
    }
    this.#hangups?.watchCaller(call);
    for (const fn of this.#callListeners) fn(call);
    frontEnd.acceptInbound(leg);
    this.#logLeg(leg);
    return call;
  }

  /** A carrier dials `to`; the endpoint's script drives the leg, and it is canceled at `timeoutMs`. */
  dial(options: DialOptions): Leg {
    const human = this.#humans.get(options.to);
    const endpoint =
      human ?? new HumanEndpoint(options.to, this.#unknown, { ...this.#deps, keepAudio: this.#keepAudio });
    const leg = this.#newLeg('outbound', options.carrier, options.from, options.to, endpoint.heard);
    leg.label = options.label;
    this.#logLeg(leg);
    const cancel = this.#deps.timers.after(options.timeoutMs, () => {
      if (leg.state === 'dialing' || leg.state === 'ringing') leg.hangup('no-answer', 'network', 487);
    });
    void leg.ended.then(cancel);
    this.#hangups?.watchHuman(options.to, leg);
    endpoint.receive(leg);
    return leg;
  }

  /** Everything heard on the leg whose carrier id is `label`. */
  heardOn(label: string): HeardSegment[] {
    for (const call of this.#calls) if (call.sid === label) return call.heard.onLeg(label);
    for (const human of this.#humans.values()) {
      if (human.legs.some((l) => l.label === label)) return human.heard.onLeg(label);
    }
    return [];
  }

  /** Ends every leg still up (network side). */
  stop(): void {
    for (const leg of this.#legs) leg.hangup('failed', 'network', 503);
  }

  #newLeg(direction: 'inbound' | 'outbound', carrier: string, from: string, to: string, heard: Heard): Leg {
    const leg = new Leg({
      id: `leg-${this.#nextLeg++}`,
      direction,
      from,
      to,
      carrier,
      clock: this.#deps.clock,
      ticker: this.#deps.ticker,
      heard,
    });
    this.#legs.push(leg);
    return leg;
  }

  #logLeg(leg: Leg): void {
    const { log } = this.#deps;
    const ctx = () => ({ carrier: leg.carrier, callSid: leg.label });
    log.add(ctx(), {
      type: 'leg.created',
      legId: leg.id,
      direction: leg.direction,
      from: leg.from,
      to: leg.to,
    });
    if (leg.state === 'ringing') log.add(ctx(), { type: 'leg.ringing' });
    leg.on((e) => {
      if (e.type === 'leg.ringing') log.add(ctx(), { type: 'leg.ringing' });
      else if (e.type === 'leg.answered') log.add(ctx(), { type: 'leg.answered' });
      else if (e.type === 'leg.ended') {
        log.add(ctx(), { type: 'leg.ended', status: e.end.status, by: e.end.by, sipCode: e.end.sipCode });
      }
    });
    if (leg.isEnded && leg.end) {
      const end = leg.end;
      log.add(ctx(), { type: 'leg.ended', status: end.status, by: end.by, sipCode: end.sipCode });
    }
  }
}
