import { describe, expect, it } from 'vitest';
import { TransferStatusOrder } from '../../src/agent/status-order.js';
import type { TransferStatus } from '../../src/transfer/machine-types.js';

/** Feeds statuses in the order they reached the socket; returns those sent to the agent. */
function seen(arrivals: readonly [TransferStatus, number | undefined][], transferId = 't1'): string[] {
  const order = new TransferStatusOrder();
  return arrivals
    .filter(([status, leg]) => order.admit(transferId, status, leg))
    .map(([status, leg]) => (leg === undefined ? status : `${status}:${leg}`));
}

describe('TransferStatusOrder: what the agent sees only moves forward', () => {
  it('a ringing that overtook dialing: dialing is dropped, not sent late', () => {
    expect(
      seen([
        ['started', undefined],
        ['ringing', 0],
        ['dialing', 0],
        ['answered', 0],
      ]),
    ).toEqual(['started', 'ringing:0', 'answered:0']);
  });

  it('the next leg of the chain starts again from dialing; a late status of the leg before is dropped', () => {
    expect(
      seen([
        ['started', undefined],
        ['dialing', 0],
        ['ringing', 0],
        ['dialing', 1],
        ['ringing', 0],
        ['ringing', 1],
        ['answered', 1],
        ['whispering', 1],
        ['connected', 1],
      ]),
    ).toEqual([
      'started',
      'dialing:0',
      'ringing:0',
      'dialing:1',
      'ringing:1',
      'answered:1',
      'whispering:1',
      'connected:1',
    ]);
  });

  it('nothing after a terminal status; duplicates are not repeated; started is first or nothing', () => {
    expect(
      seen([
        ['dialing', 0],
        ['started', undefined],
        ['dialing', 0],
        ['failed', 0],
        ['ringing', 0],
        ['connected', 0],
        ['failed', undefined],
      ]),
    ).toEqual(['dialing:0', 'failed:0']);
  });

  it('each transfer of the call has its own order', () => {
    const order = new TransferStatusOrder();
    expect(order.admit('t1', 'failed', 0)).toBe(true);
    expect(order.admit('t2', 'started', undefined)).toBe(true);
    expect(order.admit('t2', 'dialing', 0)).toBe(true);
    expect(order.admit('t1', 'dialing', 0)).toBe(false);
  });
});
