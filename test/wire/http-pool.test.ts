import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpPool, pooledRequest, socketErrorCode } from '../../providers/shared/http-pool.js';

/** The carrier REST clients' keep-alive pool, against a real local HTTP server. */

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s === undefined) return;
  s.closeAllConnections();
  await new Promise((resolve) => s.close(resolve));
});

async function listen(handler: Parameters<typeof createServer>[1]) {
  const sockets = new Set<unknown>();
  let open = 0;
  let maxOpen = 0;
  server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    open += 1;
    maxOpen = Math.max(maxOpen, open);
    socket.on('close', () => {
      open -= 1;
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, connections: () => sockets.size, maxOpen: () => maxOpen };
}

describe('pooledRequest', () => {
  it('sends the method, headers and body, and reuses one connection for requests one after another', async () => {
    const seen: string[] = [];
    const s = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    const pool = createHttpPool();
    for (let i = 0; i < 5; i++) {
      const reply = await pooledRequest(pool, `${s.url}/v1/Call/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"n":${i}}`,
      });
      expect(reply).toMatchObject({ status: 201, text: '{"ok":true}' });
    }
    expect(seen[4]).toBe('POST /v1/Call/ application/json {"n":4}');
    expect(s.connections()).toBe(1);
  });

  it('opens at most maxSockets connections to a host; the rest wait their turn', async () => {
    const s = await listen((_req, res) => {
      setImmediate(() => res.end('x'));
    });
    const pool = createHttpPool({ maxSockets: 2 });
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => pooledRequest(pool, `${s.url}/`, { method: 'GET', headers: {} })),
    );
    expect(replies.every((r) => r.status === 200 && r.text === 'x')).toBe(true);
    expect(s.maxOpen()).toBeLessThanOrEqual(2);
  });

  it('rejects with the socket error code when nothing answers', async () => {
    const s = await listen((_req, res) => res.end());
    const url = s.url;
    server?.close();
    server = undefined;
    const failed = await pooledRequest(createHttpPool(), `${url}/`, { method: 'GET', headers: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(socketErrorCode(failed)).toBe('ECONNREFUSED');
  });
});
