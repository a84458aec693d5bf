import http from 'node:http';
import https from 'node:https';

/**
 * Keep-alive connection pools for carrier REST clients: a transfer's REST command reuses a warm
 * connection instead of paying a TCP (and TLS) handshake, and a burst of transfers on one worker
 * opens at most `maxSockets` connections per carrier host — the rest queue in the agent rather
 * than piling connections onto the carrier (which rate-limits by concurrency).
 */
export interface PoolOptions {
  /** Connections per host, busy or idle. Default 100. */
  readonly maxSockets?: number;
  /** Idle connections kept per host. Default 20. */
  readonly maxFreeSockets?: number;
  /** An idle connection is closed after this long, in ms. Default 30 000. */
  readonly idleTimeoutMs?: number;
}

export const DEFAULT_MAX_SOCKETS = 100;

/** One http and one https agent with the same bounds. */
export interface HttpPool {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

export function createHttpPool(options: PoolOptions = {}): HttpPool {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
    maxFreeSockets: options.maxFreeSockets ?? 20,
    timeout: options.idleTimeoutMs ?? 30_000,
    scheduling: 'lifo' as const,
  };
  return { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
}

export interface PooledRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /**
   * The request fails with `ECONNABORTED` once its socket was idle this long, in ms (Node's
   * socket timeout, as axios uses it). Default none.
   */
  readonly timeoutMs?: number;
}

export interface PooledReply {
  readonly status: number;
  /** The body as text (UTF-8). */
  readonly text: string;
  readonly headers: http.IncomingHttpHeaders;
}

/**
 * One request through `pool`. Rejects only when no answer arrived (a socket error, or `signal`
 * aborted); any HTTP status resolves. A socket error keeps its `code` (`ECONNREFUSED`…).
 */
export function pooledRequest(pool: HttpPool, url: string, request: PooledRequest): Promise<PooledReply> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      target,
      {
        method: request.method,
        agent: secure ? pool.https : pool.http,
        headers: body === undefined ? request.headers : { ...request.headers, 'content-length': body.length },
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text:
              chunks.length === 1
                ? (chunks[0] as Buffer).toString('utf8')
                : Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (request.timeoutMs !== undefined) {
      const timeoutMs = request.timeoutMs;
      req.setTimeout(timeoutMs, () => {
        const err = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ECONNABORTED' });
        req.destroy(err);
      });
    }
    req.end(body);
  });
}

/** The socket error code of a failed request (`ECONNREFUSED`…), as fetch or node:http report it. */
export function socketErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string' && own !== 'ABORT_ERR') return own;
  const cause = (err as { cause?: unknown }).cause;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
