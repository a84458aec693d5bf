/**
 * How a carrier front-end plugs into the simulator core. A front-end imitates one carrier's
 * surface (REST, webhooks, markup, media-stream dialect) on top of the carrier-neutral network:
 * it serves HTTP under its own path prefix on the shared server, takes inbound calls to its
 * numbers, and dials endpoints through {@link Network.dial}. Adding a carrier: one folder under
 * `providers/<carrier>/simulator/` with a class implementing {@link CarrierFrontEnd}, constructed
 * in `sim/simulator.ts` beside Twilio's (see docs/simulator.md).
 */
import type { Clock, Ticker, Timers } from './clock.js';
import type { Faults } from './faults.js';
import type { HttpClient } from './http-client.js';
import type { Leg } from './leg.js';
import type { SimLog } from './log.js';
import type { Network } from './network.js';

/** An HTTP request received by the shared server, body already read. */
export interface SimHttpRequest {
  readonly method: string;
  /** Path and query as received, e.g. `/2010-04-01/Accounts/AC…/Calls.json?To=…`. */
  readonly url: string;
  readonly pathname: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface SimHttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** What every front-end receives from the core. */
export interface SimContext {
  readonly clock: Clock;
  readonly ticker: Ticker;
  readonly timers: Timers;
  readonly log: SimLog;
  readonly faults: Faults;
  readonly network: Network;
  readonly http: HttpClient;
  /** The shared server's base URL (`http://127.0.0.1:PORT`), known once listening. */
  baseUrl(): string;
  /** A fresh carrier id: `prefix` + 32 lowercase hex digits. */
  sid(prefix: string): string;
}

export interface CarrierFrontEnd {
  /** `twilio`, `plivo`, `exotel`: the value of `placeCall({ carrier })`. */
  readonly carrier: string;
  /** Whether this front-end serves a request for `pathname` on the shared server. */
  handles(pathname: string): boolean;
  handle(req: SimHttpRequest): Promise<SimHttpResponse>;
  /** Whether `number` is one of this carrier's numbers (an inbound call can reach it). */
  ownsNumber(number: string): boolean;
  /**
   * Takes an inbound call (already ringing at the carrier). The front-end sets `leg.label` to
   * its call id synchronously, then runs the number's application.
   */
  acceptInbound(leg: Leg): void;
  /** Ends every call and stream it runs; no timers or sockets remain afterwards. */
  stop(): Promise<void>;
}
