import { CarrierError, DaemonError } from '../../src/domain/errors.js';
import { isRetryableError, type RetryDeps, type RetryPolicy, withRetry } from '../../src/lib/retry.js';
import type {
  AddParticipantOptions,
  CallInstructions,
  CarrierControl,
  CommandOptions,
  ConferenceControl,
  ConferenceRef,
  CreateCallOptions,
  ParticipantRef,
  UpdateParticipantOptions,
} from '../types.js';
import { toPlivoAddress } from './addresses.js';
import { isNotFound, neverReachedPlivo, type PlivoReply, PlivoRestClient } from './rest-client.js';
import { buildCallbackUrl } from './routes.js';

/** How the daemon reaches Plivo's REST API (protocols.md §3.4). */
export interface PlivoControlOptions {
  readonly authId: string;
  readonly authToken: string;
  /** Default https://api.plivo.com; a simulator's URL in tests and demos. */
  readonly apiBase?: string;
  /** The daemon's public URL: where a transferred call asks for its next document. */
  readonly publicUrl: string;
  readonly retry: RetryPolicy;
  /** Passed to `withRetry` (tests pass a `sleep` that does not wait; metrics hook `onRetry`). */
  readonly retryDeps?: RetryDeps;
}

/** REST control through {@link PlivoRestClient}, every request under the retry policy. */
export function createPlivoControl(options: PlivoControlOptions): CarrierControl & ConferenceControl {
  return new PlivoControl(options);
}

/** A conference member as `GET /Conference/{name}/` lists it (§3.4). */
interface Member {
  readonly member_id: string;
  readonly call_uuid: string;
}

let transferSeq = 0;

/**
 * `machine_detection_time`: how long Plivo analyses the answered leg, ms (2000–10000; Plivo's
 * default 5000, sent explicitly so the daemon's own bound on the verdict matches it).
 */
export const PLIVO_MACHINE_DETECTION_TIME_MS = 5000;

class PlivoControl implements CarrierControl, ConferenceControl {
  readonly #rest: PlivoRestClient;
  readonly #publicUrl: string;
  readonly #retry: RetryPolicy;
  readonly #retryDeps: RetryDeps;

  constructor(options: PlivoControlOptions) {
    this.#rest = new PlivoRestClient({
      authId: options.authId,
      authToken: options.authToken,
      ...(options.apiBase === undefined ? {} : { apiBase: options.apiBase }),
    });
    this.#publicUrl = options.publicUrl;
    this.#retry = options.retry;
    this.#retryDeps = options.retryDeps ?? {};
  }

  /**
   * `calls.transfer` (§3.4, §3.6): `POST /Call/{uuid}/ legs=aleg aleg_url`. Plivo takes a URL,
   * never inline XML, so a document is not sent: the call is transferred to its continuation URL
   * on the daemon, which answers from the call's saved state — the same state the document was
   * rendered from (the runtime commits before it runs effects). Repeatable: the same transfer
   * twice leaves the call in the same place.
   */
  async redirectCall(
    carrierCallId: string,
    next: CallInstructions,
    options: CommandOptions = {},
  ): Promise<void> {
    transferSeq += 1;
    const url =
      'url' in next
        ? next.url
        : buildCallbackUrl(this.#publicUrl, 'voice', { callId: carrierCallId, seq: 1_000_000 + transferSeq });
    await this.#run(
      options.once !== true,
      'POST',
      `Call/${seg(carrierCallId)}/`,
      { legs: 'aleg', aleg_url: url, aleg_method: 'POST' },
      options.until,
    );
  }

  /**
   * `DELETE /Call/{uuid}/` (→ 204). A leg the daemon placed may still be known by the
   * `request_uuid` Plivo answered the create with (its CallUUID arrives with its first callback):
   * then `DELETE /Request/{uuid}/` cancels it. Already gone is success.
   */
  async hangupCall(carrierCallId: string, options: CommandOptions = {}): Promise<void> {
    try {
      await this.#run(true, 'DELETE', `Call/${seg(carrierCallId)}/`, undefined, options.until);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await this.#run(true, 'DELETE', `Request/${seg(carrierCallId)}/`, undefined, options.until);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * `GET /Call/{uuid}/?status=live` (plivo-node's `LiveCallInterface.get`): 200 while the call is
   * live, 404 once it is not.
   */
  async callLive(carrierCallId: string): Promise<boolean> {
    try {
      await this.#run(true, 'GET', `Call/${seg(carrierCallId)}/?status=live`, undefined);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * `POST /Call/` with `answer_url` (fetched when the human answers), `ring_url` and `hangup_url`
   * (the leg's progress) and `ring_timeout`. Resolves with the `request_uuid`. Retried only when
   * Plivo certainly did not act (429, connection refused), so a human is never dialed twice.
   */
  async createCall(options: CreateCallOptions): Promise<{ readonly carrierCallId: string }> {
    if (!('url' in options.next)) {
      throw new DaemonError(
        'carrier_unsupported',
        'Plivo fetches a new call’s XML from answer_url: pass a URL',
      );
    }
    const events = options.statusCallbackEvents ?? ['ringing', 'answered', 'completed'];
    const progress = options.statusCallbackUrl;
    const reply = await this.#run(false, 'POST', 'Call/', {
      from: toPlivoAddress(options.from),
      to: toPlivoAddress(options.to),
      answer_url: options.next.url,
      answer_method: 'POST',
      // Asked when Plivo cannot get or parse the answer XML (5xx, timeout, refused).
      ...(options.fallbackUrl === undefined
        ? {}
        : { fallback_url: options.fallbackUrl, fallback_method: 'POST' }),
      ring_timeout: options.timeoutSec,
      ...(options.sendDigits === undefined ? {} : { send_digits: options.sendDigits }),
      // Asynchronous detection (plivo-node `machineDetection*`, docs "Asynchronous machine
      // detection"): the answer XML runs at once, the verdict is posted to machine_detection_url.
      ...(options.machineDetection === true
        ? {
            machine_detection: 'true',
            machine_detection_time: PLIVO_MACHINE_DETECTION_TIME_MS,
            ...(options.machineDetectionUrl === undefined
              ? {}
              : { machine_detection_url: options.machineDetectionUrl, machine_detection_method: 'POST' }),
          }
        : {}),
      ...(progress !== undefined && events.includes('ringing')
        ? { ring_url: progress, ring_method: 'POST' }
        : {}),
      ...(progress !== undefined && events.includes('completed')
        ? { hangup_url: progress, hangup_method: 'POST' }
        : {}),
    });
    const uuid = requestUuid(reply.body);
    if (uuid === undefined)
      throw new CarrierError('plivo', reply.status, undefined, 'plivo answered without a request_uuid');
    return { carrierCallId: uuid };
  }

  /**
   * Plivo has no REST request that dials a number straight into a conference; the daemon dials the
   * human with {@link createCall} and joins them with the XML it answers their `answer_url` with.
   */
  async addParticipant(_options: AddParticipantOptions): Promise<{ readonly carrierCallId: string }> {
    throw new DaemonError('carrier_unsupported', 'Plivo cannot dial into a conference over REST');
  }

  /**
   * Conference members are addressed by `member_id`, looked up by call UUID (§3.4). Hold is deaf +
   * mute (Plivo has no hold); `holdUrl` and `announceUrl` are played to the member with
   * `Member/{id}/Play/`, which takes an audio file URL (not XML).
   */
  async updateParticipant(options: UpdateParticipantOptions): Promise<void> {
    const member = await this.#member(options);
    if (member === undefined)
      throw new CarrierError('plivo', 404, undefined, 'plivo has no such conference member');
    const base = `Conference/${seg(options.room)}/Member/${seg(member.member_id)}/`;
    if (options.hold !== undefined) {
      const method = options.hold ? 'POST' : 'DELETE';
      await this.#run(true, method, `${base}Deaf/`, {});
      await this.#run(true, method, `${base}Mute/`, {});
      if (options.hold && options.holdUrl !== undefined)
        await this.#run(true, 'POST', `${base}Play/`, { url: options.holdUrl });
      if (!options.hold) await this.#ignoreMissing(() => this.#run(true, 'DELETE', `${base}Play/`, {}));
    }
    if (options.muted !== undefined)
      await this.#run(true, options.muted ? 'POST' : 'DELETE', `${base}Mute/`, {});
    if (options.announceUrl !== undefined)
      await this.#run(true, 'POST', `${base}Play/`, { url: options.announceUrl });
  }

  /** Kicks the member (its call continues with the XML after `<Conference>`). Gone is success. */
  async removeParticipant(options: ParticipantRef): Promise<void> {
    const member = await this.#member(options);
    if (member === undefined) return;
    await this.#ignoreMissing(() =>
      this.#run(true, 'POST', `Conference/${seg(options.room)}/Member/${seg(member.member_id)}/Kick/`, {}),
    );
  }

  /** `DELETE /Conference/{name}/`. An already-ended conference is success. */
  async endConference(conference: ConferenceRef): Promise<void> {
    await this.#ignoreMissing(() =>
      this.#run(true, 'DELETE', `Conference/${seg(conference.room)}/`, undefined),
    );
  }

  async #member(ref: ParticipantRef): Promise<Member | undefined> {
    let reply: PlivoReply;
    try {
      reply = await this.#run(true, 'GET', `Conference/${seg(ref.room)}/`, undefined);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const members = isObject(reply.body) && Array.isArray(reply.body['members']) ? reply.body['members'] : [];
    for (const m of members) {
      if (!isObject(m)) continue;
      const memberId = m['member_id'];
      const callUuid = m['call_uuid'];
      if (typeof memberId !== 'string' && typeof memberId !== 'number') continue;
      if (callUuid === ref.participant || String(memberId) === ref.participant) {
        return { member_id: String(memberId), call_uuid: typeof callUuid === 'string' ? callUuid : '' };
      }
    }
    return undefined;
  }

  async #ignoreMissing(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * One REST request under the retry policy. `repeatable` requests are retried on any retryable
   * error; creating a call only when Plivo certainly did not act, since a timed-out create may
   * have dialed the human already.
   */
  async #run(
    repeatable: boolean,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body: object | undefined,
    until?: AbortSignal,
  ): Promise<PlivoReply> {
    try {
      return await withRetry(
        (_attempt, signal) => this.#rest.request(method, path, body, signal),
        this.#retry,
        repeatable ? isRetryableError : neverReachedPlivo,
        until === undefined ? this.#retryDeps : { ...this.#retryDeps, until },
      );
    } catch (err) {
      if (err instanceof CarrierError) throw err;
      // withRetry's own deadline fired: no answer arrived.
      throw new CarrierError('plivo', 0, undefined, 'plivo request timed out');
    }
  }
}

/** `request_uuid` of a create: a string, or a list for a bulk `to` (the first is ours). */
function requestUuid(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const value = body['request_uuid'];
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
