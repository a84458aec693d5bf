/**
 * What the simulator saw of each call, kept as it happens: when the human's leg rang, when
 * the human heard the whisper and the caller, every stretch of silence the caller heard, and
 * any carrier error message. The kill loop listens here for the transfer state it waits for.
 */
import type { SimCall } from '../../sim/endpoints/caller.js';
import type { HumanEndpoint } from '../../sim/endpoints/human.js';
import type { Simulator } from '../../sim/simulator.js';
import type { KillState } from './plan.js';

/** A caller heard nothing from `fromMs` to `toMs` (performance.now()). */
export interface Gap {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface Observed {
  readonly index: number;
  readonly call: SimCall;
  readonly human: HumanEndpoint;
  readonly gaps: Gap[];
  /** Spoken texts the caller heard (a carrier's application error would be one). */
  readonly saysHeard: Set<string>;
  lastFrameMs: number;
}

/** Silences shorter than this are not gaps (frames are paced by timers on a loaded machine). */
const GAP_MS = 300;

export class Observer {
  readonly calls: Observed[] = [];
  readonly #bySid = new Map<string, Observed>();
  readonly #byIndex = new Map<number, Observed>();
  /** Human address → the index of the call transferred to it. */
  readonly #byHuman = new Map<string, number>();
  /** Human leg's carrier id → the index of the call it belongs to. */
  readonly #humanLegs = new Map<string, number>();
  #listener: ((state: KillState, call: Observed | undefined) => void) | undefined;
  readonly #unsubscribe: () => void;

  constructor(sim: Simulator) {
    this.#unsubscribe = sim.log.subscribe((e) => {
      if (e.type === 'leg.created' && e.direction === 'outbound' && e.callSid !== undefined) {
        const owner = this.#byHuman.get(e.to);
        if (owner !== undefined) this.#humanLegs.set(e.callSid, owner);
      } else if (e.type === 'leg.ringing' && e.callSid !== undefined) {
        const owner = this.#humanLegs.get(e.callSid);
        if (owner !== undefined) this.#emit('ringing', this.#byIndex.get(owner));
      } else if (e.type === 'fault.applied' && e.fault === 'webhook.slow') {
        this.#emit('markup', e.callSid === undefined ? undefined : this.#bySid.get(e.callSid));
      }
    });
  }

  /** Listens for transfer states (one listener at a time; `undefined` stops listening). */
  onState(fn: ((state: KillState, call: Observed | undefined) => void) | undefined): void {
    this.#listener = fn;
  }

  /** Declares the human a call will be transferred to, before the call is placed. */
  expectHuman(index: number, human: HumanEndpoint): void {
    this.#byHuman.set(human.address, index);
  }

  add(index: number, call: SimCall, human: HumanEndpoint): Observed {
    const o: Observed = {
      index,
      call,
      human,
      gaps: [],
      saysHeard: new Set(),
      lastFrameMs: performance.now(),
    };
    this.calls.push(o);
    this.#bySid.set(call.sid, o);
    this.#byIndex.set(index, o);
    call.heard.onRecord((_leg, label) => {
      // A stream's digital silence is nothing heard.
      if (label.level === 'silence') return;
      const now = performance.now();
      if (now - o.lastFrameMs > GAP_MS) o.gaps.push({ fromMs: o.lastFrameMs, toMs: now });
      o.lastFrameMs = now;
      if (label.source === 'say' && label.text !== undefined) o.saysHeard.add(label.text);
    });
    let whisper = false;
    let joined = false;
    human.heard.onRecord((_leg, label) => {
      if (!whisper && (label.source === 'say' || label.source === 'play') && !joined) {
        whisper = true;
        this.#emit('whisper', o);
      } else if (!joined && label.source.startsWith('party:')) {
        joined = true;
        this.#emit('connected', o);
      }
    });
    return o;
  }

  bySid(sid: string): Observed | undefined {
    return this.#bySid.get(sid);
  }

  stop(): void {
    this.#unsubscribe();
    this.#listener = undefined;
  }

  #emit(state: KillState, call: Observed | undefined): void {
    this.#listener?.(state, call);
  }
}
