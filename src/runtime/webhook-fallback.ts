import type { CarrierAdapter, CarrierEvent, WebhookKind, WebhookRequest } from '../../providers/types.js';
import type { CallInput } from './call-reducer.js';
import type { CallDispatcher } from './engine.js';
import type { WebhookAnswer } from './webhooks.js';

/**
 * Requests to a fallback URL: the carrier could not get or run the markup of a request (a worker
 * died mid-request, a 5xx, a timeout) and asks its fallback URL, naming the failed request
 * (Twilio `ErrorUrl`). The request is answered again as that request, from saved state like any
 * continuation; webhooks are deduped, so one the dead worker had applied changes nothing twice.
 */

/** The route and query of `url` when it is one of this carrier's webhooks on `publicUrl`. */
export function ownRoute(
  adapter: CarrierAdapter,
  publicUrl: string,
  url: string,
): { kind: WebhookKind; query: WebhookRequest['params'] } | undefined {
  let parsed: URL;
  let base: URL;
  try {
    parsed = new URL(url);
    base = new URL(publicUrl);
  } catch {
    return undefined;
  }
  if (parsed.origin !== base.origin) return undefined;
  const prefix = base.pathname.replace(/\/+$/, '');
  const path = parsed.pathname.startsWith(prefix) ? parsed.pathname.slice(prefix.length) : undefined;
  const route = adapter.routes.webhooks.find((r) => r.path === path);
  if (route === undefined) return undefined;
  const query: Record<string, string> = {};
  for (const [name, value] of parsed.searchParams) query[name] = value;
  return { kind: route.kind, query };
}

/**
 * Answers a fallback request with `route` (the failed request's own handling). The call's
 * timeline gets `markup.failed` before and `markup.recovered` once answered: a call that ends in
 * between (the answer never reached the carrier) ends `error`, never as the caller's hang-up.
 */
export async function answerFallback(
  engine: CallDispatcher,
  event: CarrierEvent,
  errorCode: string | undefined,
  route: () => Promise<WebhookAnswer>,
): Promise<WebhookAnswer> {
  const callId = callIdOf(event);
  const key = `${event.dedupeKey}:fallback:${errorCode ?? '-'}`;
  const note = async (input: CallInput, suffix: string): Promise<void> => {
    if (callId !== undefined) await engine.dispatch(callId, input, `${key}:${suffix}`);
  };
  await note(
    { type: 'call.note', event: 'markup.failed', ...(errorCode === undefined ? {} : { detail: errorCode }) },
    'failed',
  );
  const answer = await route();
  if (answer.status === 200) await note({ type: 'call.note', event: 'markup.recovered' }, 'recovered');
  return answer;
}

/** The caller's call an event is about. */
function callIdOf(event: CarrierEvent): string | undefined {
  if ('callId' in event && event.callId !== undefined) return event.callId;
  return 'carrierCallId' in event ? event.carrierCallId : undefined;
}
