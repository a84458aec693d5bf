import { describe, expect, it } from 'vitest';
import { reduceCall } from '../../src/runtime/call-reducer.js';
import { harness } from './executor-harness.js';
import { RECORDS, reduceContext } from './shell-fakes.js';

/**
 * A warm transfer's trigger (issue 18 item 3): the human's leg is placed before the agent is told
 * the request was accepted and the transfer started and is dialing, and the agent is still told
 * those in their order. With the agent's socket on another worker, nothing is reordered.
 */
describe('a REST dial starts before the effects that only tell the agent', () => {
  const triggered = () => {
    const result = reduceCall(
      RECORDS.ai(),
      { type: 'transfer.request', trigger: { type: 'default' }, mode: 'warm', requestId: 'req-1' },
      reduceContext(),
    );
    if (result === null) throw new Error('the request changed nothing');
    return result;
  };

  it('the carrier hears of the leg first; the agent hears the same things in the same order', async () => {
    const { record, effects } = triggered();
    const kinds = effects.map((e) => (e.type === 'transfer' ? e.effect.type : e.type));
    // What the reducer emits, in its order: the dial after the messages to the agent.
    expect(kinds.indexOf('carrier.dial')).toBeGreaterThan(kinds.indexOf('transfer.accepted'));
    const h = harness({ record: () => record });
    const order: string[] = [];
    const agent = h.local.agent;
    const sent = agent.sent.push.bind(agent.sent);
    agent.sent.push = (...items) => {
      for (const item of items) order.push(`agent:${item.kind}`);
      return sent(...items);
    };
    const commands = h.carrier.commands.push.bind(h.carrier.commands);
    h.carrier.commands.push = (...items) => {
      for (const item of items) order.push(`carrier:${item.op}`);
      return commands(...items);
    };
    await h.executor.run(record, effects, h.context);
    expect(order).toEqual(['carrier:createCall', 'agent:tool_result', 'agent:status', 'agent:status']);
    const statuses = agent.sent.flatMap((s) => (s.kind === 'status' ? [s.update.status] : []));
    expect(statuses).toEqual(['started', 'dialing']);
    expect(h.fed.map((i) => i.type)).toContain('leg.bound');
  });

  it('the socket on another worker: the relays go first, as decided', async () => {
    const { record, effects } = triggered();
    const h = harness({ record: () => record, session: false, relay: true });
    const relayedBeforeDial: number[] = [];
    const create = h.carrier.adapter.control.createCall.bind(h.carrier.adapter.control);
    const control = h.carrier.adapter.control as { createCall: typeof create };
    control.createCall = (options) => {
      relayedBeforeDial.push(h.relayedEffects.length);
      return create(options);
    };
    await h.executor.run(record, effects, h.context);
    // transfer.accepted, handoff.watch, `started` and `dialing` were relayed before the dial.
    expect(relayedBeforeDial).toEqual([4]);
  });
});
