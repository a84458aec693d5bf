import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExotelApplet } from '../../sim/carriers/exotel/options.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../sim/simulator.js';
import { VirtualTime } from '../../src/lib/virtual-time.js';

/**
 * The Exotel call flow (protocols.md §4.6–§4.8): Passthru branching on 200/302, the Connect
 * applet dialing from a plain-text or Programmable Connect answer, its status events, music on
 * hold and the callee's playback, the "nobody answered" branch with the dial's details, the
 * call's status callback, and the loop guard.
 */

const NUMBER = '08047491899';
const CALLER = '09999000111';
const HUMAN = '+919900000003';
const OTHER = '+919900000004';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, string>;
  readonly contentType: string;
}

type Reply = { status?: number; type?: string; body?: string };

/** An application server: records every request, multipart and JSON bodies included. */
class App {
  readonly seen: Seen[] = [];
  readonly #routes = new Map<string, (s: Seen) => Reply>();
  readonly #server = http.createServer((req, res) => void this.#serve(req, res));
  url = '';

  static async start(): Promise<App> {
    const app = new App();
    await new Promise<void>((resolve) => app.#server.listen(0, '127.0.0.1', resolve));
    app.url = `http://127.0.0.1:${(app.#server.address() as AddressInfo).port}`;
    return app;
  }

  route(path: string, reply: Reply | ((s: Seen) => Reply)): this {
    this.#routes.set(path, typeof reply === 'function' ? reply : () => reply);
    return this;
  }

  to(path: string): Seen[] {
    return this.seen.filter((s) => s.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', this.url);
    const contentType = req.headers['content-type'] ?? '';
    let body: Record<string, string> = {};
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
      body = Object.fromEntries([...form].map(([k, v]) => [k, String(v)]));
    } else if (contentType.startsWith('application/json')) {
      body = Object.fromEntries(
        Object.entries(JSON.parse(raw.toString()) as object).map(([k, v]) => [k, String(v)]),
      );
    }
    const seen: Seen = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      contentType,
    };
    this.seen.push(seen);
    const reply = this.#routes.get(url.pathname)?.(seen) ?? {};
    res.writeHead(reply.status ?? 200, { 'content-type': reply.type ?? 'text/plain' });
    res.end(reply.body ?? '');
  }
}

let sim: Simulator | undefined;
let app: App | undefined;
/** The simulator runs on it: rings and playback cost no wall time. */
let time: VirtualTime | undefined;

afterEach(async () => {
  await sim?.stop();
  await app?.stop();
  time?.stop();
  sim = app = time = undefined;
});

/** A simulator on a fresh virtual time, already moving. */
async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  time = new VirtualTime();
  const started = await startSimulator({ ...options, time });
  time.start();
  return started;
}

async function setup(
  flow: (appUrl: string) => ExotelApplet[],
  config: { statusCallback?: boolean; json?: boolean } = {},
) {
  app = await App.start();
  sim = await simulator();
  const url = app.url;
  sim.exotel.configureNumber(NUMBER, {
    flow: flow(url),
    ...(config.statusCallback ? { statusCallback: `${url}/status` } : {}),
    ...(config.json ? { statusCallbackContentType: 'json' as const } : {}),
  });
  return { sim, app };
}

const connect = (
  url: string,
  extra: Partial<Extract<ExotelApplet, { type: 'connect' }>> = {},
): ExotelApplet => ({
  type: 'connect',
  id: 'connect',
  dialWhom: { url: `${url}/dial-up` },
  eventsUrl: `${url}/events`,
  next: 'bye',
  onNoAnswer: 'failed',
  ...extra,
});

describe('exotel flow', () => {
  it('passthru: 200 takes next, 302 takes onRedirect; Basic auth from the URL', async () => {
    const { sim, app } = await setup((url) => [
      {
        type: 'passthru',
        id: 'p1',
        url: url.replace('http://', 'http://exotel:secret@') + '/p1',
        next: 'p2',
        onRedirect: 'bad',
      },
      { type: 'passthru', id: 'p2', url: `${url}/p2`, next: 'bad', onRedirect: 'p3' },
      { type: 'passthru', id: 'p3', url: `${url}/p3` },
      { type: 'passthru', id: 'bad', url: `${url}/bad` },
    ]);
    app.route('/p2', { status: 302 });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await call.ended;
    expect(app.seen.map((s) => s.path)).toEqual(['/p1', '/p2', '/p3']);
    const first = app.to('/p1')[0]!;
    expect(first.headers['authorization']).toBe(`Basic ${Buffer.from('exotel:secret').toString('base64')}`);
    expect(first.query).toMatchObject({
      CallSid: call.sid,
      CallFrom: CALLER,
      CallTo: NUMBER,
      Direction: 'incoming',
    });
  });

  it('connect with a plain-text number: ringback, events, bridged; after the conversation, next', async () => {
    const { sim, app } = await setup((url) => [connect(url), { type: 'hangup', id: 'bye' }]);
    app.route('/dial-up', { body: `${HUMAN}\n` });
    const human = sim.network.addHuman(HUMAN, {
      type: 'answer',
      afterMs: 300,
      speak: { type: 'tone', hz: 660 },
      hangupAfterMs: 400,
    });
    const call = await sim.network.placeCall({
      carrier: 'exotel',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone', hz: 440 },
    });
    await call.ended;
    expect(app.to('/dial-up')[0]?.headers['exotel-version']).toBeUndefined();
    await sim.waitFor(() => app.to('/events').length >= 4);
    const events = app.to('/events');
    expect(events.map((e) => e.body['EventType'])).toEqual(['Dial', 'Ringing', 'Answered', 'Terminal']);
    expect(events[0]!.contentType).toMatch(/^multipart\/form-data/);
    expect(events[3]!.body).toMatchObject({
      CallSid: call.sid,
      Status: 'completed',
      DialWhomNumber: HUMAN,
      CallStatus: 'in-progress',
    });
    expect(events[3]!.body['DialCallSid']).toBe(human.legs[0]?.label);
    expect(call.heard.first('ringback')).toBeDefined();
    expect(call.heard.first(`party:${human.legs[0]?.label}`)).toBeDefined();
    expect(human.heard.first(`party:${call.sid}`)).toBeDefined();
  });

  it('programmable connect: hold music for the caller, the playback for the callee first, ring timeout', async () => {
    const { sim, app } = await setup((url) => [
      connect(url, { programmable: true }),
      { type: 'hangup', id: 'bye' },
    ]);
    app.route('/dial-up', {
      type: 'application/json',
      body: JSON.stringify({
        destination: { numbers: [HUMAN] },
        max_ringing_duration: 5,
        music_on_hold: { type: 'operator_tone' },
        start_call_playback: { playback_to: 'callee', type: 'text', value: 'Billing question' },
      }),
    });
    const human = sim.network.addHuman(HUMAN, { type: 'answer', afterMs: 300, hangupAfterMs: 1500 });
    const call = await sim.network.placeCall({
      carrier: 'exotel',
      from: CALLER,
      to: NUMBER,
      audio: { type: 'tone' },
    });
    await call.ended;
    expect(app.to('/dial-up')[0]?.headers['exotel-version']).toBe('1.0');
    expect(call.heard.first('hold')?.url).toBe('operator_tone');
    expect(call.heard.from('ringback')).toHaveLength(0);
    const whisper = human.heard.first('say');
    expect(whisper?.text).toBe('Billing question');
    expect(whisper!.startMs).toBeLessThan(human.heard.first('party:')!.startMs);
    expect(call.heard.from('say')).toHaveLength(0);
  });

  it('busy, then the no-answer branch with the dial details; a second number is not dialed in plain text mode', async () => {
    const { sim, app } = await setup((url) => [
      connect(url),
      { type: 'passthru', id: 'failed', url: `${url}/failed` },
      { type: 'hangup', id: 'bye' },
    ]);
    app.route('/dial-up', { body: `${HUMAN},${OTHER}` });
    sim.network.addHuman(HUMAN, { type: 'busy', afterMs: 100 });
    const other = sim.network.addHuman(OTHER, { type: 'answer' });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await call.ended;
    expect(app.to('/failed')[0]?.query).toMatchObject({
      CallSid: call.sid,
      DialCallStatus: 'busy',
      DialWhomNumber: HUMAN,
      CallType: 'call-attempt',
    });
    expect(other.legs).toHaveLength(0);
  });

  it('no answer within max_ringing_duration; numbers tried in order with sequential lists', async () => {
    app = await App.start();
    sim = await simulator({ exotel: { dialWhomList: 'sequential' } });
    const s = sim;
    const a = app;
    s.exotel.configureNumber(NUMBER, {
      flow: [
        connect(a.url, { ringTimeoutSec: 1 }),
        { type: 'passthru', id: 'failed', url: `${a.url}/failed` },
      ],
    });
    a.route('/dial-up', { body: `${HUMAN}, ${OTHER}` });
    s.network.addHuman(HUMAN, { type: 'no-answer' });
    s.network.addHuman(OTHER, { type: 'fail', sipCode: 503 });
    const call = await s.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await call.ended;
    await s.waitFor(() => a.to('/events').filter((e) => e.body['EventType'] === 'Terminal').length === 2);
    const terminals = a.to('/events').filter((e) => e.body['EventType'] === 'Terminal');
    expect(terminals.map((t) => t.body['Status'])).toEqual(['no-answer', 'failed']);
    expect(a.to('/failed')[0]?.query['DialCallStatus']).toBe('failed');
  });

  it('no number to dial: the no-answer branch at once, with DialCallStatus failed', async () => {
    const { sim, app } = await setup((url) => [
      connect(url),
      { type: 'passthru', id: 'failed', url: `${url}/failed` },
    ]);
    app.route('/dial-up', { body: '' });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await call.ended;
    expect(app.to('/failed')[0]?.query).toMatchObject({ DialCallStatus: 'failed' });
    expect(app.to('/events')).toHaveLength(0);
  });

  it('the caller hanging up while the human rings: the leg is canceled, Terminal says the call completed', async () => {
    const { sim, app } = await setup((url) => [connect(url)]);
    app.route('/dial-up', { body: HUMAN });
    const human = sim.network.addHuman(HUMAN, { type: 'no-answer' });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => human.activeLeg?.state === 'ringing');
    call.hangup();
    await sim.waitFor(() => app.to('/events').some((e) => e.body['EventType'] === 'Terminal'));
    expect(human.legs[0]?.end?.status).toBe('canceled');
    expect(app.to('/events').at(-1)?.body).toMatchObject({ Status: 'canceled', CallStatus: 'completed' });
  });

  it('a "dial whom" that fails is a markup error; the caller hanging up while it is fetched is none', async () => {
    const { sim: first, app: failing } = await setup((url) => [connect(url)]);
    failing.route('/dial-up', { status: 500 });
    await (await first.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER })).ended;
    expect(first.log.ofType('markup.error').map((e) => e.message)).toContain('dial whom: HTTP 500');
    await first.stop();
    await failing.stop();
    time?.stop();

    const { sim, app } = await setup((url) => [connect(url)]);
    app.route('/dial-up', { body: HUMAN });
    const slow = sim.faults.add({ type: 'webhook.slow', match: { kind: 'dial-whom' }, delayMs: 2_000 });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await sim.waitFor(() => slow.hits === 1);
    call.hangup();
    await call.ended;
    await sim.waitFor(() => sim.exotel.call(call.sid)?.status === 'completed');
    // The applet's wait ends on the hang-up's abort, a few turns of the event loop later.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(sim.log.ofType('markup.error')).toEqual([]);
    expect(app.to('/dial-up')).toEqual([]); // never asked: the caller left during the wait
  });

  it('the call status callback at the end, multipart by default and JSON when configured', async () => {
    const { sim, app } = await setup(() => [{ type: 'hangup', id: 'bye' }], {
      statusCallback: true,
      json: true,
    });
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await call.ended;
    await sim.waitFor(() => app.to('/status').length);
    const status = app.to('/status')[0]!;
    expect(status.contentType).toBe('application/json');
    expect(status.body).toMatchObject({
      CallSid: call.sid,
      Status: 'completed',
      EventType: 'terminal',
      Direction: 'incoming',
    });
  });

  it('a flow that loops is cut', async () => {
    const { sim } = await setup((url) => [
      { type: 'passthru', id: 'a', url: `${url}/a`, next: 'b' },
      { type: 'passthru', id: 'b', url: `${url}/b`, next: 'a' },
    ]);
    const call = await sim.network.placeCall({ carrier: 'exotel', from: CALLER, to: NUMBER });
    await call.ended;
    expect(
      sim.log.forCall(call.sid).entries.some((e) => e.type === 'markup.error' && e.message.includes('loop')),
    ).toBe(true);
    expect(sim.log.ofType('sim.error')).toHaveLength(0);
  });
});
