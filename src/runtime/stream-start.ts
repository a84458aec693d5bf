import type { CallRecord } from './call-record.js';

/** What a carrier stream's `start` reads before it joins the call's session. */
export interface StreamStartDeps {
  /** The media token's check: `false` at once when not signed for the call, else its claim. */
  readonly verifyToken: (callId: string, token: string | undefined) => Promise<boolean> | false;
  readonly read: (callId: string) => Promise<CallRecord | undefined>;
  /** Whether this worker has a session for the call (then no holder is needed). */
  readonly hasSession: (callId: string) => boolean;
  /** The worker holding the call's agent socket (`takeOver`'s question); absent: not read here. */
  readonly holder?: (callId: string) => Promise<string | null>;
}

export type StreamStartReads =
  | { readonly admitted: false }
  | {
      readonly admitted: true;
      readonly record: CallRecord | undefined;
      /** The socket's holder as read with the others; undefined when it was not read. */
      readonly holder?: string | null;
    };

/**
 * The token's claim, the call's record and the socket's holder asked together: issued in one
 * tick, the store sends them in one socket write (corked-sender.ts) and Redis answers them in one
 * round trip, where one after the other they cost three of each. The reads change nothing and are
 * used only once the token is admitted; a token not signed for the call is refused before any of
 * them is sent. A failed read fails the start, as it did when it was made on its own.
 */
export async function readForStreamStart(
  deps: StreamStartDeps,
  callId: string,
  token: string | undefined,
): Promise<StreamStartReads> {
  const admitting = deps.verifyToken(callId, token);
  if (admitting === false) return { admitted: false };
  const [admitted, record, holder] = await Promise.allSettled([
    admitting,
    deps.read(callId),
    deps.hasSession(callId) ? undefined : deps.holder?.(callId),
  ]);
  if (admitted.status === 'rejected') throw admitted.reason;
  if (!admitted.value) return { admitted: false };
  if (record.status === 'rejected') throw record.reason;
  // A holder that could not be read is asked again by `takeOver`, which fails the start if it fails.
  if (holder.status === 'rejected' || holder.value === undefined)
    return { admitted: true, record: record.value };
  return { admitted: true, record: record.value, holder: holder.value };
}
