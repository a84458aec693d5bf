import { CarrierError, DaemonError } from '../../src/domain/errors.js';
import { isRetryableError, type RetryDeps, type RetryPolicy, withRetry } from '../../src/lib/retry.js';
import type { CallProgressEvent, CarrierControl, ConferenceControl, CreateCallOptions } from '../types.js';
import { ExotelRestClient, type ExotelRestOptions, neverReachedExotel } from './rest-client.js';

export interface ExotelControlOptions extends ExotelRestOptions {
  readonly retry: RetryPolicy;
  readonly retryDeps?: RetryDeps;
}

/**
 * Exotel's REST control (protocols.md §4.3, §4.8). Exotel has no REST request that redirects or
 * ends a live call, and no conferences: a Voicebot call moves on through its flow when the daemon
 * closes the stream (`streamCloseMovesCaller`), so the runtime never asks for a redirect. What
 * REST can do is place calls: `Calls/connect`.
 */
export function createExotelControl(options: ExotelControlOptions): CarrierControl & ConferenceControl {
  const client = new ExotelRestClient(options);
  const unsupported = (what: string) => async (): Promise<never> => {
    throw new DaemonError('carrier_unsupported', `exotel cannot ${what} (no such REST request)`);
  };
  return Object.freeze({
    redirectCall: unsupported('redirect a live call'),
    /**
     * No REST request ends an Exotel call. A leg the Connect applet dialed ends when the caller
     * leaves it or at the applet's ring timeout; the caller's own call ends through the flow's
     * Hangup once its stream closes. Nothing to do here, by design.
     */
    hangupCall: async () => {},
    async createCall(call: CreateCallOptions): Promise<{ readonly carrierCallId: string }> {
      const form = connectForm(call);
      const answer = await withRetry(
        (_attempt, signal) => client.post('Calls/connect', form, signal),
        options.retry,
        // A timed-out create may have dialed already: retry only what certainly did not reach Exotel.
        neverReachedExotel,
        options.retryDeps ?? {},
      ).catch((err: unknown) => {
        if (err instanceof CarrierError) throw err;
        throw new CarrierError('exotel', 0, undefined, 'exotel request timed out');
      });
      const sid = (answer as { Call?: { Sid?: unknown } }).Call?.Sid;
      if (typeof sid !== 'string' || sid === '') {
        throw new CarrierError('exotel', 200, undefined, 'exotel answered Calls/connect without Call.Sid');
      }
      return { carrierCallId: sid };
    },
    /**
     * The Call Details API (`GET Calls/{sid}.json`), which Exotel's StatusCallback page points at
     * for a callback that did not come: live while `queued`, `ringing` or `in-progress`; over once
     * `completed`, `failed`, `busy`, `no-answer` (or unknown to Exotel: 404).
     */
    async callLive(carrierCallId: string): Promise<boolean> {
      let answer: unknown;
      try {
        answer = await withRetry(
          (_attempt, signal) => client.get(`Calls/${encodeURIComponent(carrierCallId)}`, signal),
          options.retry,
          isRetryableError, // a read: repeating it is always safe
          options.retryDeps ?? {},
        );
      } catch (err) {
        if (err instanceof CarrierError && err.status === 404) return false;
        if (err instanceof CarrierError) throw err;
        throw new CarrierError('exotel', 0, undefined, 'exotel request timed out');
      }
      const status = (answer as { Call?: { Status?: unknown } }).Call?.Status;
      if (typeof status !== 'string') {
        throw new CarrierError('exotel', 200, undefined, 'exotel answered Calls/{sid} without Call.Status');
      }
      return LIVE_STATUSES.has(status.toLowerCase());
    },
    addParticipant: unsupported('add a conference participant'),
    updateParticipant: unsupported('update a conference participant'),
    removeParticipant: unsupported('remove a conference participant'),
    endConference: unsupported('end a conference'),
  } satisfies CarrierControl & ConferenceControl);
}

/** Exotel's call statuses while a call is not over (Call Details API). */
const LIVE_STATUSES = new Set(['queued', 'ringing', 'in-progress']);

/**
 * `Calls/connect` (§4.3): Exotel rings `From` first, then runs `next`: a `ws(s)://` URL is a
 * Voice AI stream (`StreamUrl`, bidirectional); any other URL is a flow (`Url`, e.g.
 * `http://my.exotel.com/{sid}/exoml/start_voice/{app_id}`). Exotel takes no documents.
 */
export function connectForm(call: CreateCallOptions): URLSearchParams {
  if (!('url' in call.next)) {
    throw new DaemonError(
      'carrier_unsupported',
      'exotel places calls to a flow or a stream URL, not a document',
    );
  }
  const form = new URLSearchParams({ From: call.to, CallerId: call.from, CallType: 'trans' });
  if (/^wss?:\/\//.test(call.next.url)) {
    form.set('StreamUrl', call.next.url);
    form.set('StreamType', 'bidirectional');
  } else {
    form.set('Url', call.next.url);
  }
  form.set('TimeOut', String(call.timeoutSec));
  if (call.statusCallbackUrl !== undefined) {
    form.set('StatusCallback', call.statusCallbackUrl);
    form.set('StatusCallbackContentType', 'application/json');
    for (const event of statusEvents(call.statusCallbackEvents)) form.append('StatusCallbackEvents[]', event);
  }
  return form;
}

/** Exotel reports `ringing`, `answered` and `terminal` (§4.3, §4.5); `initiated` has no twin. */
function statusEvents(events: readonly CallProgressEvent[] | undefined): string[] {
  const wanted = events ?? ['ringing', 'answered', 'completed'];
  const out = new Set<string>();
  for (const event of wanted) {
    if (event === 'ringing') out.add('ringing');
    else if (event === 'answered') out.add('answered');
    else if (event === 'completed') out.add('terminal');
  }
  out.add('terminal');
  return [...out];
}
