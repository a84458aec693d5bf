/**
 * `<Dial>` with `<Number>` and `<User>` (protocols.md §3.5): rings every target at once (the
 * caller hears ringback), bridges the first to answer until one side hangs up. `callbackUrl`
 * hears of the B-leg's answer and hang-up (`DialAction`, UNCONFIRMED names); `action` then gets
 * `DialStatus`, `DialRingStatus`, `DialHangupCause`, `DialALegUUID`, `DialBLegUUID` (empty when
 * nobody answered) and, with `redirect` (default true), its XML runs next. Without `action`,
 * execution continues after `<Dial>`.
 */

import { SIGNALS } from '../../../audio.js';
import { bridge } from '../../../conference-room.js';
import { firstAnswer } from '../../../first-answer.js';
import { play } from '../../../player.js';
import { playDigits } from '../../../send-digits.js';
import { networkAddress } from '../addresses.js';
import { causeOf, type PlivoCall, statusOf } from '../call.js';
import { aborted, type ElementContext, type ElementOutcome, interruptReason } from '../runner.js';
import { boolAttr, intAttr, methodAttr, type XmlElement } from '../xml.js';

interface DialResult {
  status: string;
  cause: string;
  rang: boolean;
  bLeg: PlivoCall | undefined;
}

interface Target {
  readonly to: string;
  /** `sendDigits` on the `<Number>` / `<User>`: keyed once it answered. */
  readonly digits: string | undefined;
}

function targetsOf(el: XmlElement): Target[] {
  const out: Target[] = [];
  for (const noun of el.children) {
    const digits = noun.attributes['sendDigits'];
    if (noun.name === 'Number') out.push({ to: networkAddress(noun.text), digits });
    else if (noun.name === 'User') out.push({ to: noun.text, digits });
  }
  return out;
}

export async function dialElement(el: XmlElement, ec: ElementContext): Promise<ElementOutcome> {
  const { fe, call } = ec;
  const targets = targetsOf(el);
  if (targets.length === 0) {
    fe.markupError(call.uuid, '<Dial> needs a <Number> or a <User>');
    return { type: 'hangup' };
  }
  const result: DialResult = {
    status: 'failed',
    cause: 'NORMAL_TEMPORARY_FAILURE',
    rang: false,
    bLeg: undefined,
  };
  await ring(el, ec, targets, result);
  return after(el, ec, result);
}

async function ring(
  el: XmlElement,
  ec: ElementContext,
  targets: Target[],
  result: DialResult,
): Promise<void> {
  const { fe, call, signal } = ec;
  const callerId = el.attributes['callerId'];
  const from = callerId === undefined || callerId === '' ? call.leg.from : networkAddress(callerId);
  const timeoutMs = Math.max(1, intAttr(el, 'timeout', fe.options.dialTimeoutSeconds)) * 1000;
  const ringback = play(fe.ctx.ticker, call.leg, { source: 'ringback' }, SIGNALS.ringback(), signal);
  const children = targets.map((t) => fe.dialOut({ from, to: t.to, timeoutMs, aLegUuid: call.uuid }));
  for (const child of children) {
    child.leg.on((e) => {
      if (e.type === 'leg.ringing') result.rang = true;
    });
  }
  const winner = await firstAnswer(children, signal);
  for (const c of children) if (c !== winner) c.leg.hangup('canceled', 'network');
  ringback.stop();
  if (!winner) {
    const last = children.at(-1);
    const end = last?.leg.end;
    result.status = signal.aborted ? 'cancel' : end ? statusOf(end, fe.options) : 'failed';
    result.cause = end ? causeOf(end).cause : 'ORIGINATOR_CANCEL';
    if (fe.options.dialCallbackOnUnanswered) for (const c of children) dialCallback(el, ec, c, 'hangup');
    return;
  }
  result.bLeg = winner;
  result.rang = true;
  dialCallback(el, ec, winner, 'answer');
  const digits = targets[children.indexOf(winner)]?.digits;
  if (digits !== undefined) {
    // `sendDigits`: keyed to the B-leg once answered, before the bridge (UNCONFIRMED ordering);
    // 0-9, `#`, `*`, `w` (0.5 s) and `W` (1 s).
    if (/^[0-9#*wW]{1,64}$/.test(digits)) await playDigits(winner.leg, digits, fe.ctx.timers);
    else fe.markupError(call.uuid, `<Number sendDigits> may hold only 0-9, #, *, w and W: ${digits}`);
  }
  const unbridge = bridge(call.leg, winner.leg);
  const limit = intAttr(el, 'timeLimit', 14_400);
  const cancelLimit = fe.ctx.timers.after(limit * 1000, () => winner.leg.hangup('completed', 'network'));
  await Promise.race([winner.leg.ended, aborted(signal)]);
  cancelLimit();
  unbridge();
  if (!winner.leg.isEnded) winner.leg.hangup('completed', 'network');
  result.status = 'completed';
  result.cause = causeOf(
    winner.leg.end ?? { status: 'completed', by: 'network', atMs: 0, sipCode: 200 },
  ).cause;
  dialCallback(el, ec, winner, 'hangup');
}

/** `<Dial callbackUrl>`: the B-leg answered or hung up (parameter names UNCONFIRMED, §3.5). */
function dialCallback(el: XmlElement, ec: ElementContext, bLeg: PlivoCall, what: 'answer' | 'hangup'): void {
  const raw = el.attributes['callbackUrl'];
  const url = raw === undefined ? undefined : ec.resolveUrl(raw);
  if (url === undefined) return;
  const { fe, call } = ec;
  const action =
    what === 'answer' ? fe.options.callbackActions.dialAnswer : fe.options.callbackActions.dialHangup;
  const params: Record<string, string> = {
    ...call.params(),
    DialAction: action,
    DialALegUUID: call.uuid,
    DialBLegUUID: bLeg.uuid,
    DialBLegStatus: what,
    DialBLegFrom: bLeg.params()['From'] ?? '',
    DialBLegTo: bLeg.params()['To'] ?? '',
  };
  if (what === 'hangup') {
    params['DialBLegHangupCause'] = bLeg.leg.end ? causeOf(bLeg.leg.end).cause : 'NORMAL_CLEARING';
    params['DialBLegDuration'] = String(bLeg.durationSeconds);
    params['DialBLegBillDuration'] = String(bLeg.durationSeconds);
  }
  fe.hooks.notify({
    kind: 'dial',
    url,
    method: methodAttr(el, 'callbackMethod'),
    params,
    callSid: call.uuid,
    event: action,
  });
}

async function after(el: XmlElement, ec: ElementContext, result: DialResult): Promise<ElementOutcome> {
  const { fe, call, signal } = ec;
  const raw = el.attributes['action'];
  const url = raw === undefined ? undefined : ec.resolveUrl(raw);
  if (raw !== undefined && url === undefined)
    fe.markupError(call.uuid, `<Dial action> is not a valid URL: ${raw}`);
  const method = methodAttr(el, 'method');
  const params: Record<string, string> = {
    DialStatus: result.status,
    DialRingStatus: String(result.rang),
    DialHangupCause: result.cause,
    DialALegUUID: call.uuid,
    DialBLegUUID: result.bLeg?.uuid ?? '',
  };
  const requestAndIgnore = async () => {
    if (url !== undefined)
      await fe.hooks.fetchXml({
        kind: 'action',
        url,
        method,
        params: { ...call.params(), ...params },
        callSid: call.uuid,
      });
  };
  if (signal.aborted) {
    // The caller hung up, or a transfer replaced the document: the action URL is still told.
    if (interruptReason(signal) === 'hangup' || fe.options.dialActionOnTransfer) await requestAndIgnore();
    return { type: 'end' };
  }
  if (call.leg.isEnded) return { type: 'end' };
  if (url === undefined) return raw === undefined ? { type: 'next' } : { type: 'hangup' };
  if (!boolAttr(el, 'redirect', true)) {
    await requestAndIgnore();
    return { type: 'next' };
  }
  return { type: 'goto', source: { type: 'url', url, method, kind: 'action', extraParams: params } };
}
