/**
 * The Connect applet (protocols.md §4.7): "dial whom" from static numbers or a URL — a plain-text
 * number, or a Programmable Connect JSON reply (`destination.numbers`, `max_ringing_duration`,
 * `outgoing_phone_number`, `music_on_hold`, `start_call_playback`, `fetch_after_attempt`,
 * `dial_passthru_event_url`) — then dials the numbers one after the other. While a number rings
 * the caller hears ringback, or hold music when asked; a callee who answers hears the playback
 * first, then is bridged with the caller. The applet's status events (`Dial`, `Ringing`,
 * `Answered`, `Terminal`) go to its events URL. Nobody answering takes the "no answer" branch,
 * with the last attempt's `DialCallStatus` for the applets after it.
 */
import { aborted } from '../../aborted.js';
import { SIGNALS } from '../../audio.js';
import { bridge } from '../../conference-room.js';
import type { Leg, LegEndStatus } from '../../leg.js';
import { play } from '../../player.js';
import type { ExotelCall } from './call.js';
import { exotelTime } from './call.js';
import type { ExotelFrontEnd } from './front-end.js';
import type { HookParams } from './hooks.js';
import { exotelNumber } from './numbers.js';
import type { ExotelApplet } from './options.js';

type ConnectApplet = Extract<ExotelApplet, { type: 'connect' }>;

/** What "dial whom" resolved to. */
interface DialPlan {
  numbers: string[];
  ringSec: number;
  callerId: string;
  /** `music_on_hold.type`, when the caller should hear hold music rather than ringback. */
  hold?: string;
  playback?: { readonly to: 'callee' | 'both'; readonly kind: 'text' | 'audio_url'; readonly value: string };
  maxConversationSec: number;
  eventsUrl?: string;
  fetchAfterAttempt: boolean;
}

export type ConnectOutcome = 'answered' | 'no-answer' | 'hangup';

const NUMBER = /^(\+?\d{6,15}|sip:\S+)$/;
const MAX_CONVERSATION_SEC = 14_400;

export async function runConnect(
  fe: ExotelFrontEnd,
  call: ExotelCall,
  applet: ConnectApplet,
  signal: AbortSignal,
): Promise<ConnectOutcome> {
  let plan = await dialPlan(fe, call, applet, signal);
  if (signal.aborted) return 'hangup';
  call.lastDial = { status: 'failed', durationSec: 0, answered: false };
  while (plan.numbers.length > 0) {
    const to = plan.numbers.shift() as string;
    const outcome = await attempt(fe, call, applet, plan, to, signal);
    if (outcome !== 'no-answer') return outcome;
    if (plan.fetchAfterAttempt && 'url' in applet.dialWhom) {
      plan = await dialPlan(fe, call, applet, signal);
      if (signal.aborted) return 'hangup';
    }
  }
  return 'no-answer';
}

async function attempt(
  fe: ExotelFrontEnd,
  call: ExotelCall,
  applet: ConnectApplet,
  plan: DialPlan,
  to: string,
  signal: AbortSignal,
): Promise<ConnectOutcome> {
  const { ctx } = fe;
  const dialSid = ctx.sid('');
  if (!fe.ownsNumber(plan.callerId)) {
    // Exotel dials only from the account's ExoPhones (`outgoing_phone_number`, the applet's caller ID).
    ctx.log.add(
      { carrier: 'exotel', callSid: call.sid },
      {
        type: 'markup.error',
        code: 400,
        message: 'outgoing_phone_number is not an ExoPhone of this account',
      },
    );
    call.lastDial = {
      status: 'failed',
      dialCallSid: dialSid,
      dialWhomNumber: to,
      durationSec: 0,
      answered: false,
    };
    return 'no-answer';
  }
  const waiting = play(
    ctx.ticker,
    call.leg,
    plan.hold === undefined ? { source: 'ringback' } : { source: 'hold', url: plan.hold },
    plan.hold === undefined ? SIGNALS.ringback() : SIGNALS.hold(),
    signal,
  );
  const event = (type: string, extra: HookParams = {}) =>
    plan.eventsUrl !== undefined &&
    fe.hooks.notify({
      kind: 'connect-event',
      url: plan.eventsUrl,
      params: { ...eventParams(call, type, dialSid, to, ctx.clock.nowMs()), ...extra },
      callSid: call.sid,
      event: type,
      contentType: applet.eventsContentType ?? 'multipart',
    });
  event('Dial');
  const leg = ctx.network.dial({
    carrier: 'exotel',
    from: plan.callerId,
    to,
    timeoutMs: (plan.ringSec + (applet.ringOverrunSec ?? 0)) * 1000,
    label: dialSid,
  });
  leg.on((e) => {
    if (e.type === 'leg.ringing') event('Ringing', { Status: 'ringing' });
  });
  const answered = await firstAnswer(leg, signal);
  if (signal.aborted) {
    waiting.stop();
    leg.hangup('canceled', 'network');
    event('Terminal', { Status: 'canceled', DialCallStatus: 'canceled', CallStatus: 'completed' });
    return 'hangup';
  }
  if (!answered) {
    waiting.stop();
    const status = dialStatus(leg.end?.status ?? 'failed');
    call.lastDial = { status, dialCallSid: dialSid, dialWhomNumber: to, durationSec: 0, answered: false };
    event('Terminal', { Status: status, DialCallStatus: status });
    return 'no-answer';
  }
  event('Answered', { Status: 'in-progress' });
  const answeredMs = ctx.clock.nowMs();
  if (plan.playback !== undefined) await playback(fe, call, leg, plan.playback, signal);
  waiting.stop();
  if (!signal.aborted && !leg.isEnded) {
    call.leg.answer();
    const unbridge = bridge(call.leg, leg);
    const cancelLimit = ctx.timers.after(plan.maxConversationSec * 1000, () =>
      leg.hangup('completed', 'network'),
    );
    await Promise.race([leg.ended, aborted(signal)]);
    cancelLimit();
    unbridge();
  }
  const callerGone = signal.aborted;
  if (!leg.isEnded) leg.hangup('completed', 'network');
  const durationSec = Math.round((ctx.clock.nowMs() - answeredMs) / 1000);
  call.lastDial = {
    status: 'completed',
    dialCallSid: dialSid,
    dialWhomNumber: to,
    durationSec,
    answered: true,
  };
  event('Terminal', {
    Status: 'completed',
    DialCallStatus: 'completed',
    CallStatus: callerGone ? 'completed' : 'in-progress',
    DialCallDuration: durationSec,
  });
  return callerGone ? 'hangup' : 'answered';
}

/** `start_call_playback` (§4.7): heard by the callee (and the caller with `both`) before the bridge. */
async function playback(
  fe: ExotelFrontEnd,
  call: ExotelCall,
  leg: Leg,
  spec: NonNullable<DialPlan['playback']>,
  signal: AbortSignal,
): Promise<void> {
  const { ctx, options } = fe;
  const durationMs =
    spec.kind === 'text' ? Math.max(400, spec.value.length * options.sayMsPerChar) : options.playDurationMs;
  const label =
    spec.kind === 'text' ? { source: 'say', text: spec.value } : { source: 'play', url: spec.value };
  const stopOnEnd = new AbortController();
  const offEnd = leg.on((e) => {
    if (e.type === 'leg.ended') stopOnEnd.abort();
  });
  const both = AbortSignal.any([signal, stopOnEnd.signal]);
  const source = () => (spec.kind === 'text' ? SIGNALS.say(durationMs) : SIGNALS.play(durationMs));
  const plays = [play(ctx.ticker, leg, label, source(), both).done];
  if (spec.to === 'both') plays.push(play(ctx.ticker, call.leg, label, source(), both).done);
  await Promise.all(plays);
  offEnd();
}

async function dialPlan(
  fe: ExotelFrontEnd,
  call: ExotelCall,
  applet: ConnectApplet,
  signal: AbortSignal,
): Promise<DialPlan> {
  const base: DialPlan = {
    numbers: [],
    ringSec: applet.ringTimeoutSec ?? fe.options.connectRingTimeoutSec,
    // The ExoPhone of the call: the number called (inbound), or the caller ID a Calls/connect rang from.
    callerId: applet.callerId ?? (fe.ownsNumber(call.leg.to) ? call.leg.to : call.leg.from),
    maxConversationSec: MAX_CONVERSATION_SEC,
    ...(applet.eventsUrl === undefined ? {} : { eventsUrl: applet.eventsUrl }),
    fetchAfterAttempt: false,
  };
  if ('numbers' in applet.dialWhom)
    return { ...base, numbers: applet.dialWhom.numbers.filter((n) => NUMBER.test(n)) };
  const reply = await fe.hooks.fetch(
    {
      kind: 'dial-whom',
      url: applet.dialWhom.url,
      params: call.params(),
      callSid: call.sid,
      ...(applet.programmable ? { headers: { 'exotel-version': '1.0' } } : {}),
    },
    signal,
  );
  // The caller hung up while Exotel waited for the answer: nobody is left to hear an error.
  if (signal.aborted) return base;
  if (!reply.ok || reply.status < 200 || reply.status > 299) {
    fe.markupError(call.sid, `dial whom: ${reply.ok ? `HTTP ${reply.status}` : reply.message}`);
    return base;
  }
  if (!applet.programmable) {
    const lines = reply.body
      .split(/[\n,]/)
      .map((n) => n.trim())
      .filter((n) => n !== '');
    const numbers = fe.options.dialWhomList === 'first' ? lines.slice(0, 1) : lines;
    if (numbers.some((n) => !NUMBER.test(n))) fe.markupError(call.sid, 'dial whom: not a number');
    return { ...base, numbers: numbers.filter((n) => NUMBER.test(n)) };
  }
  return programmableConnect(fe, call, base, reply.body);
}

/** A Programmable Connect reply (§4.7); anything malformed dials nobody. */
function programmableConnect(fe: ExotelFrontEnd, call: ExotelCall, base: DialPlan, body: string): DialPlan {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    fe.markupError(call.sid, 'programmable connect: the answer is not JSON');
    return base;
  }
  const destination = object(json['destination']);
  const numbers = Array.isArray(destination?.['numbers'])
    ? (destination['numbers'] as unknown[]).filter(
        (n): n is string => typeof n === 'string' && NUMBER.test(n),
      )
    : [];
  const ring = json['max_ringing_duration'];
  const conversation = json['max_conversation_duration'];
  const hold = object(json['music_on_hold']);
  const playback = object(json['start_call_playback']);
  const events = json['dial_passthru_event_url'];
  const outgoing = json['outgoing_phone_number'];
  const value = playback?.['value'];
  return {
    ...base,
    numbers,
    ...(typeof ring === 'number' && ring > 0 ? { ringSec: ring } : {}),
    ...(typeof conversation === 'number' && conversation > 0 ? { maxConversationSec: conversation } : {}),
    ...(typeof outgoing === 'string' && outgoing !== '' ? { callerId: outgoing } : {}),
    ...(typeof hold?.['type'] === 'string' ? { hold: hold['type'] } : {}),
    ...(typeof value === 'string'
      ? {
          playback: {
            to: playback?.['playback_to'] === 'both' ? 'both' : 'callee',
            kind: playback?.['type'] === 'audio_url' ? 'audio_url' : 'text',
            value,
          },
        }
      : {}),
    ...(typeof events === 'string' && events !== '' ? { eventsUrl: events } : {}),
    fetchAfterAttempt: json['fetch_after_attempt'] === true,
  };
}

function eventParams(call: ExotelCall, type: string, dialSid: string, to: string, nowMs: number): HookParams {
  return {
    CallSid: call.sid,
    EventType: type,
    DialCallSid: dialSid,
    DialWhomNumber: to,
    CallFrom: exotelNumber(call.leg.from),
    CallTo: exotelNumber(call.leg.to),
    Direction: call.direction,
    CallStatus: 'in-progress',
    CurrentTime: exotelTime(nowMs),
  };
}

function dialStatus(status: LegEndStatus): string {
  return status === 'declined' ? 'busy' : status;
}

function firstAnswer(leg: Leg, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (leg.state === 'answered') return resolve(true);
    if (leg.isEnded || signal.aborted) return resolve(false);
    const done = (answered: boolean) => {
      off();
      signal.removeEventListener('abort', onAbort);
      resolve(answered);
    };
    const onAbort = () => done(false);
    const off = leg.on((e) => {
      if (e.type === 'leg.answered') done(true);
      else if (e.type === 'leg.ended') done(false);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function object(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
