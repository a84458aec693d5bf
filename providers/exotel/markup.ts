import { DaemonError } from '../../src/domain/errors.js';
import type {
  CarrierMarkup,
  DialColdOptions,
  Markup,
  StreamMarkupOptions,
  WebhookRequest,
  WebhookRoute,
} from '../types.js';
import { appletOf } from './routes.js';

/**
 * Exotel takes no instruction documents: its call flow is built once in the dashboard
 * (docs/exotel.md), and each applet that asks the daemon "what next?" understands one kind of
 * answer. So the markup here is the daemon's decision — where the caller should be — and
 * {@link fitExotelAnswer} says it the way the asking applet understands:
 *
 * | Decision | Voicebot (`/exotel/voice`) | Passthru `next` | Connect `dial-up` | Passthru `dial-action` |
 * |---|---|---|---|---|
 * | stream (the AI) | `{"url":"wss://…"}` | 200 → Connect (it fails, → Voicebot) | no number (→ Passthru → Voicebot) | 200 → Voicebot |
 * | dial | 409 (not at the AI) | 200 → Connect | the number, or Programmable Connect JSON | 302 → Passthru `next` |
 * | hangup | 409 | 302 → Hangup | no number | 302 → Passthru `next` → Hangup |
 *
 * Invariant 1 (DESIGN.md) holds through the flow itself: whatever the Voicebot's stream ends
 * with, the Passthru `next` asks the daemon again.
 */

export type ExotelDecision =
  | { readonly next: 'stream'; readonly url: string }
  | {
      readonly next: 'dial';
      readonly to: string;
      readonly callerId: string;
      readonly timeoutSec: number;
      readonly whisper?: string;
      readonly hold?: { readonly audioUrl?: string };
    }
  | { readonly next: 'hangup' };

const DECISION_TYPE = 'application/vnd.patchthrough.exotel-decision+json';

/** Exotel's limits on Voicebot custom parameters (§4.1). */
const MAX_CUSTOM_PARAMETERS = 3;
const MAX_CUSTOM_PARAMETER_CHARS = 256;

function decide(decision: ExotelDecision): Markup {
  return { contentType: DECISION_TYPE, body: JSON.stringify(decision) };
}

/**
 * The call's stream URL: the media socket with the per-call custom parameters in its query
 * (Exotel echoes up to 3 of them, 256 characters in all, in `start.custom_parameters`, §4.1).
 * The continuation is the flow's Passthru `next`, not something a document can name.
 */
export function answerWithStream(options: StreamMarkupOptions): Markup {
  const entries = Object.entries(options.parameters);
  const url = new URL(options.streamUrl);
  for (const [name, value] of entries) url.searchParams.set(name, value);
  if (entries.length > MAX_CUSTOM_PARAMETERS || url.search.length - 1 > MAX_CUSTOM_PARAMETER_CHARS) {
    throw new DaemonError(
      'exotel_custom_parameters',
      'exotel takes at most 3 custom parameters, 256 characters',
    );
  }
  return decide({ next: 'stream', url: url.toString() });
}

/** Cold transfer: the Connect applet dials `to` when it asks (seed 003, "AI disconnects first"). */
export function dialCold(options: DialColdOptions): Markup {
  return decide({
    next: 'dial',
    to: options.to,
    callerId: options.callerId,
    timeoutSec: options.timeoutSec,
    ...(options.whisper === undefined ? {} : { whisper: options.whisper }),
    ...(options.hold === undefined ? {} : { hold: options.hold }),
  });
}

export function hangup(): Markup {
  return decide({ next: 'hangup' });
}

function noConference(): never {
  throw new DaemonError(
    'carrier_unsupported',
    'exotel has no conference: warm transfers run as cold with hold music and a whisper',
  );
}

export const exotelMarkup: CarrierMarkup = Object.freeze({
  answerWithStream,
  dialCold,
  conferenceHold: noConference,
  whisperThenJoin: noConference,
  hangup,
});

/** The decision a markup carries, if it is one of these. */
export function decisionOf(markup: Markup): ExotelDecision | undefined {
  if (markup.contentType !== DECISION_TYPE) return undefined;
  return JSON.parse(markup.body) as ExotelDecision;
}

/** See the table above. Anything that is not a decision goes out unchanged. */
export function fitExotelAnswer(route: WebhookRoute, req: WebhookRequest, markup: Markup): Markup {
  const decision = decisionOf(markup);
  if (decision === undefined) return markup;
  switch (appletOf(route)) {
    case 'voicebot':
      return decision.next === 'stream'
        ? { contentType: 'application/json', body: JSON.stringify({ url: decision.url }) }
        : // The caller belongs elsewhere: the Voicebot fails, and the flow moves on to the Passthru.
          branch(409);
    case 'next':
      return branch(decision.next === 'hangup' ? 302 : 200);
    case 'dialAction':
      return branch(decision.next === 'stream' ? 200 : 302);
    case 'dialUp':
      return dialWhom(decision, programmable(req));
    case 'status':
    case undefined:
      return markup;
  }
}

/** A Passthru's answer: only the status counts (200 → one branch, 302 → the other, §4.6). */
function branch(status: number): Markup {
  return { contentType: 'text/plain', body: '', status };
}

/** Programmable Connect asks with `Exotel-Version` (§4.7); the plain "dial whom" URL does not. */
function programmable(req: WebhookRequest): boolean {
  return req.headers['exotel-version'] !== undefined;
}

/**
 * "Dial whom": the number as plain text (seed 003), or a Programmable Connect reply carrying the
 * ring timeout, the caller ID, and for a warm transfer run as cold the hold music and the whisper
 * (`start_call_playback` to the callee). Anything but a dial is no number at all: the Connect
 * applet then takes its "nobody answered" branch.
 */
function dialWhom(decision: ExotelDecision, json: boolean): Markup {
  if (!json) {
    return { contentType: 'text/plain', body: decision.next === 'dial' ? decision.to : '' };
  }
  if (decision.next !== 'dial') {
    return { contentType: 'application/json', body: JSON.stringify({ destination: { numbers: [] } }) };
  }
  const reply = {
    fetch_after_attempt: false,
    destination: { numbers: [decision.to] },
    outgoing_phone_number: decision.callerId,
    record: false,
    max_ringing_duration: decision.timeoutSec,
    parallel_ringing: { activate: false, max_parallel_attempts: 1 },
    ...(decision.hold === undefined ? {} : { music_on_hold: { type: 'default_tone' } }),
    ...(decision.whisper === undefined || decision.whisper.trim() === ''
      ? {}
      : { start_call_playback: { playback_to: 'callee', type: 'text', value: decision.whisper } }),
  };
  return { contentType: 'application/json', body: JSON.stringify(reply) };
}
