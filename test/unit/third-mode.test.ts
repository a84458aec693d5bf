import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentConfig } from '../../src/config/agents.js';
import { DaemonError } from '../../src/domain/errors.js';
import { type CallRecord, newCallRecord } from '../../src/runtime/call-record.js';
import { type CallInput, type ReduceContext, reduceCall } from '../../src/runtime/call-reducer.js';
import { callerNow } from '../../src/runtime/webhooks.js';
import { defineMachine, onAnswerConnects, onLegError, onRinging } from '../../src/transfer/machine-define.js';
import {
  type Applied,
  cleanCarrierCode,
  type Draft,
  detailOf,
  dialLeg,
  dropLeg,
  finish,
  liveCurrentLeg,
  nextOrReturn,
  outcomeOfEnd,
  staleEnd,
} from '../../src/transfer/machine-draft.js';
import type { MachineState, TerminalPhase } from '../../src/transfer/machine-state.js';
import type { TransferEffectType, TransferEvent } from '../../src/transfer/machine-types.js';
import {
  defineMode,
  ModeRegistry,
  type ModeSpec,
  type TransferModeDescriptor,
} from '../../src/transfer/mode.js';
import { TRANSFER_MODES } from '../../src/transfer/modes.js';

/**
 * A third mode is one file and one registry line: here the file is this test's own descriptor,
 * and the line is `TRANSFER_MODES.with(…)`; nothing in src/ names it. `relay` rings the human on a
 * new leg and bridges on answer, on a carrier with conferences (cold elsewhere).
 */

type RelayPhase = 'ringing' | TerminalPhase;
type RelayState = MachineState<'relay', RelayPhase>;

function apply(d: Draft<RelayState>, event: TransferEvent): Applied {
  const dial = (i: number) => dialLeg(d, i);
  switch (event.type) {
    case 'leg.ringing':
      return onRinging(d, event.legId);
    case 'leg.error':
      return onLegError(d, event, dial);
    case 'leg.answered':
      return onAnswerConnects(d, event.legId);
    case 'leg.ended': {
      const leg = liveCurrentLeg(d, event.legId);
      if (leg === undefined) return staleEnd(d, event.legId, event.status);
      const outcome = outcomeOfEnd(event.status);
      const code = cleanCarrierCode(event.carrierCode);
      dropLeg(d, leg, outcome, code, false);
      return nextOrReturn(d, outcome, code, dial);
    }
    case 'caller.hangup':
      finish(d, 'caller_hangup', null);
      return detailOf({ outcome: 'caller_hangup' });
    default:
      return null;
  }
}

const relayMachine = defineMachine<'relay', RelayPhase>({
  mode: 'relay',
  startPhase: 'ringing',
  start: (d) => {
    d.s.flags.callerMoved = true;
    dialLeg(d, 0);
  },
  apply,
  syncPhase: (d) => {
    d.s.phase = 'ringing';
  },
});

const RELAY_EFFECTS: readonly TransferEffectType[] = [
  'flag.set',
  'flag.clear',
  'timer.start',
  'timer.cancel',
  'carrier.dial',
  'carrier.cancel',
  'caller.to_agent',
  'agent.detach',
  'agent.status',
  'agent.resume',
  'transfer.ended',
];

function relaySpec(overrides: Partial<ModeSpec<RelayState>> = {}): ModeSpec<RelayState> {
  return {
    name: 'relay',
    machine: relayMachine,
    requires: ['conference'],
    fallback: 'cold',
    defaultRingTimeoutSec: 20,
    whispers: false,
    dialsFrom: 'leg',
    effects: RELAY_EFFECTS,
    callerPlace: () => ({ type: 'hold', holdAudioUrl: 'https://example.com/relay-hold.mp3' }),
    ...overrides,
  };
}

const relayMode: TransferModeDescriptor = defineMode<RelayState>(relaySpec());
const MODES = TRANSFER_MODES.with(relayMode);

const NOW = Date.parse('2025-01-06T18:00:00Z');

function agent(): AgentConfig {
  return parseAgentConfig(
    {
      id: 'front-desk',
      numbers: ['+14155550100'],
      outboundNumber: '+14155550100',
      agent: { url: 'ws://127.0.0.1:1/agent' },
      handoffConfig: { transferDestination: '+14155550133' },
    },
    { defaultRegion: 'US' },
  );
}

function call(): CallRecord {
  return newCallRecord({
    callId: 'CA1',
    carrier: 'twilio',
    agentId: 'front-desk',
    agentVersion: 1,
    direction: 'inbound',
    from: '+12125550123',
    to: '+14155550100',
    nowMs: NOW,
  });
}

function ctx(overrides: Partial<ReduceContext> = {}): ReduceContext {
  return { nowMs: NOW, agent: agent(), defaultRegion: 'US', modes: MODES, ...overrides };
}

const askRelay: CallInput = { type: 'transfer.request', trigger: { type: 'api' }, mode: 'relay' };

function reduce(record: CallRecord, input: CallInput, c: ReduceContext = ctx()) {
  const result = reduceCall(record, input, c);
  if (result === null) throw new Error(`${input.type} changed nothing`);
  return result;
}

function transferEffects(effects: ReturnType<typeof reduce>['effects']) {
  return effects.flatMap((e) => (e.type === 'transfer' ? [e.effect] : []));
}

describe('a third mode registered from outside src/', () => {
  it('runs through the reducer: started with its own machine, connected on answer', () => {
    const started = reduce(call(), askRelay);
    const transfer = started.record.transfer;
    expect(started.record.phase).toBe('transferring');
    expect(transfer?.mode).toBe('relay');
    expect(transfer?.plan.ringTimeoutMs).toBe(20_000); // the descriptor's default, not cold's or warm's
    expect(transfer?.plan.whisper).toEqual({ kind: 'none' });
    expect(started.record.transfers.map((t) => t.mode)).toEqual(['relay']);
    expect(transferEffects(started.effects)).toContainEqual({
      type: 'carrier.dial',
      legId: 'CA1.t1:0',
      to: '+14155550133',
      callerId: '+12125550123',
      timeoutMs: 20_000,
      mode: 'relay',
    });
    // Where the caller belongs now is the mode's to say.
    expect(callerNow(started.record, MODES)).toEqual({
      type: 'hold',
      holdAudioUrl: 'https://example.com/relay-hold.mp3',
    });

    const answered = reduce(started.record, {
      type: 'transfer.event',
      transferId: 'CA1.t1',
      event: { type: 'leg.answered', legId: 'CA1.t1:0' },
    });
    expect(answered.record.phase).toBe('human');
    expect(answered.record.transfer?.outcome).toBe('connected');
    expect(transferEffects(answered.effects).map((e) => e.type)).toEqual([
      'timer.cancel',
      'agent.status',
      'agent.detach',
      'flag.clear',
      'transfer.ended',
    ]);
  });

  it('is unknown to the daemon itself: the same request without it is refused, nothing dialed', () => {
    const result = reduce(call(), askRelay, ctx({ modes: TRANSFER_MODES }));
    expect(result.record.phase).toBe('ai');
    expect(result.record.refusals.map((r) => r.refusal)).toEqual(['mode_unsupported']);
    expect(result.effects.map((e) => e.type)).toEqual(['transfer.refused']);
  });

  it('a carrier without what it requires runs its fallback, and the timeline says so', () => {
    const result = reduce(call(), askRelay, ctx({ carrierCan: (c) => c !== 'conference' }));
    expect(result.record.transfer?.mode).toBe('cold');
    expect(result.record.timeline).toContainEqual({
      atMs: NOW,
      event: 'transfer.relay_as_cold',
      detail: 'carrier has no conference',
    });
    expect(transferEffects(result.effects).some((e) => e.type === 'carrier.dial')).toBe(false); // cold: after the handoff sentence
  });

  it('without a fallback, a carrier that cannot run it refuses the request', () => {
    const { fallback: _none, ...spec } = relaySpec();
    const modes = TRANSFER_MODES.with(defineMode<RelayState>(spec));
    const result = reduce(call(), askRelay, ctx({ modes, carrierCan: () => false }));
    expect(result.record.phase).toBe('ai');
    expect(result.record.refusals).toEqual([
      {
        atMs: NOW,
        trigger: 'api',
        refusal: 'mode_unsupported',
        detail: 'the relay mode needs conference, which the carrier lacks',
      },
    ]);
  });

  it('an effect the mode does not declare is a programming error, raised at once', () => {
    const narrow = defineMode<RelayState>(
      relaySpec({ effects: RELAY_EFFECTS.filter((t) => t !== 'carrier.dial') }),
    );
    const modes = TRANSFER_MODES.with(narrow);
    expect(() => reduceCall(call(), askRelay, ctx({ modes }))).toThrow(
      expect.objectContaining({ code: 'transfer_effect_undeclared' }),
    );
  });

  it('the registry refuses a duplicate name and a fallback it does not list', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
        return undefined;
      } catch (err) {
        return err instanceof DaemonError ? err.code : 'not a DaemonError';
      }
    };
    expect(MODES.with(relayMode).names()).toEqual(['cold', 'warm', 'agentic', 'relay']); // `with` replaces
    expect(TRANSFER_MODES.names()).toEqual(['cold', 'warm', 'agentic']); // and leaves the daemon's alone
    expect(codeOf(() => new ModeRegistry([relayMode, relayMode]))).toBe('transfer_mode_duplicate');
    expect(codeOf(() => TRANSFER_MODES.with(defineMode<RelayState>(relaySpec({ fallback: 'nope' }))))).toBe(
      'transfer_mode_unknown',
    );
  });
});
