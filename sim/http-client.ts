/**
 * The simulator's outgoing HTTP (webhooks and callbacks), on its own keep-alive agents so that
 * `stop()` can destroy every socket. Carrier-neutral: front-ends build method, URL, headers and
 * body (and sign them); this sends, times out and reads the reply.
 */
import http from 'node:http';
import https from 'node:https';
import { systemTime, type Time } from '../src/lib/time.js';
import { SimError } from './errors.js';

export interface OutgoingRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Give up after this long (the carrier's webhook timeout). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface IncomingReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The body's bytes as received (an audio file a carrier fetches), up to the read limit. */
  readonly bytes: Buffer;
}

/** At most this many bytes of a reply are read (a carrier's markup limit is far smaller). */
const MAX_REPLY_BYTES = 1 << 20;

export class HttpClient {
  readonly #http = new http.Agent({ keepAlive: true, maxSockets: 64 });
  readonly #https = new https.Agent({ keepAlive: true, maxSockets: 64 });
  readonly #inflight = new Set<http.ClientRequest>();
  readonly #time: Time;

  /** `time` times each request's deadline; default the system's. */
  constructor(time: Time = systemTime) {
    this.#time = time;
  }

  /** Sends a request; rejects with `sim.http_timeout` or `sim.http_failed`. */
  send(req: OutgoingRequest): Promise<IncomingReply> {
    return new Promise((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch (cause) {
        reject(new SimError('sim.http_failed', `invalid URL ${req.url}`, { cause }));
        return;
      }
      const isHttps = url.protocol === 'https:';
      if (!isHttps && url.protocol !== 'http:') {
        reject(new SimError('sim.http_failed', `unsupported scheme ${url.protocol}`));
        return;
      }
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
      const request = (isHttps ? https : http).request(url, {
        method: req.method,
        headers,
        agent: isHttps ? this.#https : this.#http,
      });
      this.#inflight.add(request);
      let settled = false;
      const finish = (err: SimError | undefined, reply?: IncomingReply) => {
        if (settled) return;
        settled = true;
        this.#time.clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        this.#inflight.delete(request);
        if (err) {
          request.destroy();
          reject(err);
        } else if (reply) resolve(reply);
      };
      const timer = this.#time.setTimeout(
        () => finish(new SimError('sim.http_timeout', `no reply from ${req.url} in ${req.timeoutMs} ms`)),
        req.timeoutMs,
      );
      const onAbort = () => finish(new SimError('sim.http_failed', 'aborted'));
      req.signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (cause) => finish(new SimError('sim.http_failed', cause.message, { cause })));
      request.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_REPLY_BYTES) chunks.push(chunk);
        });
        res.on('error', (cause) => finish(new SimError('sim.http_failed', cause.message, { cause })));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          finish(undefined, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: bytes.toString('utf8'),
            bytes,
          });
        });
      });
      request.end(req.body);
    });
  }

  /** Aborts requests in flight and closes every socket. */
  destroy(): void {
    for (const r of this.#inflight) r.destroy();
    this.#inflight.clear();
    this.#http.destroy();
    this.#https.destroy();
  }
}
