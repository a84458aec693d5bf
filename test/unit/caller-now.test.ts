import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';
import { type CallInput, type ReduceContext, reduceCall } from '../../src/runtime/call-reducer.js';
import type { ReplyBody } from '../../src/runtime/engine.js';
import { callerNow } from '../../src/runtime/webhooks.js';

/**
 * `callerNow` answers a continuation (a dropped stream, a restarted worker, a finished dial)
 * from the saved record alone, and never with silence (DESIGN.md invariant 1). One row per place
 * a call can be, each record built through `reduceCall` from a new call. A new phase or
 * transfer position is a new row.
 */

const NOW = 1_700_000_000_000;
const CALL_ID = 'CA1';
const CALLER = '+12125550123';
const HUMAN = '+14155550133';
const HOLD_AUDIO = 'https://audio.example.com/hold.mp3';
const WHISPER = 'A caller from the front desk.';
const T1 = `${CALL_ID}.t1`;
/** The first leg of the first transfer, as the machines name legs. */
const LEG0 = `${T1}:0`;

function agentConfig(handoff: object = {}): AgentConfig {
  return parseAgentConfig(
    {
      id: 'front-desk',
      numbers: ['+14155550100'],
      agent: { url: 'ws://127.0.0.1:1/agent' },
      handoffConfig: { transferDestination: HUMAN, holdAudio: HOLD_AUDIO, whisper: WHISPER, ...handoff },
    },
    { defaultRegion: 'US' },
  );
}

const AGENT = agentConfig();

function newCall(): CallRecord {
  return newCallRecord({
    callId: CALL_ID,
    carrier: 'twilio',
    agentId: 'front-desk',
    agentVersion: 1,
    direction: 'inbound',
    from: CALLER,
    to: '+14155550100',
    nowMs: NOW,
  });
}

/** Applies inputs in order; every one must change something. */
function through(inputs: readonly CallInput[], ctx: Partial<ReduceContext> = {}): CallRecord {
  let record = newCall();
  for (const input of inputs) {
    const result = reduceCall(record, input, { nowMs: NOW, agent: AGENT, defaultRegion: 'US', ...ctx });
    if (result === null) throw new Error(`setup input ${input.type} changed nothing`);
    record = result.record;
  }
  return record;
}

const request = (mode?: 'cold' | 'warm'): CallInput => ({
  type: 'transfer.request',
  trigger: { type: 'default' },
  ...(mode === undefined ? {} : { mode }),
});
const event = (e: Extract<CallInput, { type: 'transfer.event' }>['event']): CallInput => ({
  type: 'transfer.event',
  transferId: T1,
  event: e,
});
const played = event({ type: 'handoff.played' });

/** The cold dial the caller's call runs, as planned from AGENT. */
const DIAL: ReplyBody = { type: 'dial', legId: LEG0, to: HUMAN, callerId: CALLER, timeoutMs: 10_000 };

const ROWS: [string, () => CallRecord, ReplyBody][] = [
  ['with the AI: the agent stream', () => through([]), { type: 'agent' }],
  [
    'cold, the handoff sentence still playing (nothing dialed): the agent stream',
    () => through([request()]),
    { type: 'agent' },
  ],
  ['cold, dialing: the dial', () => through([request(), played]), DIAL],
  [
    'cold, ringing: the same dial',
    () => through([request(), played, event({ type: 'leg.ringing', legId: LEG0 })]),
    DIAL,
  ],
  [
    'warm run as cold (no conference): the dial, with the whisper for the human and hold for the caller',
    () => through([request('warm'), played], { carrierCan: (capability) => capability !== 'conference' }),
    { ...DIAL, timeoutMs: 15_000, whisper: WHISPER, hold: { audioUrl: HOLD_AUDIO } },
  ],
  [
    'warm, the human dialed while the handoff sentence plays: the agent stream',
    () => through([request('warm')]),
    { type: 'agent' },
  ],
  [
    'warm, the caller moved to hold: hold, with the configured audio',
    () => through([request('warm'), played]),
    { type: 'hold', holdAudioUrl: HOLD_AUDIO },
  ],
  [
    'back with the AI after the only destination was busy: the agent stream',
    () => through([request(), played, event({ type: 'leg.ended', legId: LEG0, status: 'busy' })]),
    { type: 'agent' },
  ],
  [
    'the human has the caller: hang up (the AI has left)',
    () => through([request(), played, event({ type: 'leg.answered', legId: LEG0 })]),
    { type: 'hangup' },
  ],
  ['the call is over: hang up', () => through([{ type: 'call.ended' }]), { type: 'hangup' }],
];

describe('callerNow: where the caller should be, from the record alone', () => {
  it.each(ROWS)('%s', (_name, build, expected) => {
    expect(callerNow(build())).toEqual(expected);
  });

  it('warm, on hold, with no hold audio configured: hold, the carrier’s default audio', () => {
    const record = through([request('warm'), played], {
      agent: parseAgentConfig(
        {
          id: 'front-desk',
          numbers: ['+14155550100'],
          agent: { url: 'ws://127.0.0.1:1/agent' },
          handoffConfig: { transferDestination: HUMAN },
        },
        { defaultRegion: 'US' },
      ),
    });
    expect(callerNow(record)).toEqual({ type: 'hold' });
  });
});
