import type { Time } from '../../src/lib/time.js';
import { silentLogger } from '../../src/log.js';
import type { CallRecord } from '../../src/runtime/call-record.js';
import type { CallEffect, CallInput } from '../../src/runtime/call-reducer.js';
import type { ReplyBody, RunContext } from '../../src/runtime/engine.js';
import { EffectExecutor } from '../../src/runtime/executor.js';
import { LegReplies } from '../../src/runtime/replies.js';
import { SessionRegistry } from '../../src/runtime/sessions.js';
import type { TransferEffect } from '../../src/transfer/machine-types.js';
import {
  CALLER,
  type Command,
  FakeCarrier,
  fakeSession,
  HUMAN,
  LEG0,
  RECORDS,
  type RecordName,
  T1,
} from './shell-fakes.js';

/**
 * One executor per test over the shell fakes: a fake carrier (REST commands recorded, failing
 * on demand), the call's session with a fake agent transport behind a real media bridge held by
 * this worker (or not), a relay to another worker (or none), a dispatch recording what is fed
 * back, and a reply slot when a webhook is waiting for markup.
 */

export const LEG1 = `${T1}:1`;
export const tx = (effect: TransferEffect): CallEffect => ({ type: 'transfer', transferId: T1, effect });
export const dial = (mode: 'cold' | 'warm', legId = LEG0, callerId = CALLER): CallEffect =>
  tx({ type: 'carrier.dial', legId, to: HUMAN, callerId, timeoutMs: 20_000, mode });

export class Slot {
  readonly offered: { kind: 'caller' | 'leg'; type: string }[] = [];
  offer(kind: 'caller' | 'leg', body: ReplyBody): boolean {
    this.offered.push({ kind, type: body.type });
    return true;
  }
}

export interface Setup {
  readonly record?: RecordName | (() => CallRecord);
  /** A webhook is waiting for markup (its reply slot is offered). */
  readonly reply?: boolean;
  /** The call's sockets are held by this worker. */
  readonly session?: boolean;
  /** A carrier whose flow moves the caller when the stream closes (Exotel). */
  readonly streamClose?: boolean;
  /** A relay to the worker holding the sockets (false: none holds them). */
  readonly relay?: boolean;
  readonly relayed?: boolean;
  readonly fail?: { readonly op: Command['op']; readonly err: Error; readonly count?: number };
  /** The call's saved state as the executor reads it back after a command (default: none read). */
  readonly current?: RecordName | (() => CallRecord);
  /** A dial was already sent to the caller's call (`callerDial`): claiming it again changes nothing. */
  readonly dialClaimed?: boolean;
  /** The executor's timers (default the process's own). */
  readonly time?: Time;
  /** Whether this worker holds the call's sockets (default: not asked). */
  readonly holdsSockets?: boolean;
}

export function harness(setup: Setup) {
  const carrier = new FakeCarrier(setup.streamClose === true ? { streamCloseMovesCaller: true } : {});
  if (setup.fail !== undefined) carrier.fail(setup.fail.op, setup.fail.err, setup.fail.count);
  const sessions = new SessionRegistry();
  const local = fakeSession();
  if (setup.session !== false) sessions.set(local.session);
  const fed: CallInput[] = [];
  const relayedEffects: CallEffect[] = [];
  const legReplies = new LegReplies();
  const executor = new EffectExecutor({
    adapterFor: () => carrier.adapter,
    sessions,
    log: silentLogger(),
    media: (callId) => ({ callId }),
    legReplies,
    ...(setup.time === undefined ? {} : { time: setup.time }),
    ...(setup.holdsSockets === undefined ? {} : { holdsSockets: async () => setup.holdsSockets === true }),
    ...(setup.relay === undefined
      ? {}
      : {
          relay: async (_callId: string, effect: CallEffect) => {
            relayedEffects.push(effect);
            return setup.relay === true;
          },
        }),
  });
  const current = setup.current;
  executor.bind(
    async (_callId, input) => {
      fed.push(input);
      return input.type === 'caller.dial_sent' && setup.dialClaimed === true ? 'unchanged' : 'applied';
    },
    current === undefined
      ? undefined
      : async () => (typeof current === 'function' ? current() : RECORDS[current]()),
  );
  const slot = new Slot();
  const context: RunContext = {
    ...(setup.reply === true ? { reply: slot } : {}),
    ...(setup.relayed === true ? { relayed: true } : {}),
  };
  const from = setup.record ?? 'coldDialing';
  const record = typeof from === 'function' ? from() : RECORDS[from]();
  return { carrier, sessions, local, fed, relayedEffects, legReplies, executor, slot, context, record };
}
