import { afterEach, describe, expect, it } from 'vitest';
import { createExotelControl } from '../../providers/exotel/control.js';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import { CarrierError } from '../../src/domain/errors.js';

/** Exotel REST control (protocols.md §4.3) against the simulator's `Calls/connect`, over real HTTP. */

const EXOPHONE = '08047491899';
const CUSTOMER = '+919900000002';
const NO_WAIT = { sleep: async () => {} };

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function controlFor(s: Simulator, apiToken = 'sim-api-token') {
  return createExotelControl({
    apiBase: s.url,
    accountSid: 'sim-exotel',
    apiKey: 'sim-api-key',
    apiToken,
    retry: { maxRetries: 2, retryIntervalMs: 1, timeoutMs: 5000 },
    retryDeps: NO_WAIT,
  });
}

async function setup() {
  sim = await startSimulator();
  sim.exotel.configureNumber(EXOPHONE, { flow: [{ type: 'hangup', id: 'bye' }] });
  return { sim, control: controlFor(sim) };
}

describe('exotel control', () => {
  it('createCall: Calls/connect.json with From, CallerId, a flow Url or a StreamUrl, TimeOut and StatusCallback', async () => {
    const { sim, control } = await setup();
    sim.network.addHuman(CUSTOMER, { type: 'answer', afterMs: 100 });
    const flow = sim.exotel.configureFlow('77', [{ type: 'hangup', id: 'bye' }]);
    const placed = await control.createCall({
      to: CUSTOMER,
      from: EXOPHONE,
      next: { url: flow },
      statusCallbackUrl: 'http://127.0.0.1:9/cb',
      timeoutSec: 20,
    });
    expect(placed.carrierCallId).toMatch(/^[0-9a-f]{32}$/);
    const request = sim.log.ofType('rest.request')[0]!;
    expect(request.path).toBe('/v1/Accounts/sim-exotel/Calls/connect.json');
    expect(request.params).toMatchObject({
      From: CUSTOMER,
      CallerId: EXOPHONE,
      Url: flow,
      TimeOut: '20',
      StatusCallback: 'http://127.0.0.1:9/cb',
      StatusCallbackContentType: 'application/json',
      'StatusCallbackEvents[]': ['ringing', 'answered', 'terminal'],
    });
    const stream = await control.createCall({
      to: CUSTOMER,
      from: EXOPHONE,
      next: { url: 'wss://bot.example/s' },
      timeoutSec: 20,
    });
    expect(sim.exotel.call(stream.carrierCallId)).toBeDefined();
    expect(sim.log.ofType('rest.request')[1]?.params).toMatchObject({
      StreamUrl: 'wss://bot.example/s',
      StreamType: 'bidirectional',
    });
  });

  it('a 429 is retried (Exotel did not act); a 503 on a create is not (it may have); wrong credentials are permanent', async () => {
    const { sim, control } = await setup();
    sim.faults.add({ type: 'rest.error', path: 'Calls/connect', status: 429 });
    await expect(
      control.createCall({ to: CUSTOMER, from: EXOPHONE, next: { url: 'wss://b/s' }, timeoutSec: 5 }),
    ).resolves.toBeDefined();
    sim.faults.add({ type: 'rest.error', path: 'Calls/connect', status: 503 });
    const failed = await control
      .createCall({ to: CUSTOMER, from: EXOPHONE, next: { url: 'wss://b/s' }, timeoutSec: 5 })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CarrierError);
    expect(failed).toMatchObject({ carrier: 'exotel', status: 503, retryable: true });
    expect(sim.log.ofType('rest.request').filter((r) => r.status === 503)).toHaveLength(1);
    const wrong = controlFor(sim, 'not-the-token');
    const denied = await wrong
      .createCall({ to: CUSTOMER, from: EXOPHONE, next: { url: 'wss://b/s' }, timeoutSec: 5 })
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 401, retryable: false });
  });

  it('a 400 names no number in its message; a refused connection is retried, then fails with status 0', async () => {
    const { control } = await setup();
    const bad = await control
      .createCall({ to: CUSTOMER, from: '0800', next: { url: 'wss://b/s' }, timeoutSec: 5 })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400 });
    expect((bad as Error).message).not.toContain('0800');
    const nowhere = createExotelControl({
      apiBase: 'http://127.0.0.1:9',
      accountSid: 'x',
      apiKey: 'k',
      apiToken: 't',
      retry: { maxRetries: 1, retryIntervalMs: 1, timeoutMs: 2000 },
      retryDeps: NO_WAIT,
    });
    await expect(
      nowhere.createCall({ to: CUSTOMER, from: EXOPHONE, next: { url: 'wss://b/s' }, timeoutSec: 5 }),
    ).rejects.toMatchObject({
      status: 0,
    });
  });

  it('no REST redirect, hang-up or conference on Exotel: said plainly, hang-up is a no-op', async () => {
    const { control } = await setup();
    await expect(control.redirectCall('x', { url: 'https://x' })).rejects.toMatchObject({
      code: 'carrier_unsupported',
    });
    await expect(control.hangupCall('x')).resolves.toBeUndefined();
    await expect(control.endConference({ room: 'r' })).rejects.toMatchObject({ code: 'carrier_unsupported' });
    await expect(
      control.createCall({
        to: CUSTOMER,
        from: EXOPHONE,
        next: { contentType: 'text/xml', body: '<x/>' },
        timeoutSec: 5,
      }),
    ).rejects.toMatchObject({ code: 'carrier_unsupported' });
  });

  it('callLive: the Call Details API (GET Calls/{sid}.json): live while ringing, over once ended or unknown', async () => {
    const { sim, control } = await setup();
    const human = sim.network.addHuman(CUSTOMER, { type: 'no-answer' });
    const flow = sim.exotel.configureFlow('78', [{ type: 'hangup', id: 'bye' }]);
    const placed = await control.createCall({
      to: CUSTOMER,
      from: EXOPHONE,
      next: { url: flow },
      timeoutSec: 30,
    });
    await sim.waitFor(() => human.legs[0]?.state === 'ringing');
    expect(await control.callLive?.(placed.carrierCallId)).toBe(true);
    expect(sim.log.ofType('rest.request').at(-1)).toMatchObject({
      method: 'GET',
      path: `/v1/Accounts/sim-exotel/Calls/${placed.carrierCallId}.json`,
      status: 200,
    });
    human.legs[0]?.hangup('declined', 'endpoint');
    await sim.waitFor(() => sim.exotel.call(placed.carrierCallId)?.status === 'busy');
    expect(await control.callLive?.(placed.carrierCallId)).toBe(false);
    expect(await control.callLive?.('0'.repeat(32))).toBe(false);
    expect(sim.log.ofType('rest.request').at(-1)?.status).toBe(404);
    // A refused credential is not "over": it is an error the check reports.
    await expect(controlFor(sim, 'wrong').callLive?.(placed.carrierCallId)).rejects.toBeInstanceOf(
      CarrierError,
    );
  });
});
