import type { CallRecord } from '../runtime/call-record.js';
import type { CallEffect } from '../runtime/call-reducer.js';
import type { EffectRunner, RunContext } from '../runtime/engine.js';
import type { Metrics } from './metrics.js';
import { transferTimings } from './transfer-timings.js';

/**
 * Counts what applied events did, from their effects, then runs them with `inner`. The engine
 * runs effects only for an event it saved, and each event is saved once across all workers, so
 * every transfer start, refusal and end is counted exactly once.
 */
export function meteredRunner(inner: EffectRunner, metrics: Metrics): EffectRunner {
  return {
    run(record: CallRecord, effects: readonly CallEffect[], context: RunContext): Promise<void> {
      for (const effect of effects) observe(metrics, record, effect);
      return inner.run(record, effects, context);
    },
  };
}

function observe(metrics: Metrics, record: CallRecord, effect: CallEffect): void {
  switch (effect.type) {
    case 'transfer.accepted': {
      const t = record.transfer;
      if (t !== null)
        metrics.transferStarted({ mode: t.mode, trigger: t.plan.trigger, carrier: record.carrier });
      return;
    }
    case 'transfer.refused':
      metrics.transferRefused(effect.refusal);
      return;
    case 'call.finished':
      metrics.callEnded(record.carrier, effect.endedReason);
      return;
    case 'effect.abandoned':
      metrics.effectAbandoned(effect.effect);
      return;
    case 'transfer': {
      const t = record.transfer;
      if (effect.effect.type !== 'transfer.ended' || t === null || t.transferId !== effect.transferId) return;
      metrics.transferEnded({
        mode: t.mode,
        outcome: effect.effect.outcome,
        carrier: record.carrier,
        ...transferTimings(t),
        ...(effect.effect.bridge === 'unconfirmed' ? { bridgeUnconfirmed: true } : {}),
      });
      return;
    }
    default:
      return;
  }
}
