import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { SimError, type Simulator } from '../../sim/index.js';
import { parseScenario } from '../../sim/scenario.js';
import { startScenario } from '../../sim/standalone.js';
import { AUTH_TOKEN, TestApp } from './helpers.js';

describe('standalone simulator', () => {
  let sim: Simulator | undefined;
  let app: TestApp | undefined;

  afterEach(async () => {
    await sim?.stop();
    await app?.stop();
    sim = undefined;
    app = undefined;
  });

  it('lists every problem of a bad scenario', () => {
    let err: unknown;
    try {
      parseScenario('port: -1\nhumans:\n  "+1555": { type: explode }\ntwilio:\n  options: { bogus: 1 }\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimError);
    expect((err as SimError).code).toBe('sim.bad_scenario');
    expect((err as SimError).message).toContain('port');
    expect((err as SimError).message).toContain('humans.+1555');
    expect((err as SimError).message).toContain('twilio.options');
  });

  it('runs a YAML scenario and serves the /sim control API', async () => {
    app = await TestApp.start(AUTH_TOKEN);
    app.route('/voice', '<Response><Dial timeout="5">+15558880001</Dial></Response>');
    const scenario = parseScenario(`
port: 0
twilio:
  authToken: ${AUTH_TOKEN}
  options: { sayMsPerChar: 5 }
  numbers:
    "+15550001000": { voiceUrl: "${app.url}/voice" }
humans:
  "+15558880001": { type: answer, afterMs: 50, hangupAfterMs: 100 }
calls:
  - { from: "+15557770001", to: "+15550001000", atMs: 0 }
`);
    sim = await startScenario(scenario);
    const s = sim;
    await s.waitFor(() => s.network.calls.length === 1 && s.network.calls[0]?.state === 'ended');
    expect(app.to('/voice').length).toBe(1);
    expect(s.network.endpoint('+15558880001').legs.length).toBe(1);

    const placed = await fetch(`${s.url}/sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+15557770002', to: '+15550001000', audio: { type: 'tone' } }),
    });
    expect(placed.status).toBe(201);
    const { sid } = (await placed.json()) as { sid: string };
    expect(sid).toMatch(/^CA/);
    await s.waitFor(() => s.network.endpoint('+15558880001').legs.length === 2);
    const hangup = await fetch(`${s.url}/sim/calls/${sid}/hangup`, { method: 'POST' });
    expect(hangup.status).toBe(200);
    const log = (await (await fetch(`${s.url}/sim/calls/${sid}`)).json()) as {
      entries: Array<{ type: string }>;
    };
    expect(log.entries.map((e) => e.type)).toContain('leg.created');
    const bad = await fetch(`${s.url}/sim/calls`, { method: 'POST', body: '{"to":1}' });
    expect(bad.status).toBe(400);
  });

  it('starts from the command line and prints a ready line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--port', '0', '--quiet'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    const ready = new Promise<Record<string, unknown>>((resolve) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.includes('sim.ready'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
    const info = await ready;
    expect(info['url']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${String(info['url'])}/2010-04-01/Accounts/AC${'0'.repeat(32)}/Calls.json`);
    expect(res.status).toBe(401);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
