/**
 * The simulator's one HTTP server on 127.0.0.1: each carrier front-end serves its own REST path
 * prefix (`/2010-04-01/` Twilio, …), and `/sim/` is the simulator's own control API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CarrierFrontEnd, SimHttpRequest, SimHttpResponse } from './front-end.js';

/** Largest request body accepted (REST bodies are small). */
const MAX_BODY_BYTES = 1 << 20;

export type RouteHandler = (req: SimHttpRequest) => Promise<SimHttpResponse | undefined>;

export class SimHttpServer {
  readonly #server: http.Server;
  readonly #frontEnds: readonly CarrierFrontEnd[];
  readonly #fallback: RouteHandler;
  readonly #onError: (err: unknown) => void;

  constructor(
    frontEnds: readonly CarrierFrontEnd[],
    fallback: RouteHandler,
    onError: (err: unknown) => void,
  ) {
    this.#frontEnds = frontEnds;
    this.#fallback = fallback;
    this.#onError = onError;
    this.#server = http.createServer((req, res) => void this.#serve(req, res));
    this.#server.keepAliveTimeout = 5000;
  }

  /** Listens; resolves with the base URL (`http://host:port`). */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        const addr = this.#server.address() as AddressInfo;
        const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        resolve(`http://${h}:${addr.port}`);
      });
    });
  }

  /** Stops accepting and closes every connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const body = await readBody(req);
      if (body === undefined) {
        send(res, { status: 413, body: '' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://sim.invalid');
      const simReq: SimHttpRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        url: req.url ?? '/',
        pathname: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      const frontEnd = this.#frontEnds.find((f) => f.handles(url.pathname));
      const response = frontEnd ? await frontEnd.handle(simReq) : await this.#fallback(simReq);
      send(
        res,
        response ?? {
          status: 404,
          headers: { 'content-type': 'application/json' },
          body: '{"error":"not found"}',
        },
      );
    } catch (err) {
      this.#onError(err);
      if (!res.headersSent) send(res, { status: 500, body: '' });
    }
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, r: SimHttpResponse): void {
  res.writeHead(r.status, r.headers);
  res.end(r.body);
}
