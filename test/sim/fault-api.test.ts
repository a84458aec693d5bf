import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adversityFor } from '../../sim/adversary/adversary.js';
import type { Simulator } from '../../sim/index.js';
import { parseScenario } from '../../sim/scenario.js';
import { startScenario } from '../../sim/standalone.js';
import { ACCOUNT_SID, AUTH_TOKEN, TestApp } from './helpers.js';

describe('the fault API of the standalone simulator, over HTTP', () => {
  let sim: Simulator;
  let app: TestApp;

  beforeEach(async () => {
    app = await TestApp.start(AUTH_TOKEN);
    app.route('/voice', '<Response><Pause length="1"/></Response>');
    sim = await startScenario(
      parseScenario(`
port: 0
twilio:
  accountSid: ${ACCOUNT_SID}
  authToken: ${AUTH_TOKEN}
  numbers:
    "+15550001000": { voiceUrl: "${app.url}/voice" }
`),
    );
  });

  afterEach(async () => {
    await sim.stop();
    await app.stop();
  });

  const send = (method: string, path: string, body?: unknown) =>
    fetch(`${sim.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });

  it('adds, lists and removes fault rules, and an added rule acts on the wire', async () => {
    const added = await send('POST', '/sim/faults', {
      type: 'rest.error',
      method: 'GET',
      path: '/Calls.json',
      status: 503,
    });
    expect(added.status).toBe(201);
    const rule = (await added.json()) as { id: number; remaining: number };
    expect(rule.remaining).toBe(1);
    const list = (await (await send('GET', '/sim/faults')).json()) as Array<{ id: number; rule: unknown }>;
    expect(list).toEqual([
      {
        id: rule.id,
        rule: { type: 'rest.error', method: 'GET', path: '/Calls.json', status: 503 },
        hits: 0,
        remaining: 1,
      },
    ]);

    const auth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    const rest = await fetch(`${sim.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, {
      headers: { authorization: auth },
    });
    expect(rest.status).toBe(503);
    expect(((await rest.json()) as { code: number }).code).toBe(20503);
    const after = (await (await send('GET', '/sim/faults')).json()) as Array<{ hits: number }>;
    expect(after[0]?.hits).toBe(1);

    expect((await send('DELETE', `/sim/faults/${rule.id}`)).status).toBe(204);
    expect(await (await send('GET', '/sim/faults')).json()).toEqual([]);
    expect((await send('DELETE', `/sim/faults/${rule.id}`)).status).toBe(404);
    const again = await fetch(`${sim.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`, {
      headers: { authorization: auth },
    });
    expect(again.status).toBe(200);
  });

  it('refuses a bad rule with a 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ type: 'callback.delay', match: { kind: 5 }, delayMs: 10 }, 'match.kind'],
      [{ type: 'callback.delay', match: { kind: 'status' } }, 'delayMs'],
      [{ type: 'human.hangup', phase: 'lunch' }, 'phase'],
      [{ type: 'teleport' }, 'type'],
      [{ type: 'rest.error', path: '/Calls', status: 200 }, 'status'],
      [{ type: 'callback.drop', extra: true }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await send('POST', '/sim/faults', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { message } = (await res.json()) as { message: string };
      expect(message, JSON.stringify(body)).toContain(field);
    }
    const notJson = await fetch(`${sim.url}/sim/faults`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    const bad = await send('POST', '/sim/adversary', { seed: -1, mode: 'tepid' });
    expect(bad.status).toBe(400);
    const { message } = (await bad.json()) as { message: string };
    expect(message).toContain('seed');
    expect(message).toContain('mode');
    expect(await (await send('GET', '/sim/faults')).json()).toEqual([]);
  });

  it('applies an adversary seed to the next N calls, one plan per call', async () => {
    const started = await send('POST', '/sim/adversary', {
      seed: 7,
      mode: 'warm',
      calls: 2,
      humans: ['+15558880001'],
    });
    expect(started.status).toBe(201);
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const placed = await send('POST', '/sim/calls', { from: `+1555777000${i}`, to: '+15550001000' });
      expect(placed.status).toBe(201);
      sids.push(((await placed.json()) as { sid: string }).sid);
    }
    const state = (await (await send('GET', '/sim/adversary')).json()) as {
      pending: number;
      applied: Array<{ callSid: string; plan: unknown }>;
    };
    expect(state.pending).toBe(0);
    expect(state.applied).toEqual([
      { callSid: sids[0], plan: adversityFor(7, { carrier: 'twilio', mode: 'warm' }) },
      { callSid: sids[1], plan: adversityFor(8, { carrier: 'twilio', mode: 'warm' }) },
    ]);
    // The second call's plan replaced the first's; the third call got none.
    const rules = ((await (await send('GET', '/sim/faults')).json()) as Array<{ rule: unknown }>).map(
      (f) => f.rule,
    );
    expect(rules).toEqual(adversityFor(8, { carrier: 'twilio', mode: 'warm' }).faults.map((f) => f.rule));
    expect(sim.network.endpoint('+15558880001').behaviour).toEqual(
      adversityFor(8, { carrier: 'twilio', mode: 'warm' }).human,
    );
    expect((await send('DELETE', '/sim/adversary')).status).toBe(204);
    expect(await (await send('GET', '/sim/faults')).json()).toEqual([]);
  });
});
