/**
 * `startSimulator()`: the virtual phone network with its carrier front-ends on one HTTP server
 * at 127.0.0.1, for tests (in-process) and for `npm run sim` (sim/main.ts).
 *
 * Every carrier registered in sim/carriers/index.ts gets a front-end, exposed under its name
 * (`sim.twilio`, `sim.plivo`, …) and configured by the options under that name.
 */
import crypto from 'node:crypto';
import { systemTime } from '../src/lib/time.js';
import type { AnyCarrierSimulator } from './carrier-simulator.js';
import { CARRIER_SIMULATORS, type CarrierFrontEnds, type CarrierOptions } from './carriers/index.js';
import { type Clock, epochClock, systemClock, Ticker, type Time, Timers } from './clock.js';
import { controlApi } from './control-api.js';
import { SimError } from './errors.js';
import { faultApi } from './fault-api.js';
import { Faults } from './faults.js';
import type { CarrierFrontEnd, SimContext } from './front-end.js';
import { HttpClient } from './http-client.js';
import { SimHttpServer } from './http-server.js';
import { SimLog } from './log.js';
import { Network, type NetworkOptions } from './network.js';

/** The core's options, and each registered carrier's front-end options under its name. */
export type SimulatorOptions = SimulatorCoreOptions & CarrierOptions;

export interface SimulatorCoreOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /**
   * Every timer of the simulator (media ticks, rings, answers, hang-ups, webhook delays and
   * faults, `waitFor`) and, unless `clock` is given, the `atMs` stamps. Default the system's.
   */
  readonly time?: Time;
  /** Where `atMs` stamps come from; default `time`'s wall clock (`Date.now()`). */
  readonly clock?: Clock;
  readonly network?: NetworkOptions;
}

/** The running simulator, with each registered carrier's front-end under its name. */
export type Simulator = SimulatorCore & CarrierFrontEnds;

export interface SimulatorCore {
  /** Base URL of the shared HTTP server; every carrier's REST base (SDKs take it as their base URL). */
  readonly url: string;
  readonly network: Network;
  /** The front-ends in registry order. */
  readonly frontEnds: readonly CarrierFrontEnd[];
  readonly log: SimLog;
  readonly faults: Faults;
  readonly clock: Clock;
  /** The time the simulator runs on. */
  readonly time: Time;
  /**
   * Resolves with the first truthy value `predicate` returns, checking now and every 10 ms;
   * rejects with `sim.wait_timeout` after `timeoutMs` (default 5000).
   */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Ends every call, stream, timer and socket. */
  stop(): Promise<void>;
}

const POLL_MS = 10;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const time = options.time ?? systemTime;
  const clock = options.clock ?? (options.time === undefined ? systemClock : epochClock(time));
  const log = new SimLog(clock);
  const reportError = (err: unknown) =>
    log.add(
      {},
      {
        type: 'sim.error',
        code: 'sim.internal',
        message: err instanceof Error ? (err.stack ?? err.message) : String(err),
      },
    );
  const ticker = new Ticker(reportError, time);
  const timers = new Timers(time);
  const faults = new Faults(log);
  const network = new Network({ clock, ticker, timers, log, faults }, options.network);
  const http = new HttpClient(time);
  let baseUrl = '';
  const ctx: SimContext = {
    clock,
    ticker,
    timers,
    log,
    faults,
    network,
    http,
    baseUrl: () => baseUrl,
    sid: (prefix) => prefix + crypto.randomBytes(16).toString('hex'),
  };
  const carrierOptions = options as Readonly<Record<string, object | undefined>>;
  const byCarrier: Record<string, CarrierFrontEnd> = {};
  const frontEnds: CarrierFrontEnd[] = CARRIER_SIMULATORS.map((s: AnyCarrierSimulator) => {
    const frontEnd = s.create(ctx, carrierOptions[s.carrier]);
    byCarrier[s.carrier] = frontEnd;
    return frontEnd;
  });
  for (const f of frontEnds) network.registerFrontEnd(f);
  const faultRoutes = faultApi(faults, network);
  const controlRoutes = controlApi(network, log);
  const server = new SimHttpServer(
    frontEnds,
    async (req) => (await faultRoutes(req)) ?? controlRoutes(req),
    reportError,
  );
  baseUrl = await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);

  const waiters = new Set<() => void>();
  let stopped = false;

  return {
    ...(byCarrier as unknown as CarrierFrontEnds),
    url: baseUrl,
    network,
    frontEnds,
    log,
    faults,
    clock,
    time,
    waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (stopped) {
          reject(new SimError('sim.stopped', 'simulator stopped'));
          return;
        }
        const startedMs = time.nowMs();
        // Made here, not when the wait runs out, so that its stack names the caller's line.
        const timedOut = new SimError('sim.wait_timeout', `condition not met within ${timeoutMs} ms`);
        let cancel = () => {};
        const done = () => {
          cancel();
          waiters.delete(abandon);
        };
        const abandon = () => {
          done();
          reject(new SimError('sim.stopped', 'simulator stopped'));
        };
        waiters.add(abandon);
        const check = () => {
          let value: T | undefined | null | false;
          try {
            value = predicate();
          } catch (err) {
            done();
            reject(err);
            return;
          }
          if (value) {
            done();
            resolve(value);
          } else if (time.nowMs() - startedMs >= timeoutMs) {
            done();
            reject(timedOut);
          } else {
            cancel = timers.after(POLL_MS, check);
          }
        };
        check();
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const abandon of [...waiters]) abandon();
      await Promise.all(frontEnds.map((f) => f.stop()));
      network.stop();
      ticker.stop();
      timers.stop();
      http.destroy();
      await server.close();
    },
  };
}
