import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import { TestStreamServer } from './helpers.js';

/**
 * The Exotel REST subset (protocols.md §4.3, §4.4): `Calls/connect` with form or multipart bodies,
 * PascalCase or lowercase names, `.json` vs XML answers, Basic auth, errors, the call it places,
 * its status callbacks, call details, injected faults.
 */

const EXOPHONE = '08047491899';
const CUSTOMER = '+919900000002';
const AUTH = `Basic ${Buffer.from('sim-api-key:sim-api-token').toString('base64')}`;

let sim: Simulator | undefined;
let bot: TestStreamServer | undefined;
let receiver:
  | { url: string; bodies: Array<{ type: string; body: string }>; stop(): Promise<void> }
  | undefined;

afterEach(async () => {
  await sim?.stop();
  await bot?.stop();
  await receiver?.stop();
  sim = bot = receiver = undefined;
});

async function start() {
  sim = await startSimulator();
  sim.exotel.configureNumber(EXOPHONE, { flow: [{ type: 'hangup', id: 'bye' }] });
  return sim;
}

function post(s: Simulator, path: string, body: string | FormData, headers: Record<string, string> = {}) {
  return fetch(`${s.url}/v1/Accounts/sim-exotel/${path}`, {
    method: 'POST',
    headers: {
      authorization: AUTH,
      ...(typeof body === 'string' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    body,
  });
}

async function startReceiver() {
  const bodies: Array<{ type: string; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString() });
      res.end('');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    bodies,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('exotel REST', () => {
  it('Calls/connect.json with a StreamUrl rings From, then connects the Voicebot; JSON status callbacks', async () => {
    const s = await start();
    bot = await TestStreamServer.start();
    receiver = await startReceiver();
    s.network.addHuman(CUSTOMER, { type: 'answer', afterMs: 200, hangupAfterMs: 800 });
    const form = new URLSearchParams({
      From: CUSTOMER,
      CallerId: EXOPHONE,
      StreamUrl: `${bot.url}/bot?lead=42`,
      StreamType: 'bidirectional',
      StatusCallback: `${receiver.url}/cb`,
      StatusCallbackContentType: 'application/json',
      CustomField: 'lead-42',
    });
    form.append('StatusCallbackEvents[]', 'answered');
    form.append('StatusCallbackEvents[]', 'terminal');
    const res = await post(s, 'Calls/connect.json', form.toString());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const { Call } = (await res.json()) as { Call: Record<string, unknown> };
    expect(Call).toMatchObject({
      AccountSid: 'sim-exotel',
      // Exotel writes Indian numbers in national format (protocols.md, corrections).
      To: '09900000002',
      From: EXOPHONE,
      Direction: 'outbound-api',
    });
    const sid = String(Call['Sid']);
    const b = bot;
    await s.waitFor(() => b.connections[0]?.of('start').length);
    expect(b.connections[0]!.of('start')[0]?.['start']).toMatchObject({
      call_sid: sid,
      custom_parameters: { lead: '42' },
    });
    const r = receiver;
    await s.waitFor(() => r.bodies.length >= 2, 5000);
    const events = r.bodies.map((x) => JSON.parse(x.body) as Record<string, unknown>);
    expect(events.map((e) => e['EventType'])).toEqual(['answered', 'terminal']);
    expect(events[1]).toMatchObject({
      CallSid: sid,
      Status: 'completed',
      CustomField: 'lead-42',
      Direction: 'outbound-api',
    });
    expect(r.bodies[0]?.type).toBe('application/json');
  });

  it('multipart bodies with lowercase names; without .json the answer is XML', async () => {
    const s = await start();
    s.network.addHuman(CUSTOMER, { type: 'busy' });
    const form = new FormData();
    form.set('from', CUSTOMER);
    form.set('callerid', EXOPHONE);
    form.set('to', '+919900000009');
    const res = await post(s, 'Calls/connect', form);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('xml');
    const xml = await res.text();
    expect(xml).toMatch(/^<\?xml/);
    expect(xml).toContain('<TwilioResponse><Call><Sid>');
    const sid = /<Sid>([0-9a-f]{32})<\/Sid>/.exec(xml)?.[1] ?? '';
    await s.waitFor(() => s.exotel.call(sid)?.isEnded);
    const details = await fetch(`${s.url}/v1/Accounts/sim-exotel/Calls/${sid}.json`, {
      headers: { authorization: AUTH },
    });
    expect(((await details.json()) as { Call: Record<string, unknown> }).Call).toMatchObject({
      Sid: sid,
      Status: 'busy',
    });
  });

  it('refuses wrong credentials (401), missing or bad parameters (400), unknown calls (404)', async () => {
    const s = await start();
    const bad = await post(s, 'Calls/connect.json', 'From=1&CallerId=2', {
      authorization: `Basic ${Buffer.from('x:y').toString('base64')}`,
    });
    expect(bad.status).toBe(401);
    const noFrom = await post(
      s,
      'Calls/connect.json',
      new URLSearchParams({ CallerId: EXOPHONE, To: CUSTOMER }).toString(),
    );
    expect(noFrom.status).toBe(400);
    expect(await noFrom.json()).toMatchObject({
      RestException: { Status: 400, Message: 'From is required' },
    });
    const notOurs = await post(
      s,
      'Calls/connect.json',
      new URLSearchParams({ From: CUSTOMER, CallerId: '0800', To: CUSTOMER }).toString(),
    );
    expect(notOurs.status).toBe(400);
    const uni = await post(
      s,
      'Calls/connect.json',
      new URLSearchParams({
        From: CUSTOMER,
        CallerId: EXOPHONE,
        StreamUrl: 'wss://bot.example/x',
      }).toString(),
    );
    expect(uni.status).toBe(400);
    const missing = await fetch(`${s.url}/v1/Accounts/sim-exotel/Calls/${'0'.repeat(32)}.json`, {
      headers: { authorization: AUTH },
    });
    expect(missing.status).toBe(404);
  });

  it('Url starts a configured flow; an injected REST fault answers first', async () => {
    const s = await start();
    s.network.addHuman(CUSTOMER, { type: 'answer', afterMs: 100 });
    const flowUrl = s.exotel.configureFlow('4242', [{ type: 'hangup', id: 'bye' }]);
    s.faults.add({ type: 'rest.error', path: 'Calls/connect', status: 503 });
    const body = new URLSearchParams({ From: CUSTOMER, CallerId: EXOPHONE, Url: flowUrl }).toString();
    expect((await post(s, 'Calls/connect.json', body)).status).toBe(503);
    const res = await post(s, 'Calls/connect.json', body);
    expect(res.status).toBe(200);
    const sid = String(((await res.json()) as { Call: Record<string, unknown> }).Call['Sid']);
    await s.waitFor(() => s.exotel.call(sid)?.isEnded);
    expect(s.exotel.call(sid)?.status).toBe('completed');
    expect(s.log.ofType('markup.verb').some((e) => e.callSid === sid && e.verb === 'hangup')).toBe(true);
  });
});
