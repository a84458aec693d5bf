/**
 * Test helpers for the simulator tests: twilio-node pointed at the simulator, a webhook
 * receiver that checks signatures with twilio-node's own validator, and a media-stream server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { type WebSocket, WebSocketServer } from 'ws';

type RequestOptions<TData> = Parameters<typeof twilio.RequestClient.prototype.request<TData>>[0];

/** Rewrites `https://api.twilio.com` to the simulator (protocols.md §2.9). */
export class LocalTwilioHttpClient extends twilio.RequestClient {
  readonly #base: string;

  constructor(base: string) {
    super();
    this.#base = base;
  }

  override request<TData>(opts: RequestOptions<TData>) {
    const u = new URL(opts.uri);
    return super.request<TData>({ ...opts, uri: `${this.#base}${u.pathname}${u.search}` });
  }
}

export function sdkClient(simUrl: string, accountSid: string, authToken: string) {
  return twilio(accountSid, authToken, { httpClient: new LocalTwilioHttpClient(simUrl) });
}

export interface AppRequest {
  readonly method: string;
  /** The full URL as the receiver saw it (what a validator checks). */
  readonly url: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly signatureValid: boolean;
}

export type AppReply =
  | string
  | { status?: number; contentType?: string; body?: string | Buffer; delayMs?: number };
export type AppHandler = (req: AppRequest) => AppReply | Promise<AppReply>;

/** A small application server: routes return TwiML (text/xml) by default; every request is recorded. */
export class TestApp {
  readonly requests: AppRequest[] = [];
  readonly #routes = new Map<string, AppHandler>();
  readonly #server: http.Server;
  readonly #authToken: string;
  readonly #timers = new Set<NodeJS.Timeout>();
  url = '';

  private constructor(authToken: string) {
    this.#authToken = authToken;
    this.#server = http.createServer((req, res) => void this.#serve(req, res));
  }

  static async start(authToken: string): Promise<TestApp> {
    const app = new TestApp(authToken);
    await new Promise<void>((resolve) => app.#server.listen(0, '127.0.0.1', resolve));
    app.url = `http://127.0.0.1:${(app.#server.address() as AddressInfo).port}`;
    return app;
  }

  route(path: string, handler: AppHandler | string): this {
    this.#routes.set(path, typeof handler === 'string' ? () => handler : handler);
    return this;
  }

  /** Requests to `path`, in arrival order. */
  to(path: string): AppRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = `${this.url}${req.url ?? '/'}`;
    const parsed = new URL(url);
    const params = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : {};
    const signature = req.headers['x-twilio-signature'];
    const record: AppRequest = {
      method: req.method ?? 'GET',
      url,
      path: parsed.pathname,
      params: req.method === 'POST' ? params : Object.fromEntries(parsed.searchParams),
      headers: req.headers,
      signatureValid:
        typeof signature === 'string' && twilio.validateRequest(this.#authToken, signature, url, params),
    };
    this.requests.push(record);
    const handler = this.#routes.get(parsed.pathname);
    const reply: AppReply = handler
      ? await handler(record)
      : { status: 200, contentType: 'text/plain', body: '' };
    const r = typeof reply === 'string' ? { body: reply } : reply;
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(r.status ?? 200, { 'content-type': r.contentType ?? 'text/xml' });
      res.end(r.body ?? '');
    };
    if (r.delayMs) {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        send();
      }, r.delayMs);
      this.#timers.add(t);
    } else send();
  }
}

/** One media-stream connection as the server sees it. */
export interface StreamConnection {
  readonly socket: WebSocket;
  readonly headers: http.IncomingHttpHeaders;
  readonly url: string;
  readonly messages: Array<Record<string, unknown>>;
  closed: boolean;
  send(msg: unknown): void;
  of(event: string): Array<Record<string, unknown>>;
  streamSid(): string;
}

/** A WebSocket server standing in for the daemon or an agent. */
export class TestStreamServer {
  readonly connections: StreamConnection[] = [];
  readonly #wss: WebSocketServer;
  url = '';

  private constructor() {
    this.#wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.#wss.on('connection', (socket, req) => {
      const conn: StreamConnection = {
        socket,
        headers: req.headers,
        url: `${this.url}${(req.url ?? '/').replace(/^\//, '/')}`,
        messages: [],
        closed: false,
        send: (msg) => socket.send(JSON.stringify(msg)),
        of: (event) => conn.messages.filter((m) => m['event'] === event),
        streamSid: () => {
          const start = conn.messages.find((m) => m['event'] === 'start');
          return String(start?.['streamSid'] ?? '');
        },
      };
      socket.on('message', (data) =>
        conn.messages.push(JSON.parse(data.toString()) as Record<string, unknown>),
      );
      socket.on('close', () => {
        conn.closed = true;
      });
      this.connections.push(conn);
    });
  }

  static async start(): Promise<TestStreamServer> {
    const server = new TestStreamServer();
    await new Promise<void>((resolve) => server.#wss.once('listening', () => resolve()));
    server.url = `ws://127.0.0.1:${(server.#wss.address() as AddressInfo).port}`;
    return server;
  }

  async stop(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}

export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const AUTH_TOKEN = 'test-auth-token';
export const TWILIO_NUMBER = '+15550001000';
export const CALLER = '+15557770001';
export const HUMAN = '+15558880001';
