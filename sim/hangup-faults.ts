/**
 * The `human.hangup` and `caller.hangup` faults: a person hangs up at a moment named by what
 * the call is doing (a human's leg ringing, a whisper, hold audio, the parties joined), whatever
 * the endpoint's script says. Each rule is consumed when its phase starts on a matching leg.
 */
import type { Timers } from './clock.js';
import type { SimCall } from './endpoints/caller.js';
import type { CallerHangupPhase, Faults, HangupPhase } from './faults.js';
import type { AudioLabel } from './heard.js';
import type { Leg } from './leg.js';

type Phase = HangupPhase | 'hold';

/** Calls `fn` once per phase, the first time the leg enters it. */
function onPhases(leg: Leg, fn: (phase: Phase) => void): void {
  const seen = new Set<Phase>();
  const enter = (phase: Phase) => {
    if (seen.has(phase) || leg.isEnded) return;
    seen.add(phase);
    fn(phase);
  };
  if (leg.state === 'ringing') enter('ringing');
  const offEvents = leg.on((e) => {
    if (e.type === 'leg.ringing') enter('ringing');
  });
  const offHear = leg.onHear((label: AudioLabel) => {
    if (label.source.startsWith('party:')) enter('joined');
    else if ((label.source === 'say' || label.source === 'play') && !seen.has('joined')) enter('whisper');
    else if (label.source === 'hold') enter('hold');
  });
  void leg.ended.then(() => {
    offEvents();
    offHear();
  });
}

export class HangupFaults {
  readonly #faults: Faults;
  readonly #timers: Timers;
  /** Callers still up, oldest first. */
  readonly #callers: SimCall[] = [];

  constructor(faults: Faults, timers: Timers) {
    this.#faults = faults;
    this.#timers = timers;
  }

  /** A carrier dialed the human at `address` on `leg`. */
  watchHuman(address: string, leg: Leg): void {
    onPhases(leg, (phase) => {
      if (phase !== 'hold') this.#humanPhase(address, leg, phase);
      if (phase === 'ringing' || phase === 'whisper') this.#callerPhaseElsewhere(leg.carrier, phase);
    });
  }

  /** A caller placed a call. */
  watchCaller(call: SimCall): void {
    this.#callers.push(call);
    void call.ended.then(() => {
      const i = this.#callers.indexOf(call);
      if (i >= 0) this.#callers.splice(i, 1);
    });
    onPhases(call.leg, (phase) => {
      if (phase === 'hold' || phase === 'joined') this.#callerPhase(call, phase);
    });
  }

  #humanPhase(address: string, leg: Leg, phase: HangupPhase): void {
    const rule = this.#faults.take(
      'human.hangup',
      (r) => r.phase === phase && (r.address === undefined || r.address === address),
      { carrier: leg.carrier, callSid: leg.label, detail: phase },
    );
    if (!rule) return;
    this.#later(leg, rule.afterMs ?? 0, () => {
      if (phase === 'ringing') {
        if (leg.state === 'ringing' || leg.state === 'dialing') leg.hangup('declined', 'endpoint');
      } else leg.hangup('completed', 'endpoint');
    });
  }

  /** A human's leg rang or heard a whisper: the oldest caller of that carrier still up may hang up. */
  #callerPhaseElsewhere(carrier: string, phase: 'ringing' | 'whisper'): void {
    for (const call of this.#callers) {
      if (call.leg.carrier !== carrier || call.state !== 'answered') continue;
      if (this.#callerPhase(call, phase)) return;
    }
  }

  #callerPhase(call: SimCall, phase: CallerHangupPhase): boolean {
    const rule = this.#faults.take(
      'caller.hangup',
      (r) =>
        r.phase === phase &&
        (r.carrier === undefined || r.carrier === call.leg.carrier) &&
        (r.to === undefined || r.to === call.to),
      { carrier: call.leg.carrier, callSid: call.sid, detail: phase },
    );
    if (!rule) return false;
    this.#later(call.leg, rule.afterMs ?? 0, () => call.hangup());
    return true;
  }

  #later(leg: Leg, ms: number, fn: () => void): void {
    const cancel = this.#timers.after(ms, () => {
      if (!leg.isEnded) fn();
    });
    void leg.ended.then(cancel);
  }
}
