/**
 * The standalone simulator (`npm run sim`) with Plivo and Exotel numbers: the scenario schema,
 * and a spawned simulator placing calls through its control API to a stand-in daemon.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { plivoSignatureV3 } from '../../providers/plivo/signature-v3.js';
import { SimError } from '../../sim/index.js';
import { parseScenario } from '../../sim/scenario.js';

const PLIVO_AUTH_ID = 'MAABCDEFGHIJ01234567';
const PLIVO_TOKEN = 'plivo-secret-token';
const EXOTEL_SECRET = 'exotel-webhook-secret-0123';

/** The flow docs/exotel.md has users build, on the daemon at `base`. */
function exotelFlowYaml(base: string): string {
  const at = (p: string) => `"${base.replace('://', `://exotel:${EXOTEL_SECRET}@`)}${p}"`;
  return `
        - { type: voicebot, id: voicebot, url: ${at('/exotel/voice')}, next: next }
        - { type: passthru, id: next, url: ${at('/exotel/next')}, next: connect, onRedirect: hangup }
        - type: connect
          id: connect
          dialWhom: { url: ${at('/exotel/dial-up')} }
          eventsUrl: ${at('/exotel/status')}
          next: hangup
          onNoAnswer: dial-action
        - { type: passthru, id: dial-action, url: ${at('/exotel/dial-action')}, next: voicebot, onRedirect: next }
        - { type: hangup, id: hangup }`;
}

function scenarioYaml(daemon: string): string {
  return `
port: 0
twilio:
  numbers:
    "+15550001000": { voiceUrl: "${daemon}/twilio/voice" }
plivo:
  authId: ${PLIVO_AUTH_ID}
  authToken: ${PLIVO_TOKEN}
  options: { webhookTimeoutMs: 5000, callerIdPolicy: owned }
  numbers:
    "+14155550100": { answerUrl: "${daemon}/plivo/voice", hangupUrl: "${daemon}/plivo/status" }
exotel:
  accountSid: pt-sim
  apiKey: key-1
  apiToken: token-1
  options: { dynamicUrlFormat: json, webhookTimeoutMs: 5000 }
  numbers:
    "+918045550100":
      statusCallback: "${daemon}/exotel/status"
      flow:${exotelFlowYaml(daemon)}
humans:
  "+15558880001": { type: answer }
`;
}

interface Received {
  readonly method: string;
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in daemon: records every request and answers as each route's carrier expects. */
class Receiver {
  readonly requests: Received[] = [];
  readonly #server: http.Server;
  readonly #waiters = new Set<() => void>();
  url = '';

  constructor() {
    this.#server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
      });
      req.on('end', () => {
        const url = new URL(req.url ?? '/', this.url);
        this.requests.push({ method: req.method ?? '', url, headers: req.headers, body });
        for (const wake of [...this.#waiters]) wake();
        if (url.pathname === '/plivo/voice') {
          res.writeHead(200, { 'content-type': 'application/xml' }).end('<Response><Hangup/></Response>');
        } else if (url.pathname === '/exotel/next') {
          res.writeHead(302, { location: '/' }).end();
        } else if (url.pathname === '/exotel/voice') {
          res.writeHead(404).end();
        } else {
          res.writeHead(200).end();
        }
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Resolves with the first request `match` accepts, now or when it arrives. */
  next(match: (r: Received) => boolean): Promise<Received> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.requests.find(match);
        if (found === undefined) return false;
        this.#waiters.delete(check);
        resolve(found);
        return true;
      };
      if (!check()) this.#waiters.add(check);
    });
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function problemsOf(text: string): string {
  try {
    parseScenario(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SimError);
    expect((err as SimError).code).toBe('sim.bad_scenario');
    return (err as SimError).message;
  }
  throw new Error('the scenario was accepted');
}

describe('standalone simulator: Plivo and Exotel', () => {
  let child: ChildProcess | undefined;
  let receiver: Receiver | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await receiver?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    child = undefined;
    receiver = undefined;
    dir = undefined;
  });

  it('parses a scenario with all three carriers', () => {
    const s = parseScenario(scenarioYaml('http://127.0.0.1:3000'));
    expect(Object.keys(s.twilio.numbers)).toEqual(['+15550001000']);
    expect(s.plivo).toMatchObject({
      authId: PLIVO_AUTH_ID,
      authToken: PLIVO_TOKEN,
      options: { webhookTimeoutMs: 5000, callerIdPolicy: 'owned' },
      numbers: { '+14155550100': { answerUrl: 'http://127.0.0.1:3000/plivo/voice' } },
    });
    expect(s.exotel).toMatchObject({ accountSid: 'pt-sim', apiKey: 'key-1', apiToken: 'token-1' });
    const flow = s.exotel.numbers['+918045550100']?.flow ?? [];
    expect(flow.map((a) => a.type)).toEqual(['voicebot', 'passthru', 'connect', 'passthru', 'hangup']);
    expect(flow[0]).toMatchObject({ url: `http://exotel:${EXOTEL_SECRET}@127.0.0.1:3000/exotel/voice` });
    expect(parseScenario('{}').plivo).toEqual({ options: {}, numbers: {} });
  });

  it('names every bad Plivo and Exotel field at once', () => {
    const message = problemsOf(`
plivo:
  authId: AC123
  options: { webhookTimeoutMs: -5, bogus: true }
  numbers:
    "+14155550100": { hangupUrl: "http://127.0.0.1:3000/plivo/status" }
exotel:
  numbers:
    "+918045550100":
      flow:
        - { type: voicebot, id: bot, url: "not a url", next: nowhere }
        - { type: dial, id: d }
        - { type: hangup, id: bot }
calls:
  - { carrier: vonage, from: "+1", to: "+2" }
plivio: {}
`);
    expect(message).toContain('plivo.authId');
    expect(message).toContain('plivo.options.webhookTimeoutMs');
    expect(message).toContain('plivo.options');
    expect(message).toContain('plivo.numbers.+14155550100.answerUrl');
    expect(message).toContain('exotel.numbers.+918045550100.flow.0.url');
    expect(message).toContain('exotel.numbers.+918045550100.flow.1.type');
    expect(message).toContain('calls.0.carrier');
    expect(message).toContain('plivio');
    const refs = problemsOf(`
exotel:
  numbers:
    "+918045550100":
      flow:
        - { type: voicebot, id: bot, url: "ws://127.0.0.1:1/bot", next: nowhere }
        - { type: hangup, id: bot }
`);
    expect(refs).toContain("exotel.numbers.+918045550100.flow.0.next: no applet with id 'nowhere'");
    expect(refs).toContain("exotel.numbers.+918045550100.flow.1.id: duplicate applet id 'bot'");
  });

  it('places Plivo and Exotel calls from a scenario through the control API', async () => {
    receiver = new Receiver();
    await receiver.start();
    const daemon = receiver;
    dir = await mkdtemp(path.join(tmpdir(), 'pt-sim-'));
    const file = path.join(dir, 'scenario.yaml');
    await writeFile(file, scenarioYaml(daemon.url));
    const flagDaemon = daemon.url.replace('://', `://exotel:${EXOTEL_SECRET}@`);
    const proc = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'sim/main.ts',
        '--scenario',
        file,
        '--quiet',
        '--exotel-number',
        `+918045550101=${flagDaemon}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let out = '';
    proc.stdout?.setEncoding('utf8');
    const info = await new Promise<Record<string, Record<string, unknown>>>((resolve) => {
      proc.stdout?.on('data', (chunk: string) => {
        out += chunk;
        const line = out.split('\n').find((l) => l.includes('sim.ready'));
        if (line) resolve(JSON.parse(line) as Record<string, Record<string, unknown>>);
      });
    });
    const simUrl = String(info['url']);
    expect(info['plivo']).toMatchObject({
      apiBase: simUrl,
      authId: PLIVO_AUTH_ID,
      numbers: ['+14155550100'],
    });
    expect(info['exotel']).toMatchObject({
      apiBase: simUrl,
      accountSid: 'pt-sim',
      numbers: ['+918045550100', '+918045550101'],
    });

    const place = async (body: Record<string, unknown>) => {
      const res = await fetch(`${simUrl}/sim/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { sid: string; carrier: string } };
    };

    // Plivo: a signed form POST to the number's answer URL, then its hangup URL.
    const plivo = await place({ carrier: 'plivo', from: '+15557770001', to: '+14155550100' });
    expect(plivo.status).toBe(201);
    expect(plivo.body.carrier).toBe('plivo');
    const answer = await daemon.next((r) => r.url.pathname === '/plivo/voice');
    expect(answer.method).toBe('POST');
    expect(answer.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(answer.body));
    expect(form).toMatchObject({
      CallUUID: plivo.body.sid,
      From: '15557770001',
      To: '14155550100',
      Direction: 'inbound',
    });
    const nonce = String(answer.headers['x-plivo-signature-v3-nonce']);
    expect(answer.headers['x-plivo-signature-v3']).toBe(
      plivoSignatureV3(PLIVO_TOKEN, 'POST', `${daemon.url}/plivo/voice`, form, nonce),
    );
    const hangup = await daemon.next((r) => r.url.pathname === '/plivo/status');
    expect(new URLSearchParams(hangup.body).get('CallUUID')).toBe(plivo.body.sid);

    // Exotel: the Voicebot applet's GET to the daemon's dynamic URL, the secret as Basic auth.
    const basic = `Basic ${Buffer.from(`exotel:${EXOTEL_SECRET}`).toString('base64')}`;
    for (const to of ['+918045550100', '+918045550101']) {
      const exotel = await place({ carrier: 'exotel', from: '+919812345678', to });
      expect(exotel.status).toBe(201);
      const voice = await daemon.next(
        (r) => r.url.pathname === '/exotel/voice' && r.url.searchParams.get('CallSid') === exotel.body.sid,
      );
      expect(voice.method).toBe('GET');
      expect(voice.headers.authorization).toBe(basic);
      expect(Object.fromEntries(voice.url.searchParams)).toMatchObject({
        // Exotel writes Indian numbers in national format (protocols.md, corrections).
        CallFrom: '09812345678',
        CallTo: `0${to.slice(3)}`,
        Direction: 'incoming',
      });
      // The flow moves on to Passthru `next`, whose 302 ends the call.
      const next = await daemon.next(
        (r) => r.url.pathname === '/exotel/next' && r.url.searchParams.get('CallSid') === exotel.body.sid,
      );
      expect(next.headers.authorization).toBe(basic);
    }

    const unknown = await place({ carrier: 'vonage', from: '+1', to: '+2' });
    expect(unknown.status).toBe(400);
  });
});
