import type { CarrierAdapter } from '../../../providers/types.js';
import type { Carrier } from '../../domain/carrier.js';
import { CarrierError } from '../../domain/errors.js';
import type { Log } from '../../log.js';
import type { CallEngine } from '../../runtime/engine.js';
import { endedBeforeRecorded } from '../../runtime/placed-calls.js';
import type { OutboundRequest, OutboundResult } from './calls-port.js';

export interface CarrierOutboundOptions {
  readonly adapters: ReadonlyMap<Carrier, CarrierAdapter>;
  readonly engine: CallEngine;
  readonly log?: Log;
  /** How long the lead's phone rings, seconds. Default 30. */
  readonly ringTimeoutSec?: number;
}

/**
 * Places an agent's outbound call (seed 003: from the agent's outbound number to a lead) with the
 * carrier's REST `createCall`, then records the call under the id the create answered with. When
 * the lead answers, the carrier asks the voice webhook (on Exotel: runs the outbound flow, whose
 * Voicebot asks it), which finds that record and connects the lead to the agent's stream like
 * any call; status callbacks end it, a lead who never answers included (`no_answer`). A carrier
 * that names the answered call by a new id (Plivo: `CallUUID` after the create's `request_uuid`)
 * sends both, and the call goes on under the new id (`boundTo` on the first record).
 *
 * The answer URL carries no call id: the id is the carrier's and only known once `createCall`
 * returned. A carrier that fetched the answer URL before its own REST answer reached the daemon
 * would find no record (the lead would hear a hang-up); real carriers fetch it only after the
 * lead's phone rang and was picked up.
 */
export function carrierOutbound(
  options: CarrierOutboundOptions,
): (request: OutboundRequest) => Promise<OutboundResult> {
  return async (request) => {
    const adapter = options.adapters.get(request.carrier);
    if (adapter === undefined) {
      return {
        status: 'refused',
        code: 'carrier_not_configured',
        detail: `no ${request.carrier} credentials`,
      };
    }
    const next = adapter.outboundNext();
    if (typeof next === 'string') {
      return { status: 'refused', code: 'outbound_not_configured', detail: next };
    }
    let carrierCallId: string;
    try {
      ({ carrierCallId } = await adapter.control.createCall({
        to: request.to,
        from: request.from,
        next: { url: next.url },
        // The same (idempotent) webhook: should the worker answering it fail, another one does.
        fallbackUrl: next.url,
        statusCallbackUrl: next.statusCallbackUrl,
        statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
        timeoutSec: options.ringTimeoutSec ?? 30,
      }));
    } catch (err) {
      if (!(err instanceof CarrierError)) throw err;
      options.log?.warn(
        { agentId: request.agentId, status: err.status, carrierCode: err.carrierCode },
        'outbound.carrier_refused',
      );
      return {
        status: 'failed',
        code: 'carrier_error',
        detail: `the carrier refused the call (${err.carrierCode ?? err.status})`,
      };
    }
    await options.engine.createCall({
      callId: carrierCallId,
      carrier: request.carrier,
      agentId: request.agentId,
      agentVersion: request.agentVersion,
      direction: 'outbound',
      from: request.from,
      to: request.to,
      ...(request.lead === undefined ? {} : { lead: request.lead }),
    });
    options.log?.info(
      { callId: carrierCallId, agentId: request.agentId, carrier: request.carrier },
      'outbound.placed',
    );
    if (await endedBeforeRecorded(options.engine.store, carrierCallId)) {
      // The lead's line was over before the create answered (its callback overtook it).
      await options.engine.dispatch(
        carrierCallId,
        { type: 'call.ended', status: 'failed' },
        `outbound:${carrierCallId}:ended-early`,
      );
    }
    return { status: 'started', callId: carrierCallId };
  };
}
