import twilio from 'twilio';
import { CarrierError } from '../../src/domain/errors.js';
import { isRetryableError, type RetryDeps, type RetryPolicy, withRetry } from '../../src/lib/retry.js';
import type {
  AddParticipantOptions,
  CallInstructions,
  CallProgressEvent,
  CarrierControl,
  CommandOptions,
  ConferenceControl,
  ConferenceRef,
  CreateCallOptions,
  ParticipantRef,
  UpdateParticipantOptions,
} from '../types.js';
import {
  isNotFound,
  neverReachedTwilio,
  TWILIO_API_BASE,
  TwilioHttpClient,
  toCarrierError,
} from './rest-client.js';

/** How the daemon reaches Twilio's REST API (protocols.md §2.4). */
export interface TwilioControlOptions {
  /** `AC…`; the account every request is made for. */
  readonly accountSid: string;
  /** Used for Basic auth unless an API key is given. */
  readonly authToken: string;
  /** Optional API key (`SK…`) + secret for REST instead of the auth token. */
  readonly apiKey?: { readonly sid: string; readonly secret: string };
  /** Default https://api.twilio.com; a simulator's URL in tests and demos. */
  readonly apiBase?: string;
  readonly retry: RetryPolicy;
  /** Passed to `withRetry` (tests pass a `sleep` that does not wait; metrics hook `onRetry`). */
  readonly retryDeps?: RetryDeps;
}

const DEFAULT_PROGRESS: readonly CallProgressEvent[] = ['ringing', 'answered', 'completed'];
/** Everything the transfer machines listen to (§2.6); Twilio keeps only the first participant's list. */
const CONFERENCE_EVENTS = ['start', 'end', 'join', 'leave', 'hold', 'announcement'] as const;
/** A call's statuses while it is not over (§2.4). */
const LIVE_STATUSES: ReadonlySet<string> = new Set(['queued', 'ringing', 'in-progress']);
/** Room name → `CF…` of rooms looked up by this process; bounded, oldest evicted. */
const MAX_CACHED_CONFERENCES = 1024;

/** REST control through the official twilio-node SDK, pointed at `apiBase`. */
export function createTwilioControl(options: TwilioControlOptions): CarrierControl & ConferenceControl {
  return new TwilioControl(options);
}

type TwilioClient = ReturnType<typeof twilio>;
/** A twilio-node resource list whose every option is optional, for the SDK's `CallProgressEvent` type. */
type StatusCallbackEvents = NonNullable<
  Parameters<TwilioClient['calls']['create']>[0]['statusCallbackEvent']
>;

class TwilioControl implements CarrierControl, ConferenceControl {
  readonly #client: TwilioClient;
  readonly #retry: RetryPolicy;
  readonly #retryDeps: RetryDeps;
  readonly #conferenceSids = new Map<string, string>();

  constructor(options: TwilioControlOptions) {
    const httpClient = new TwilioHttpClient(options.apiBase ?? TWILIO_API_BASE, options.retry.timeoutMs);
    const [username, password] = options.apiKey
      ? [options.apiKey.sid, options.apiKey.secret]
      : [options.accountSid, options.authToken];
    this.#client = twilio(username, password, {
      accountSid: options.accountSid,
      httpClient,
      // The SDK's debug log prints request bodies, phone numbers included (invariant 8): pin it.
      logLevel: 'info',
      autoRetry: false,
    });
    this.#retry = options.retry;
    this.#retryDeps = options.retryDeps ?? {};
  }

  async redirectCall(
    carrierCallId: string,
    next: CallInstructions,
    options: CommandOptions = {},
  ): Promise<void> {
    // The same document twice leaves the call in the same place — unless it starts a dial (`once`).
    // A URL gets itself as the fallback: should the worker answering it fail, another one does.
    const fallback = 'url' in next ? { fallbackUrl: next.url, fallbackMethod: 'POST' as const } : {};
    await this.#run(
      options.once !== true,
      () => this.#client.calls(carrierCallId).update({ ...instructions(next), ...fallback }),
      options.until,
    );
  }

  async hangupCall(carrierCallId: string, options: CommandOptions = {}): Promise<void> {
    try {
      // `completed` hangs up whatever the state, ringing included (§2.4).
      await this.#run(
        true,
        () => this.#client.calls(carrierCallId).update({ status: 'completed' }),
        options.until,
      );
    } catch (err) {
      // Already over (or never existed): hanging up is done. 21220 "call is not in progress" is
      // the same fact (UNCONFIRMED for Status updates).
      if (isNotFound(err) || (err instanceof CarrierError && err.carrierCode === '21220')) return;
      throw err;
    }
  }

  /** `GET /Calls/{sid}.json`: live while `queued`, `ringing` or `in-progress`; unknown is over. */
  async callLive(carrierCallId: string): Promise<boolean> {
    try {
      const call = await this.#run(true, () => this.#client.calls(carrierCallId).fetch());
      return LIVE_STATUSES.has(call.status);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async createCall(options: CreateCallOptions): Promise<{ readonly carrierCallId: string }> {
    const call = await this.#run(false, () =>
      this.#client.calls.create({
        to: options.to,
        from: options.from,
        ...instructions(options.next),
        // Asked when Twilio cannot get or run the call's TwiML (availability-reliability docs).
        ...(options.fallbackUrl === undefined
          ? {}
          : { fallbackUrl: options.fallbackUrl, fallbackMethod: 'POST' as const }),
        ...(options.statusCallbackUrl === undefined
          ? {}
          : {
              statusCallback: options.statusCallbackUrl,
              statusCallbackMethod: 'POST',
              statusCallbackEvent: progressEvents(options.statusCallbackEvents),
            }),
        timeout: restRingTimeoutSec(options.timeoutSec, 1),
        // Synchronous detection: the answer URL is fetched once it decided, with `AnsweredBy`.
        ...(options.machineDetection === true ? { machineDetection: 'Enable' } : {}),
        ...(options.sendDigits === undefined ? {} : { sendDigits: options.sendDigits }),
      }),
    );
    return { carrierCallId: call.sid };
  }

  async addParticipant(options: AddParticipantOptions): Promise<{ readonly carrierCallId: string }> {
    // The room's friendly name works in the path and creates the room on first use (§2.4).
    const conference = options.carrierConferenceId ?? options.room;
    const participant = await this.#run(false, () =>
      this.#client.conferences(conference).participants.create({
        from: options.from,
        to: options.to,
        label: options.label,
        timeout: restRingTimeoutSec(options.timeoutSec, 5),
        beep: 'false',
        startConferenceOnEnter: options.startConferenceOnEnter ?? true,
        endConferenceOnExit: options.endConferenceOnExit ?? false,
        ...(options.muted === undefined ? {} : { muted: options.muted }),
        ...(options.statusCallbackUrl === undefined
          ? {}
          : {
              statusCallback: options.statusCallbackUrl,
              statusCallbackMethod: 'POST',
              statusCallbackEvent: progressEvents(options.statusCallbackEvents),
            }),
        ...(options.conferenceStatusCallbackUrl === undefined
          ? {}
          : {
              conferenceStatusCallback: options.conferenceStatusCallbackUrl,
              conferenceStatusCallbackMethod: 'POST',
              conferenceStatusCallbackEvent: [...CONFERENCE_EVENTS],
            }),
      }),
    );
    return { carrierCallId: participant.callSid };
  }

  async updateParticipant(options: UpdateParticipantOptions): Promise<void> {
    const sid = await this.#conferenceSid(options);
    if (sid === undefined) throw new CarrierError('twilio', 404, '20404', 'twilio has no such conference');
    await this.#run(true, () =>
      this.#client
        .conferences(sid)
        .participants(options.participant)
        .update({
          ...(options.hold === undefined ? {} : { hold: options.hold }),
          // A static file or TwiML bin answers GET (also Twilio's default for HoldMethod).
          ...(options.holdUrl === undefined ? {} : { holdUrl: options.holdUrl, holdMethod: 'GET' }),
          ...(options.announceUrl === undefined
            ? {}
            : { announceUrl: options.announceUrl, announceMethod: 'POST' }),
          ...(options.muted === undefined ? {} : { muted: options.muted }),
        }),
    );
  }

  async removeParticipant(options: ParticipantRef): Promise<void> {
    const sid = await this.#conferenceSid(options);
    if (sid === undefined) return;
    try {
      await this.#run(true, () => this.#client.conferences(sid).participants(options.participant).remove());
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  async endConference(conference: ConferenceRef): Promise<void> {
    const sid = await this.#conferenceSid(conference);
    if (sid === undefined) return;
    try {
      await this.#run(true, () => this.#client.conferences(sid).update({ status: 'completed' }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  /**
   * Participant and conference updates need the `CF…` sid. Looked up by friendly name among the
   * rooms not yet completed — including `init`, a room whose only participant waits on hold.
   */
  async #conferenceSid(ref: ConferenceRef): Promise<string | undefined> {
    if (ref.carrierConferenceId !== undefined) return ref.carrierConferenceId;
    const cached = this.#conferenceSids.get(ref.room);
    if (cached !== undefined) return cached;
    const page = await this.#run(true, () =>
      this.#client.conferences.page({ friendlyName: ref.room, pageSize: 20 }),
    );
    const live = page.instances.find((conference) => conference.status !== 'completed');
    if (live === undefined) return undefined;
    if (this.#conferenceSids.size >= MAX_CACHED_CONFERENCES) {
      const oldest = this.#conferenceSids.keys().next();
      if (!oldest.done) this.#conferenceSids.delete(oldest.value);
    }
    this.#conferenceSids.set(ref.room, live.sid);
    return live.sid;
  }

  /**
   * One REST request under the retry policy. `repeatable` requests are retried on any retryable
   * error; creating a call or participant only when Twilio certainly did not act (429, connection
   * refused), since a timed-out create may have dialed the human already.
   */
  async #run<T>(repeatable: boolean, op: () => Promise<T>, until?: AbortSignal): Promise<T> {
    try {
      return await withRetry(
        async () => {
          try {
            return await op();
          } catch (err) {
            throw toCarrierError(err);
          }
        },
        this.#retry,
        repeatable ? isRetryableError : neverReachedTwilio,
        until === undefined ? this.#retryDeps : { ...this.#retryDeps, until },
      );
    } catch (err) {
      if (err instanceof CarrierError) throw err;
      // withRetry's own deadline fired: no answer arrived.
      throw new CarrierError('twilio', 0, undefined, 'twilio request timed out');
    }
  }
}

function instructions(next: CallInstructions): { url: string; method: 'POST' } | { twiml: string } {
  return 'url' in next ? { url: next.url, method: 'POST' } : { twiml: next.body };
}

function progressEvents(events: readonly CallProgressEvent[] | undefined): StatusCallbackEvents {
  return [...(events ?? DEFAULT_PROGRESS)];
}

/**
 * Twilio adds up to 5 s to the `Timeout` of a call it places by REST (twilio-node `call.d.ts`:
 * "For some call flows, we will add a 5-second buffer … a timeout value of 10 seconds could
 * result in an actual timeout closer to 15 seconds"; `participant.d.ts`: "We always add a
 * 5-second timeout buffer to outgoing calls"). So the daemon asks for 5 s less, and the human's
 * phone stops ringing by the ring timeout the user configured, not 5 s after it. `min`: the
 * least Twilio accepts (Calls 1, Participants 5 — there a 5 s setting can still ring 10 s).
 */
export const TWILIO_REST_TIMEOUT_BUFFER_SEC = 5;

export function restRingTimeoutSec(configuredSec: number, min: number): number {
  return Math.max(min, configuredSec - TWILIO_REST_TIMEOUT_BUFFER_SEC);
}
