import { mediaTokenNonce, verifyMediaToken } from '../../providers/index.js';
import type { Log } from '../log.js';
import type { Store } from '../store/types.js';
import { errorSummary } from './executor.js';

/**
 * How long an admitted token stays spent, ms: longer than any call lasts (the store expires a
 * call record not ended 24 h after its last change).
 */
export const MEDIA_TOKEN_SPENT_MS = 24 * 3_600_000;

/**
 * Admits a media socket's token once: valid for the call (HMAC, constant time), and its nonce
 * claimed in the shared store, so a second socket with the same token — on this worker or any
 * other — is refused and the live stream is left alone. The carrier gets a fresh token with
 * every instruction document, so a caller coming back to the AI brings a new one. A store that
 * does not answer refuses the socket (logged): admitting it could hand the call to a replay.
 * `false` at once (no promise) for a token not signed for the call: nothing was asked of the
 * store, and a caller may then skip the reads it would have sent alongside the claim.
 */
export function admitMediaToken(
  store: Pick<Store<unknown>, 'dedupe'>,
  callId: string,
  token: string | undefined,
  secret: string,
  log: Log,
): Promise<boolean> | false {
  const nonce = mediaTokenNonce(token);
  // Refused at once, without the store: a token not signed for this call.
  if (nonce === undefined || !verifyMediaToken(callId, token, secret)) return false;
  return claimNonce(store, callId, nonce, log);
}

async function claimNonce(
  store: Pick<Store<unknown>, 'dedupe'>,
  callId: string,
  nonce: string,
  log: Log,
): Promise<boolean> {
  try {
    const first = await store.dedupe.claim(`media-token:${nonce}`, { callId, ttlMs: MEDIA_TOKEN_SPENT_MS });
    if (!first) log.warn({ callId }, 'media.token_replayed');
    return first;
  } catch (err: unknown) {
    log.error({ callId, err: errorSummary(err) }, 'media.token_check_failed');
    return false;
  }
}
