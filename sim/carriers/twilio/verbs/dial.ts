/**
 * `<Dial>` with `<Number>`, `<Sip>` or `<Client>` (protocols.md §2.5): rings every target at once
 * (the caller hears ringback), the first to answer hears its `<Number url>` whisper, then the
 * two legs are bridged until one hangs up. `<Dial action>` then receives `DialCallStatus`,
 * `DialCallSid`, `DialCallDuration`, `DialBridged`; without `action`, execution continues
 * after `<Dial>`.
 */

import { aborted } from '../../../aborted.js';
import { SIGNALS } from '../../../audio.js';
import { bridge } from '../../../conference-room.js';
import { firstAnswer } from '../../../first-answer.js';
import { play } from '../../../player.js';
import { playDigits } from '../../../send-digits.js';
import type { StatusCallbackConfig, TwilioCall } from '../call.js';
import { parseProgressEvents } from '../rest-params.js';
import { parseTwiml, type TwimlElement } from '../twiml-parser.js';
import { interruptReason, type VerbContext, type VerbOutcome } from '../twiml-runner.js';
import { runAudioDocument } from './audio.js';
import { dialConferenceVerb } from './dial-conference.js';

interface Target {
  readonly address: string;
  readonly noun: TwimlElement | undefined;
}

interface DialResult {
  status: string;
  child: TwilioCall | undefined;
  bridged: boolean;
}

function targetsOf(verb: TwimlElement): Target[] {
  const targets: Target[] = [];
  for (const noun of verb.children) {
    if (noun.name === 'Number' || noun.name === 'Sip') targets.push({ address: noun.text, noun });
    else if (noun.name === 'Client') targets.push({ address: `client:${noun.text}`, noun });
  }
  if (targets.length === 0 && verb.text !== '') targets.push({ address: verb.text, noun: undefined });
  return targets;
}

function nounCallback(noun: TwimlElement | undefined, vc: VerbContext): StatusCallbackConfig | undefined {
  const raw = noun?.attributes['statusCallback'];
  if (!noun || raw === undefined) return undefined;
  const url = vc.resolveUrl(raw);
  if (!url) return undefined;
  return {
    url,
    method: noun.attributes['statusCallbackMethod']?.toUpperCase() === 'GET' ? 'GET' : 'POST',
    events: parseProgressEvents((noun.attributes['statusCallbackEvent'] ?? '').split(/\s+/)),
  };
}

export async function dialVerb(verb: TwimlElement, vc: VerbContext): Promise<VerbOutcome> {
  const conference = verb.children.find((c) => c.name === 'Conference');
  if (conference) return dialConferenceVerb(verb, conference, vc);
  const { fe, call } = vc;
  const a = verb.attributes;
  const result: DialResult = { status: 'failed', child: undefined, bridged: false };
  const callerId = a['callerId'] ?? call.from;
  const targets = targetsOf(verb);
  if (targets.length === 0) {
    fe.markupError(call.sid, 13201, '<Dial> has nothing to dial');
  } else if (!fe.callerIdAllowed(callerId, call)) {
    fe.markupError(call.sid, 13214, `<Dial callerId> ${callerId} is not a number of this account`);
  } else {
    await ring(verb, vc, targets, callerId, result);
  }
  return after(verb, vc, result);
}

async function ring(
  verb: TwimlElement,
  vc: VerbContext,
  targets: Target[],
  callerId: string,
  result: DialResult,
) {
  const { fe, call, signal } = vc;
  const a = verb.attributes;
  const seconds = Number.parseInt(a['timeout'] ?? '', 10);
  const timeoutMs =
    (Number.isFinite(seconds) ? Math.min(600, Math.max(5, seconds)) : fe.options.dialTimeoutSeconds) * 1000;
  const ringback = play(fe.ctx.ticker, call.leg, { source: 'ringback' }, SIGNALS.ringback(), signal);
  const children = targets.map((t) =>
    fe.dialOut({
      direction: 'outbound-dial',
      from: callerId,
      to: t.address,
      timeoutMs,
      parentCallSid: call.sid,
      statusCallback: nounCallback(t.noun, vc),
    }),
  );
  const winner = await firstAnswer(children, signal);
  for (const c of children) if (c !== winner) c.leg.hangup('canceled', 'network');
  result.child = winner ?? children.at(-1);
  if (!winner) {
    ringback.stop();
    const last = children.at(-1);
    result.status = signal.aborted ? 'canceled' : dialStatusOf(last, fe.options.declinedCallStatus);
    return;
  }
  const digits = targets[children.indexOf(winner)]?.noun?.attributes['sendDigits'];
  if (digits !== undefined) {
    // `<Number sendDigits>`: keyed to the callee once answered, before its `url` whisper and the
    // bridge (UNCONFIRMED ordering); 0-9, `#`, `*` and `w` (half a second).
    if (/^[0-9#*w]{1,32}$/.test(digits)) await playDigits(winner.leg, digits, fe.ctx.timers);
    else fe.markupError(winner.sid, 13223, `<Number sendDigits> may hold only 0-9, #, * and w: ${digits}`);
  }
  const whisper = winner && targets[children.indexOf(winner)]?.noun?.attributes['url'];
  if (whisper !== undefined) {
    const outcome = await runWhisper(vc, winner, whisper, targets[children.indexOf(winner)]?.noun);
    if (outcome !== 'done') {
      ringback.stop();
      if (!winner.leg.isEnded) winner.leg.hangup('completed', 'network');
      result.status = signal.aborted ? 'canceled' : fe.options.whisperHangupDialStatus;
      return;
    }
  }
  ringback.stop();
  if (signal.aborted || winner.leg.isEnded) {
    result.status = signal.aborted ? 'canceled' : fe.options.whisperHangupDialStatus;
    return;
  }
  call.leg.answer();
  result.bridged = true;
  result.status = 'completed';
  const unbridge = bridge(call.leg, winner.leg);
  const limit = Number.parseInt(a['timeLimit'] ?? '14400', 10);
  const cancelLimit = fe.ctx.timers.after((Number.isFinite(limit) ? limit : 14400) * 1000, () =>
    winner.leg.hangup('completed', 'network'),
  );
  await Promise.race([winner.leg.ended, aborted(signal)]);
  cancelLimit();
  unbridge();
  if (!winner.leg.isEnded) winner.leg.hangup('completed', 'network');
}

async function runWhisper(
  vc: VerbContext,
  child: TwilioCall,
  rawUrl: string,
  noun: TwimlElement | undefined,
): Promise<'done' | 'hangup' | 'interrupted'> {
  const { fe, signal } = vc;
  const url = vc.resolveUrl(rawUrl);
  if (!url) {
    fe.markupError(child.sid, 11100, `<Number url> is not a valid URL: ${rawUrl}`);
    return 'hangup';
  }
  const method = noun?.attributes['method']?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  const reply = await fe.hooks.fetchMarkup(
    { kind: 'whisper', url, method, params: child.params(), callSid: child.sid },
    signal,
  );
  if (!reply.ok) {
    fe.markupError(child.sid, reply.code, reply.message);
    return 'hangup';
  }
  let doc: TwimlElement;
  try {
    doc = parseTwiml(reply.body);
  } catch (err) {
    fe.markupError(child.sid, 12100, err instanceof Error ? err.message : String(err));
    return 'hangup';
  }
  const stopOnEnd = new AbortController();
  const onAbort = () => stopOnEnd.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const off = child.leg.on((e) => {
    if (e.type === 'leg.ended') stopOnEnd.abort();
  });
  try {
    return await runAudioDocument(
      fe.ctx,
      fe.options,
      child.leg,
      doc,
      stopOnEnd.signal,
      vc.resolveUrl,
      child.sid,
    );
  } finally {
    off();
    signal.removeEventListener('abort', onAbort);
  }
}

function dialStatusOf(child: TwilioCall | undefined, declined: string): string {
  const end = child?.leg.end;
  if (!end) return 'failed';
  if (end.status === 'declined') return declined;
  return end.status === 'completed' ? 'completed' : end.status;
}

async function after(verb: TwimlElement, vc: VerbContext, result: DialResult): Promise<VerbOutcome> {
  const { fe, call, signal } = vc;
  const action = verb.attributes['action'];
  const params: Record<string, string> = {
    DialCallStatus: result.status,
    DialBridged: String(result.bridged),
    DialCallDuration: String(result.bridged && result.child ? result.child.durationSeconds : 0),
  };
  if (result.child) params['DialCallSid'] = result.child.sid;
  const url = action === undefined ? undefined : vc.resolveUrl(action);
  if (action !== undefined && !url)
    fe.markupError(call.sid, 11100, `<Dial action> is not a valid URL: ${action}`);
  const method = verb.attributes['method']?.toUpperCase() === 'GET' ? 'GET' : 'POST';
  if (signal.aborted) {
    // The caller hung up, or a REST redirect replaced the document: Twilio still requests the
    // action URL and ignores its reply.
    const reason = interruptReason(signal);
    if (url && (reason === 'hangup' || fe.options.dialActionOnRedirect)) {
      await fe.hooks.fetchMarkup({
        kind: 'action',
        url,
        method,
        params: { ...call.params(), ...params },
        callSid: call.sid,
      });
    }
    return { type: 'end' };
  }
  if (!url) return action === undefined ? { type: 'next' } : { type: 'hangup' };
  return { type: 'goto', source: { type: 'url', url, method, kind: 'action', extraParams: params } };
}
