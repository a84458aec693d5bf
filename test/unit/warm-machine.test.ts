import { describe, expect, it } from 'vitest';
import type { LegEndStatus } from '../../src/domain/outcome.js';
import { CALLER_LEFT_CONFIRM_MS, CALLER_VERIFY_WAIT_MS } from '../../src/transfer/machine-state.js';
import type { TransferEffect, TransferEvent, TransferInput } from '../../src/transfer/machine-types.js';
import type { TransferPlan, WhisperPlan } from '../../src/transfer/plan-types.js';
import { initial, step, transferMachine, type WarmState } from '../../src/transfer/warm.js';

const NOW = 2_000_000;
/** When the event under test is applied; the events before it are applied at NOW. */
const AT = NOW + 1;
const A = '+14155550101';
const B = '+14155550102';
const CALLER_ID = '+14155550100';
const HOLD_URL = 'https://hold.example.com/music.mp3';
const FALLBACK = 'A caller needs help with billing.';
const SUMMARY = 'Caller wants a refund for order 1234.';
const STATIC = 'Incoming refund request, please assist.';
const ctx = { nowMs: NOW };

const summaryWhisper: WhisperPlan = { kind: 'summary', timeoutMs: 5_000, fallbackText: FALLBACK };
const basePlan: TransferPlan = {
  mode: 'warm',
  chain: [A, B],
  ringTimeoutMs: 15_000,
  callerId: CALLER_ID,
  whisper: summaryWhisper,
  holdAudioUrl: HOLD_URL,
  reason: 'billing question',
  trigger: 'tool',
};
const inputFor = (whisper: WhisperPlan = summaryWhisper): TransferInput => ({
  transferId: 't1',
  callId: 'c1',
  plan: { ...basePlan, whisper },
  handoffWaitMs: 4_000,
});

function run(events: readonly TransferEvent[], whisper?: WhisperPlan): WarmState {
  let state = initial(inputFor(whisper), ctx).state;
  for (const e of events) state = step(state, e, ctx).state;
  return state;
}

// Event shorthands.
const played: TransferEvent = { type: 'handoff.played' };
const held: TransferEvent = { type: 'caller.held' };
const hangup: TransferEvent = { type: 'caller.hangup' };
const present: TransferEvent = { type: 'caller.present' };
const left: TransferEvent = { type: 'caller.left' };
type TimerName = Extract<TransferEvent, { type: 'timer.fired' }>['timerId'];
const fire = (timerId: TimerName): TransferEvent => ({ type: 'timer.fired', timerId });
const ringing = (legId: string): TransferEvent => ({ type: 'leg.ringing', legId });
const answered = (legId: string): TransferEvent => ({ type: 'leg.answered', legId });
const ended = (legId: string, status: LegEndStatus): TransferEvent => ({ type: 'leg.ended', legId, status });
const summary = (text: string): TransferEvent => ({ type: 'summary.received', text });
const whispered = (legId: string): TransferEvent => ({ type: 'whisper.played', legId });
const joined = (legId: string): TransferEvent => ({ type: 'human.joined', legId });
/** Caller reported on hold, human answered and briefed: waiting for the human in the room. */
const joining = [played, held, answered('t1:0'), summary(SUMMARY), whispered('t1:0')];

// Effect shorthands.
const cancel = (timerId: TimerName): TransferEffect => ({ type: 'timer.cancel', timerId });
const hangUp = (legId: string): TransferEffect => ({ type: 'carrier.cancel', legId });
const st = (status: 'answered' | 'whispering' | 'ringing', legId: string): TransferEffect => ({
  type: 'agent.status',
  status,
  legId,
});
const dial = (legId: string, to: string, at = AT): TransferEffect[] => [
  { type: 'agent.status', status: 'dialing', legId, destination: to },
  { type: 'carrier.dial', legId, to, callerId: CALLER_ID, timeoutMs: 15_000, mode: 'warm' },
  { type: 'timer.start', timerId: `ring:${legId}`, atMs: at + 20_000 },
];
const dialNext: TransferEffect[] = [{ type: 'flag.set', destination: B }, ...dial('t1:1', B)];
const hold: TransferEffect[] = [
  { type: 'caller.hold', holdAudioUrl: HOLD_URL },
  { type: 'timer.start', timerId: 'hold', atMs: AT + 15_000 },
];
const whisper = (legId: string, text: string): TransferEffect[] => [
  { type: 'human.whisper', legId, text },
  { type: 'timer.start', timerId: `whisper:${legId}`, atMs: AT + 3_000 + 100 * text.length },
  st('whispering', legId),
];
/** The whisper is over: wait (bounded) for the carrier to report the human in the room. */
const join = (legId: string): TransferEffect[] => [
  { type: 'timer.start', timerId: `join:${legId}`, atMs: AT + 10_000 },
];
const connectedFx = (legId: string, timers: readonly TransferEffect[] = []): TransferEffect[] => [
  ...timers,
  { type: 'agent.status', status: 'connected', legId },
  { type: 'agent.detach' },
  { type: 'flag.clear' },
  { type: 'transfer.ended', outcome: 'connected' },
];
/** The caller gone: `legs` hung up, `timers` canceled, the agent told `failed` about `legId`. */
const goneFx = (
  legId: string,
  legs: readonly string[],
  timers: readonly TransferEffect[] = [],
): TransferEffect[] => [
  ...legs.map(hangUp),
  ...timers,
  { type: 'agent.status', status: 'failed', legId },
  { type: 'flag.clear' },
  { type: 'transfer.ended', outcome: 'caller_hangup' },
];
/** Before `connected`, the carrier is asked whether the caller's call is live. */
const checkFx: TransferEffect[] = [
  { type: 'caller.check' },
  { type: 'timer.start', timerId: 'verify', atMs: AT + CALLER_VERIFY_WAIT_MS },
];
const back = (legId: string, outcome: 'busy' | 'no_answer' | 'failed' | 'canceled', moved: boolean) => [
  ...(moved ? [{ type: 'caller.to_agent' } as const] : []),
  { type: 'agent.status', status: 'failed', legId } as const,
  { type: 'agent.resume', outcome } as const,
  { type: 'flag.clear' } as const,
  { type: 'transfer.ended', outcome } as const,
];

interface Row {
  readonly name: string;
  readonly whisper?: WhisperPlan;
  readonly before: readonly TransferEvent[];
  readonly event: TransferEvent;
  readonly phase: WarmState['phase'];
  readonly effects: readonly TransferEffect[];
  readonly detail: string;
}

const rows: readonly Row[] = [
  // The handoff sentence and the hold.
  {
    name: 'handoff played → caller to the conference on hold',
    before: [],
    event: played,
    phase: 'dialing',
    effects: [cancel('handoff'), ...hold],
    detail: 'note=caller_to_hold',
  },
  {
    name: 'handoff timer → caller on hold anyway',
    before: [],
    event: fire('handoff'),
    phase: 'dialing',
    effects: hold,
    detail: 'timer=handoff note=caller_to_hold',
  },
  {
    name: 'caller held while the human still rings',
    before: [played, ringing('t1:0')],
    event: held,
    phase: 'ringing',
    effects: [cancel('hold')],
    detail: 'join=not_ready',
  },
  {
    name: 'no hold confirmation → caller back to the AI, human leg canceled',
    before: [played],
    event: fire('hold'),
    phase: 'returned',
    effects: [hangUp('t1:0'), cancel('ring:t1:0'), cancel('summary'), ...back('t1:0', 'failed', true)],
    detail: 'timer=hold outcome=failed',
  },
  // Ringing, answer, summary, whisper.
  {
    name: 'ringing is reported to the agent',
    before: [],
    event: ringing('t1:0'),
    phase: 'ringing',
    effects: [st('ringing', 't1:0')],
    detail: 'leg=t1:0',
  },
  {
    name: 'answer before the summary → wait for it',
    before: [played, ringing('t1:0')],
    event: answered('t1:0'),
    phase: 'awaiting_summary',
    effects: [cancel('ring:t1:0'), st('answered', 't1:0')],
    detail: 'leg=t1:0 whisper=awaiting_summary',
  },
  {
    name: 'summary arrives for the waiting human → whisper it',
    before: [played, answered('t1:0')],
    event: summary(`  ${SUMMARY} `),
    phase: 'whispering',
    effects: [cancel('summary'), ...whisper('t1:0', SUMMARY)],
    detail: `chars=${SUMMARY.length} whisper=playing`,
  },
  {
    name: 'summary timer for the waiting human → whisper the fallback',
    before: [played, answered('t1:0')],
    event: fire('summary'),
    phase: 'whispering',
    effects: whisper('t1:0', FALLBACK),
    detail: 'timer=summary whisper=playing',
  },
  {
    name: 'a blank summary → whisper the fallback',
    before: [played, answered('t1:0')],
    event: summary('   '),
    phase: 'whispering',
    effects: [cancel('summary'), ...whisper('t1:0', FALLBACK)],
    detail: 'chars=0 whisper=playing',
  },
  {
    name: 'summary ready before the answer → whisper at once',
    before: [summary(SUMMARY)],
    event: answered('t1:0'),
    phase: 'whispering',
    effects: [cancel('ring:t1:0'), st('answered', 't1:0'), ...whisper('t1:0', SUMMARY)],
    detail: 'leg=t1:0 whisper=playing',
  },
  {
    name: 'summary timed out before the answer → fallback at once',
    before: [fire('summary')],
    event: answered('t1:0'),
    phase: 'whispering',
    effects: [cancel('ring:t1:0'), st('answered', 't1:0'), ...whisper('t1:0', FALLBACK)],
    detail: 'leg=t1:0 whisper=playing',
  },
  {
    name: 'a summary after the timeout is kept for the next human',
    before: [fire('summary')],
    event: summary(SUMMARY),
    phase: 'dialing',
    effects: [],
    detail: `chars=${SUMMARY.length}`,
  },
  {
    name: 'static whisper → played on answer',
    whisper: { kind: 'static', text: STATIC },
    before: [played],
    event: answered('t1:0'),
    phase: 'whispering',
    effects: [cancel('ring:t1:0'), st('answered', 't1:0'), ...whisper('t1:0', STATIC)],
    detail: 'leg=t1:0 whisper=playing',
  },
  {
    name: 'no whisper, caller held → wait for the human in the room',
    whisper: { kind: 'none' },
    before: [played, held],
    event: answered('t1:0'),
    phase: 'joining',
    effects: [cancel('ring:t1:0'), st('answered', 't1:0'), ...join('t1:0')],
    detail: 'leg=t1:0 whisper=none_joining',
  },
  {
    name: 'no whisper, caller not yet held → wait for the human in the room all the same',
    whisper: { kind: 'none' },
    before: [played],
    event: answered('t1:0'),
    phase: 'joining',
    effects: [cancel('ring:t1:0'), st('answered', 't1:0'), ...join('t1:0')],
    detail: 'leg=t1:0 whisper=none_joining',
  },
  // Join.
  {
    name: 'whisper played, caller held → wait for the human in the room',
    before: [played, held, answered('t1:0'), summary(SUMMARY)],
    event: whispered('t1:0'),
    phase: 'joining',
    effects: [cancel('whisper:t1:0'), ...join('t1:0')],
    detail: 'leg=t1:0 join=joining',
  },
  {
    name: 'whisper timer, caller held → wait for the human in the room',
    before: [played, held, answered('t1:0'), summary(SUMMARY)],
    event: fire('whisper:t1:0'),
    phase: 'joining',
    effects: join('t1:0'),
    detail: 'timer=whisper leg=t1:0 join=joining',
  },
  {
    name: 'whisper played while the handoff sentence still plays → wait for the human in the room',
    before: [answered('t1:0'), summary(SUMMARY)],
    event: whispered('t1:0'),
    phase: 'joining',
    effects: [cancel('whisper:t1:0'), ...join('t1:0')],
    detail: 'leg=t1:0 join=joining',
  },
  {
    name: 'human in the room before the caller is reported there → not connected, wait for the caller',
    before: [played, answered('t1:0'), summary(SUMMARY), whispered('t1:0')],
    event: joined('t1:0'),
    phase: 'awaiting_hold',
    effects: [cancel('join:t1:0')],
    detail: 'leg=t1:0 join=awaiting_hold',
  },
  {
    name: 'handoff played with the human in the room → hold, still not connected',
    before: [answered('t1:0'), summary(SUMMARY), whispered('t1:0'), joined('t1:0')],
    event: played,
    phase: 'awaiting_hold',
    effects: [cancel('handoff'), ...hold],
    detail: 'note=caller_to_hold',
  },
  {
    name: 'caller reported in the room with the human there → the carrier asked whether the caller is live',
    before: [played, answered('t1:0'), summary(SUMMARY), whispered('t1:0'), joined('t1:0')],
    event: held,
    phase: 'checking_caller',
    effects: [cancel('hold'), ...checkFx],
    detail: 'join=checking_caller',
  },
  {
    name: 'caller reported, whisper done, then the human in the room → the carrier asked whether the caller is live',
    before: joining,
    event: joined('t1:0'),
    phase: 'checking_caller',
    effects: [cancel('join:t1:0'), ...checkFx],
    detail: 'leg=t1:0 join=checking_caller',
  },
  {
    name: 'the carrier says the caller is live → connected, AI leaves',
    before: [...joining, joined('t1:0')],
    event: present,
    phase: 'connected',
    effects: connectedFx('t1:0', [cancel('verify')]),
    detail: 'note=caller_present join=connected',
  },
  {
    name: 'the carrier does not say in time → connected as the room reported',
    before: [...joining, joined('t1:0')],
    event: fire('verify'),
    phase: 'connected',
    effects: connectedFx('t1:0'),
    detail: 'timer=verify note=caller_unconfirmed join=connected',
  },
  {
    // Both the room's report of the caller leaving and their status callback lost (lossy seed 0x2bb).
    name: 'the carrier says the caller is gone → caller_hangup, the human hung up, never left alone in the room',
    before: [...joining, joined('t1:0')],
    event: hangup,
    phase: 'hung_up',
    effects: goneFx('t1:0', ['t1:0'], [cancel('verify')]),
    detail: 'outcome=caller_hangup',
  },
  {
    name: 'human in the room straight after the whisper (before its timer) → the carrier asked',
    before: [played, held, answered('t1:0'), summary(SUMMARY)],
    event: joined('t1:0'),
    phase: 'checking_caller',
    effects: [cancel('whisper:t1:0'), ...checkFx],
    detail: 'leg=t1:0 join=checking_caller',
  },
  {
    name: 'human in the room, the caller never reported → hold bound: human hung up, caller to the AI',
    before: [played, answered('t1:0'), summary(SUMMARY), whispered('t1:0'), joined('t1:0')],
    event: fire('hold'),
    phase: 'returned',
    effects: [hangUp('t1:0'), ...back('t1:0', 'failed', true)],
    detail: 'timer=hold outcome=failed',
  },
  {
    name: 'human leaves the room before the caller was joined → human_hangup, next destination',
    before: [played, answered('t1:0'), summary(SUMMARY), whispered('t1:0'), joined('t1:0')],
    event: ended('t1:0', 'completed'),
    phase: 'dialing',
    effects: dialNext,
    detail: 'leg=t1:0 status=completed outcome=human_hangup next=t1:1',
  },
  {
    name: 'no join confirmation → hang up that human, dial the next',
    before: joining,
    event: fire('join:t1:0'),
    phase: 'dialing',
    effects: [hangUp('t1:0'), ...dialNext],
    detail: 'timer=join leg=t1:0 outcome=failed next=t1:1',
  },
  // Failures.
  ...(['busy', 'no_answer', 'failed', 'canceled', 'declined'] as const).map(
    (status): Row => ({
      name: `${status} → next destination, caller stays on hold`,
      before: [played, held, ringing('t1:0')],
      event: ended('t1:0', status),
      phase: 'dialing',
      effects: [cancel('ring:t1:0'), ...dialNext],
      detail: `leg=t1:0 status=${status} outcome=${status} next=t1:1`,
    }),
  ),
  {
    name: 'human hangs up during the whisper → human_hangup, next destination',
    before: [played, held, answered('t1:0'), summary(SUMMARY)],
    event: ended('t1:0', 'completed'),
    phase: 'dialing',
    effects: [cancel('whisper:t1:0'), ...dialNext],
    detail: 'leg=t1:0 status=completed outcome=human_hangup next=t1:1',
  },
  {
    name: 'human hangs up while joining → human_hangup',
    before: joining,
    event: ended('t1:0', 'completed'),
    phase: 'dialing',
    effects: [cancel('join:t1:0'), ...dialNext],
    detail: 'leg=t1:0 status=completed outcome=human_hangup next=t1:1',
  },
  {
    name: 'carrier error (e.g. the whisper failed) → hang up that human, next destination',
    before: [played, held, answered('t1:0'), summary(SUMMARY)],
    event: { type: 'leg.error', legId: 't1:0', carrierCode: '20404' },
    phase: 'dialing',
    effects: [hangUp('t1:0'), cancel('whisper:t1:0'), ...dialNext],
    detail: 'leg=t1:0 outcome=carrier_error code=20404 next=t1:1',
  },
  {
    name: 'ring timer → cancel the leg, next destination',
    before: [played, held],
    event: fire('ring:t1:0'),
    phase: 'dialing',
    effects: [hangUp('t1:0'), ...dialNext],
    detail: 'timer=ring leg=t1:0 outcome=no_answer next=t1:1',
  },
  {
    // Their hang-up may have gone unreported (the room's report and the status callback both lost).
    name: 'last destination fails with the caller on hold → the carrier is asked whether they are still there',
    before: [played, held, ended('t1:0', 'busy')],
    event: ended('t1:1', 'no_answer'),
    phase: 'checking_caller',
    effects: [
      cancel('ring:t1:1'),
      cancel('summary'),
      { type: 'caller.check' },
      { type: 'timer.start', timerId: 'verify', atMs: AT + CALLER_VERIFY_WAIT_MS },
    ],
    detail: 'leg=t1:1 status=no_answer outcome=no_answer chain=exhausted note=caller_check',
  },
  {
    name: 'the carrier says the caller is there → caller back to the AI, the failure recorded',
    before: [played, held, ended('t1:0', 'busy'), ended('t1:1', 'no_answer')],
    event: { type: 'caller.present' },
    phase: 'returned',
    effects: [cancel('verify'), ...back('t1:1', 'no_answer', true)],
    detail: 'note=caller_present outcome=no_answer',
  },
  {
    name: 'the carrier does not say in time → the caller is taken to be there and returned',
    before: [played, held, ended('t1:0', 'busy'), ended('t1:1', 'no_answer')],
    event: fire('verify'),
    phase: 'returned',
    effects: back('t1:1', 'no_answer', true),
    detail: 'timer=verify outcome=no_answer note=caller_unconfirmed',
  },
  {
    name: 'the carrier says the caller is gone → caller_hangup, nobody to return',
    before: [played, held, ended('t1:0', 'busy'), ended('t1:1', 'no_answer')],
    event: hangup,
    phase: 'hung_up',
    effects: goneFx('t1:1', [], [cancel('verify')]),
    detail: 'outcome=caller_hangup',
  },

  {
    name: 'chain fails while the handoff sentence plays → no redirect, the caller never left',
    before: [ended('t1:0', 'busy')],
    event: ended('t1:1', 'busy'),
    phase: 'returned',
    effects: [cancel('ring:t1:1'), cancel('summary'), cancel('handoff'), ...back('t1:1', 'busy', false)],
    detail: 'leg=t1:1 status=busy outcome=busy chain=exhausted',
  },
  // Caller hangup and cancel.
  {
    name: 'caller hangs up during the whisper → the human is hung up too',
    before: [played, answered('t1:0'), summary(SUMMARY)],
    event: hangup,
    phase: 'hung_up',
    effects: goneFx('t1:0', ['t1:0'], [cancel('whisper:t1:0'), cancel('hold')]),
    detail: 'outcome=caller_hangup',
  },
  {
    name: 'caller hangs up while the human rings',
    before: [played, held, ringing('t1:0')],
    event: hangup,
    phase: 'hung_up',
    effects: goneFx('t1:0', ['t1:0'], [cancel('ring:t1:0'), cancel('summary')]),
    detail: 'outcome=caller_hangup',
  },
  {
    name: 'caller leaves the room while the human rings → a short wait for them to come back (a hold sent twice moves them out and in)',
    before: [played, held, ringing('t1:0')],
    event: left,
    phase: 'ringing',
    effects: [{ type: 'timer.start', timerId: 'confirm', atMs: AT + CALLER_LEFT_CONFIRM_MS }],
    detail: 'note=caller_left_room',
  },
  {
    name: 'caller out of the room for a second → the carrier is asked whether their call is live',
    before: [played, held, ringing('t1:0'), left],
    event: fire('confirm'),
    phase: 'ringing',
    effects: [{ type: 'caller.check' }, { type: 'timer.start', timerId: 'check', atMs: AT + 5_000 }],
    detail: 'timer=confirm note=caller_check',
  },
  {
    name: 'the carrier says the caller’s call is live (their "back in" came before their "out") → still on hold',
    before: [played, held, ringing('t1:0'), left, fire('confirm')],
    event: { type: 'caller.present' },
    phase: 'ringing',
    effects: [cancel('check')],
    detail: 'note=caller_still_held join=not_ready',
  },
  {
    name: 'the carrier says the caller is still live with the human in the room → connected',
    before: [
      played,
      answered('t1:0'),
      summary(SUMMARY),
      whispered('t1:0'),
      held,
      left,
      joined('t1:0'),
      fire('confirm'),
    ],
    event: { type: 'caller.present' },
    phase: 'connected',
    effects: [cancel('check'), ...connectedFx('t1:0')],
    detail: 'note=caller_still_held join=connected',
  },
  {
    name: 'caller back in the room while the carrier is asked → the transfer goes on',
    before: [played, held, ringing('t1:0'), left, fire('confirm')],
    event: held,
    phase: 'ringing',
    effects: [cancel('check')],
    detail: 'note=caller_rejoined join=not_ready',
  },
  {
    name: 'caller left the room and did not come back (their status callback still to come) → the human is hung up, no move back',
    before: [played, held, ringing('t1:0'), left, fire('confirm')],
    event: fire('check'),
    phase: 'hung_up',
    effects: goneFx('t1:0', ['t1:0'], [cancel('ring:t1:0'), cancel('summary')]),
    detail: 'timer=check outcome=caller_hangup note=caller_left_room',
  },
  {
    name: 'caller back in the room right after leaving it → the transfer goes on',
    before: [played, held, ringing('t1:0'), left],
    event: held,
    phase: 'ringing',
    effects: [cancel('confirm')],
    detail: 'note=caller_rejoined join=not_ready',
  },
  {
    name: 'caller left the room as the human joins it → never connected to nobody',
    before: [played, answered('t1:0'), summary(SUMMARY), whispered('t1:0'), held, left],
    event: joined('t1:0'),
    phase: 'awaiting_hold',
    effects: [cancel('join:t1:0')],
    detail: 'leg=t1:0 join=awaiting_caller',
  },
  {
    name: 'caller left, the human joined, the caller did not come back → the human is hung up',
    before: [
      played,
      answered('t1:0'),
      summary(SUMMARY),
      whispered('t1:0'),
      held,
      left,
      joined('t1:0'),
      fire('confirm'),
    ],
    event: fire('check'),
    phase: 'hung_up',
    effects: goneFx('t1:0', ['t1:0']),
    detail: 'timer=check outcome=caller_hangup note=caller_left_room',
  },
  {
    name: 'agent cancels during the handoff sentence',
    before: [],
    event: { type: 'transfer.cancel', by: 'agent' },
    phase: 'returned',
    effects: [
      hangUp('t1:0'),
      cancel('ring:t1:0'),
      cancel('summary'),
      cancel('handoff'),
      ...back('t1:0', 'canceled', false),
    ],
    detail: 'outcome=canceled by=agent',
  },
  {
    name: 'API cancel with the caller on hold → caller back to the AI',
    before: [played, held],
    event: { type: 'transfer.cancel', by: 'api' },
    phase: 'returned',
    effects: [hangUp('t1:0'), cancel('ring:t1:0'), cancel('summary'), ...back('t1:0', 'canceled', true)],
    detail: 'outcome=canceled by=api',
  },
  // Strays.
  {
    name: 'a superseded leg answering is hung up',
    before: [played, ended('t1:0', 'busy')],
    event: answered('t1:0'),
    phase: 'dialing',
    effects: [hangUp('t1:0')],
    detail: 'leg=t1:0 note=stray_answer_canceled',
  },
  {
    name: 'a canceled leg answering after another human joined is hung up',
    before: [
      fire('ring:t1:0'),
      played,
      held,
      answered('t1:1'),
      summary(SUMMARY),
      whispered('t1:1'),
      joined('t1:1'),
      present,
    ],
    event: answered('t1:0'),
    phase: 'connected',
    effects: [hangUp('t1:0')],
    detail: 'leg=t1:0 note=stray_answer_canceled',
  },
  {
    name: 'the end of a canceled leg is noted, nothing else',
    before: [fire('ring:t1:0')],
    event: ended('t1:0', 'canceled'),
    phase: 'dialing',
    effects: [],
    detail: 'leg=t1:0 status=canceled note=after_cancel',
  },
];

describe('warm machine: transitions', () => {
  it.each(rows)('$name', (row) => {
    const before = run(row.before, row.whisper);
    const result = step(before, row.event, { nowMs: AT });
    expect(result.state.phase).toBe(row.phase);
    expect(result.effects).toEqual(row.effects);
    expect(result.state.timeline).toHaveLength(before.timeline.length + 1);
    expect(result.state.timeline.at(-1)).toEqual({
      atMs: AT,
      state: row.phase,
      event: row.event.type,
      detail: row.detail,
    });
  });
});

const ignored: readonly { name: string; before: readonly TransferEvent[]; event: TransferEvent }[] = [
  { name: 'handoff played twice', before: [played], event: played },
  { name: 'handoff played after the handoff timer', before: [fire('handoff')], event: played },
  { name: 'handoff timer after the sentence played', before: [played], event: fire('handoff') },
  { name: 'caller held before the hold was asked', before: [], event: held },
  { name: 'caller held twice', before: [played, held], event: held },
  { name: 'hold timer after the caller was held', before: [played, held], event: fire('hold') },
  { name: 'ringing after the answer', before: [answered('t1:0')], event: ringing('t1:0') },
  { name: 'answer twice', before: [answered('t1:0')], event: answered('t1:0') },
  { name: 'second summary', before: [summary(SUMMARY)], event: summary('Something else.') },
  { name: 'blank summary twice', before: [summary(' ')], event: summary(' ') },
  { name: 'summary timer after the summary', before: [summary(SUMMARY)], event: fire('summary') },
  { name: 'whisper played before any whisper', before: [answered('t1:0')], event: whispered('t1:0') },
  { name: 'whisper timer after the whisper played', before: joining, event: fire('whisper:t1:0') },
  { name: 'human joined before the answer', before: [ringing('t1:0')], event: joined('t1:0') },
  {
    name: 'human joined twice while the caller is awaited',
    before: [played, answered('t1:0'), summary(SUMMARY), whispered('t1:0'), joined('t1:0')],
    event: joined('t1:0'),
  },
  { name: 'caller reported live (cold only)', before: [played], event: { type: 'caller.present' } },
  { name: 'human joined for another leg', before: joining, event: joined('t1:1') },
  { name: 'ring timer after the answer', before: [answered('t1:0')], event: fire('ring:t1:0') },
  {
    name: 'end of the joined leg after connected',
    before: [...joining, joined('t1:0'), present],
    event: ended('t1:0', 'completed'),
  },
  { name: 'caller hangup after connected', before: [...joining, joined('t1:0'), present], event: hangup },
  { name: 'caller left a room they were never sent to', before: [], event: left },
  { name: 'caller left after connected', before: [...joining, joined('t1:0'), present], event: left },
  // The daemon moves the caller out only once the transfer ended (back to the AI).
  {
    name: 'caller left after the transfer failed',
    before: [played, held, fire('ring:t1:0'), fire('ring:t1:1')],
    event: left,
  },
  // The carrier's answer about the caller decides, not the room's reports meanwhile.
  {
    name: 'caller left while the carrier is asked about them',
    before: [played, held, ended('t1:0', 'busy'), ended('t1:1', 'no_answer')],
    event: left,
  },
  {
    name: 'caller held while the carrier is asked about them',
    before: [played, held, ended('t1:0', 'busy'), ended('t1:1', 'no_answer')],
    event: held,
  },
  {
    name: 'the carrier says twice that the caller is there',
    before: [played, held, ended('t1:0', 'busy'), ended('t1:1', 'no_answer'), { type: 'caller.present' }],
    event: { type: 'caller.present' },
  },
  { name: 'events after the caller hung up', before: [hangup], event: summary(SUMMARY) },
  { name: 'answer of an unknown leg', before: [], event: answered('t1:7') },
  {
    name: 'a stray answer already hung up',
    before: [ended('t1:0', 'busy'), answered('t1:0')],
    event: answered('t1:0'),
  },
  { name: 'summary with a static whisper', before: [], event: summary(SUMMARY) },
];

describe('warm machine: events that change nothing', () => {
  it.each(ignored)('$name', (row) => {
    const before = run(
      row.before,
      row.name.includes('static') ? { kind: 'static', text: STATIC } : undefined,
    );
    const result = step(before, row.event, ctx);
    expect(result.state).toBe(before);
    expect(result.effects).toEqual([]);
  });
});

describe('warm machine: start', () => {
  it('dials at once while the handoff sentence plays and asks for the summary', () => {
    const { state, effects } = initial(inputFor(), ctx);
    expect(effects).toEqual([
      { type: 'flag.set', destination: A },
      { type: 'agent.status', status: 'started', destination: A },
      ...dial('t1:0', A, NOW),
      { type: 'agent.summary_request', timeoutMs: 5_000 },
      { type: 'timer.start', timerId: 'summary', atMs: NOW + 5_000 },
      { type: 'timer.start', timerId: 'handoff', atMs: NOW + 4_000 },
    ]);
    expect(state.phase).toBe('dialing');
    expect(state.flags).toEqual({
      handoffPlayed: false,
      callerMoved: false,
      callerHeld: false,
      summaryText: null,
      summaryDone: false,
    });
    expect(state.timeline).toEqual([
      { atMs: NOW, state: 'dialing', event: 'transfer.started', detail: 'trigger=tool chain=2' },
    ]);
  });

  it('a static whisper asks no summary', () => {
    const { effects } = initial(inputFor({ kind: 'static', text: STATIC }), ctx);
    expect(effects.map((e) => e.type)).not.toContain('agent.summary_request');
    expect(effects.filter((e) => e.type === 'timer.start').map((e) => e.timerId)).toEqual([
      'ring:t1:0',
      'handoff',
    ]);
  });

  it('a whole successful transfer keeps the summary out of the timeline', () => {
    const state = run([...joining, joined('t1:0'), present]);
    expect(transferMachine.isTerminal(state)).toBe(true);
    expect(state.outcome).toBe('connected');
    expect(state.flags).toMatchObject({
      handoffPlayed: true,
      callerMoved: true,
      callerHeld: true,
      summaryText: SUMMARY,
    });
    expect(state.timers).toEqual([]);
    expect(state.timeline.map((t) => t.state)).toEqual([
      'dialing',
      'dialing',
      'dialing',
      'awaiting_summary',
      'whispering',
      'joining',
      'checking_caller',
      'connected',
    ]);
    expect(JSON.stringify(state.timeline)).not.toContain('refund');
    expect(JSON.stringify(state.timeline)).not.toContain(A.slice(1));
  });
});

describe('warm: every human failed while the caller is on the way to the room or out of it', () => {
  /** The first human busy, then the second's phone stops ringing: the chain is exhausted. */
  const firstBusy = ended('t1:0', 'busy');
  const lastFails = ended('t1:1', 'no_answer');
  const effectTypes = (events: readonly TransferEvent[], event: TransferEvent) =>
    step(run(events), event, ctx).effects.map((e) => e.type);

  it.each([
    ['on the way (the hold sent, not yet reported)', [played, firstBusy]],
    [
      'out of the room, not yet known to be back or gone (property seed 0x140e)',
      [played, held, firstBusy, left],
    ],
    ['in the room', [played, held, firstBusy]],
  ] as const)('%s: the carrier is asked about the caller before the failure is recorded', (_what, before) => {
    const after = step(run(before), lastFails, ctx);
    expect(after.state.outcome).toBeNull();
    expect(after.state.flags.returning).toEqual({ outcome: 'no_answer', carrierCode: null });
    expect(after.effects).toEqual(
      expect.arrayContaining([
        { type: 'caller.check' },
        { type: 'timer.start', timerId: 'verify', atMs: NOW + CALLER_VERIFY_WAIT_MS },
      ]),
    );
    // The caller gone: their hang-up is what happened.
    expect(step(after.state, hangup, ctx).state.outcome).toBe('caller_hangup');
    // The caller there: back to the AI with the humans' failure.
    const back = step(after.state, present, ctx);
    expect(back.state.outcome).toBe('no_answer');
    expect(back.effects.map((e) => e.type)).toContain('caller.to_agent');
  });

  it('the caller never sent to the room (the handoff still playing): the failure at once, nobody to ask about', () => {
    expect(effectTypes([firstBusy], lastFails)).not.toContain('caller.check');
    expect(step(run([firstBusy]), lastFails, ctx).state.outcome).toBe('no_answer');
  });
});

describe('warm: a leg given up on its create’s error rings after all', () => {
  const createFailed: TransferEvent = { type: 'leg.error', legId: 't1:0', carrierCode: '20500' };

  it('hung up once (the carrier placed it though it answered an error); the next human rings on', () => {
    const gaveUp = run([createFailed]);
    // Its cancel was decided at the error; with no carrier id yet, it hung nothing up.
    expect(gaveUp.legs.map((l) => [l.legId, l.status, l.outcome])).toEqual([
      ['t1:0', 'canceling', 'carrier_error'],
      ['t1:1', 'dialing', null],
    ]);
    const rang = step(gaveUp, ringing('t1:0'), ctx);
    expect(rang.effects).toEqual([hangUp('t1:0')]);
    expect(step(rang.state, ringing('t1:0'), ctx).effects).toEqual([]);
  });

  it('after the transfer is over, too', () => {
    const over = run([createFailed, { type: 'leg.error', legId: 't1:1', carrierCode: '20500' }]);
    expect(over.outcome).toBe('carrier_error');
    expect(step(over, ringing('t1:0'), ctx).effects).toEqual([hangUp('t1:0')]);
  });

  it('a leg whose end the carrier reported is left alone (its late ringing is only out of order)', () => {
    const busy = run([ended('t1:0', 'busy')]);
    expect(step(busy, ringing('t1:0'), ctx).effects).toEqual([]);
  });
});
