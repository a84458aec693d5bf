import { describe, expect, it } from 'vitest';
import type { Observation } from './observation.js';
import { evidenceOf } from './report.js';

const T0 = 1_796_240_061_600;

const observation: Observation = {
  label: 'seed 0x4',
  caller: {
    sid: 'CA1',
    answeredAtMs: T0,
    end: { status: 'completed', by: 'endpoint', atMs: T0 + 1671 },
    heard: [],
    said: [{ atMs: T0 + 10, frame: 0 }],
  },
  humans: [
    {
      address: '+14155550001',
      legs: [{ sid: 'CA2', createdAtMs: T0 + 180, answeredAtMs: T0 + 709 }],
      heard: [],
    },
  ],
  rest: [{ atMs: T0 + 179, answeredAtMs: T0 + 180, method: 'POST', path: '/Calls.json', status: 201 }],
  callbacks: [{ atMs: T0 + 1675, kind: 'status', callSid: 'CA1', status: 200 }],
  agent: [
    {
      frames: [
        { event: 'start', atMs: T0 + 32 },
        { event: 'media', atMs: T0 + 40, frame: 1 },
        { event: 'transfer_status', atMs: T0 + 178, transferId: 'CA1.t1', status: 'dialing' },
        { event: 'stop', atMs: T0 + 1694 },
      ],
      closeCode: 1000,
      closedAtMs: T0 + 1697,
    },
    {
      role: 'briefing',
      frames: [{ event: 'start', atMs: T0 + 715 }],
      closeCode: 1000,
      closedAtMs: T0 + 1690,
    },
  ],
  record: {
    phase: 'ended',
    endedReason: 'caller_hangup',
    transfers: [
      { transferId: 'CA1.t1', startedAtMs: T0 + 77, endedAtMs: T0 + 1681, outcome: 'caller_hangup' },
    ],
  },
};

describe('a failed property run’s evidence (report.ts evidenceOf)', () => {
  it('puts every party’s moments on the call’s clock, in order, audio left out', () => {
    expect(evidenceOf(observation)).toEqual([
      '  evidence (ms from the answer; record ended, caller_hangup):',
      '       0 caller CA1 answered',
      '      32 agent socket 0: start',
      '      77 record: transfer CA1.t1 started',
      '     178 agent socket 0: transfer_status CA1.t1 dialing',
      '     179 rest POST /Calls.json → 201',
      '     180 human leg CA2 created',
      '     709 human leg CA2 answered',
      '     715 agent socket 1 (briefing): start',
      '    1671 caller ended: completed by endpoint',
      '    1675 callback status CA1 → 200',
      '    1681 record: transfer CA1.t1 ended: caller_hangup',
      '    1690 agent socket 1 (briefing) closed (1000)',
      '    1694 agent socket 0: stop',
      '    1697 agent socket 0 closed (1000)',
    ]);
  });

  it('says so when the daemon kept no record', () => {
    const { record: _record, ...without } = observation;
    expect(evidenceOf(without)[0]).toBe('  evidence (ms from the answer; no record):');
  });
});
