import twilio from 'twilio';
import type {
  CarrierMarkup,
  ConferenceHoldOptions,
  DialColdOptions,
  Markup,
  PauseThenAskOptions,
  StreamMarkupOptions,
  WhisperOptions,
} from '../types.js';

/**
 * TwiML built with twilio-node's `VoiceResponse` (protocols.md §2.2, §2.5), so escaping and
 * attribute names are Twilio's own.
 *
 * Invariant 1 (DESIGN.md): every document that hosts a stream — or that the caller could run off
 * the end of — ends with `<Redirect method="POST">` back to the daemon. Never a trailing
 * `<Pause>`: when the stream closes Twilio runs the next verb, and a pause followed by nothing
 * hangs the caller up (reference/peers.md).
 */

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

const CONTENT_TYPE = 'text/xml';

function done(response: VoiceResponse): Markup {
  return { contentType: CONTENT_TYPE, body: response.toString() };
}

function continueAt(response: VoiceResponse, continuationUrl: string): void {
  response.redirect({ method: 'POST' }, continuationUrl);
}

/**
 * `<Connect><Stream>` is bidirectional and blocks until the socket closes; Twilio then runs the
 * next verb, the `<Redirect>` (§2.2). Per-call data goes in `<Parameter>`s, which come back in
 * `start.customParameters` (§2.3), never in the Stream url.
 */
export function answerWithStream(options: StreamMarkupOptions): Markup {
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect().stream({ url: options.streamUrl });
  for (const [name, value] of Object.entries(options.parameters)) stream.parameter({ name, value });
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * Cold transfer: `<Dial action>` decides what comes next (§2.5: Twilio requests the action with
 * `DialCallStatus` when the dial ends, and runs the TwiML it returns). The leg's own progress goes
 * to the noun's `statusCallback`. The trailing `<Redirect>` is only reached should Twilio ever
 * continue past `<Dial>` — cheap insurance against a dropped caller.
 */
export function dialCold(options: DialColdOptions): Markup {
  const response = new twilio.twiml.VoiceResponse();
  if (options.announce !== undefined) response.say(options.announce);
  const dial = response.dial({
    callerId: options.callerId,
    timeout: options.timeoutSec,
    action: options.actionUrl,
    method: 'POST',
  });
  const progress = {
    statusCallback: options.statusCallbackUrl,
    statusCallbackMethod: 'POST' as const,
    statusCallbackEvent: ['ringing' as const, 'answered' as const, 'completed' as const],
  };
  if (options.to.startsWith('sip:')) dial.sip(progress, options.to);
  else
    dial.number(
      // `<Number sendDigits>`: keyed once the human answered (an extension behind a switchboard).
      options.sendDigits === undefined ? progress : { ...progress, sendDigits: options.sendDigits },
      options.to,
    );
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * Warm transfer, caller side. `startConferenceOnEnter="false"`: the caller hears `waitUrl` until a
 * participant who starts the conference (the human) arrives — hold audio with no extra REST call.
 * `endConferenceOnExit="true"`: a caller who hangs up ends the room, so no human is briefed into
 * an empty room (invariant 5). When the caller leaves the room, the `<Redirect>` asks the daemon.
 */
export function conferenceHold(options: ConferenceHoldOptions): Markup {
  const response = new twilio.twiml.VoiceResponse();
  if (options.announce !== undefined) response.say(options.announce);
  response.dial().conference(
    {
      startConferenceOnEnter: false,
      endConferenceOnExit: true,
      beep: 'false',
      // A static file or TwiML bin answers GET; Twilio's default waitMethod is POST.
      ...(options.holdAudioUrl === undefined ? {} : { waitUrl: options.holdAudioUrl, waitMethod: 'GET' }),
      statusCallback: options.statusCallbackUrl,
      statusCallbackMethod: 'POST',
      statusCallbackEvent: ['start', 'end', 'join', 'leave', 'hold', 'announcement'],
      participantLabel: options.label ?? 'caller',
    },
    options.room,
  );
  continueAt(response, options.continuationUrl);
  return done(response);
}

/**
 * Warm transfer, human side: `<Say>` plays to this leg only, then the human joins and starts the
 * conference (the caller's wait audio stops, they hear each other). No stream here, so no
 * continuation: when the room ends, the human's call ends.
 */
export function whisperThenJoin(options: WhisperOptions): Markup {
  const response = new twilio.twiml.VoiceResponse();
  if (options.text.trim().length > 0) response.say(options.text);
  response.dial().conference(
    {
      startConferenceOnEnter: true,
      // Once the human leaves, the room ends and the caller's call asks what next (a hang-up
      // after a connected transfer) instead of sitting alone in silence.
      endConferenceOnExit: true,
      beep: 'false',
      ...(options.label === undefined ? {} : { participantLabel: options.label }),
      ...(options.statusCallbackUrl === undefined
        ? {}
        : {
            statusCallback: options.statusCallbackUrl,
            statusCallbackEvent: ['start', 'end', 'join', 'leave'],
          }),
    },
    options.room,
  );
  return done(response);
}

export function hangup(): Markup {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return done(response);
}

/** `<Pause>` then `<Redirect>`: never a trailing pause, the document asks again. */
export function pauseThenAsk(options: PauseThenAskOptions): Markup {
  const response = new twilio.twiml.VoiceResponse();
  response.pause({ length: options.seconds });
  continueAt(response, options.continuationUrl);
  return done(response);
}

export const twilioMarkup: CarrierMarkup = Object.freeze({
  answerWithStream,
  pauseThenAsk,
  dialCold,
  conferenceHold,
  whisperThenJoin,
  hangup,
});
