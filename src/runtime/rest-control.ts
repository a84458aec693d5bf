import type { CarrierAdapter, CarrierEvent, WebhookKind } from '../../providers/types.js';
import { DaemonError } from '../domain/errors.js';
import type { Log } from '../log.js';
import type { WebhookAnswer } from './webhooks.js';

/**
 * Carriers driven by REST call control alone (`capabilities.callControl: 'rest'`, e.g. Telnyx)
 * ignore what a webhook is answered with: the document the daemon would have answered with is
 * sent as a REST command to the call it is for, and the webhook gets a bare 200.
 */
export async function pushIfRestControlled(
  adapter: CarrierAdapter,
  event: CarrierEvent,
  kind: WebhookKind,
  answer: WebhookAnswer,
  log: Log,
): Promise<WebhookAnswer> {
  if (adapter.capabilities.callControl !== 'rest' || answer.status !== 200 || answer.markup === undefined)
    return answer;
  const target = instructedCall(event, kind);
  if (target === undefined) return { status: 200 };
  try {
    await adapter.control.redirectCall(target, answer.markup);
  } catch (err) {
    log.warn(
      { carrier: adapter.carrier, callId: target, code: err instanceof DaemonError ? err.code : 'unknown' },
      'webhook.push_failed',
    );
  }
  return { status: 200 };
}

/**
 * The call a webhook's answer instructs: the caller's call for its own requests and a dial's
 * result (`dial-action`), the dialed leg for that leg's answer request.
 */
function instructedCall(event: CarrierEvent, kind: WebhookKind): string | undefined {
  switch (event.type) {
    case 'call.incoming':
    case 'stream.continuation':
      return event.carrierCallId;
    case 'leg.ringing':
    case 'leg.answered':
    case 'leg.ended':
      return kind === 'dial-action' ? event.callId : event.carrierCallId;
    default:
      return undefined;
  }
}
