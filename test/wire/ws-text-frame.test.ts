/**
 * Frames written in place (src/lib/ws-text-frame.ts), read by a real `ws` peer on 127.0.0.1: a
 * server's frames by a client, a client's masked frames by a server (which refuses an unmasked
 * one), mixed with `ws.send`'s own frames, every length class, and each case where the frame is
 * left to `ws.send`.
 */
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  clientHeadroom,
  type FrameRole,
  sendTextFrame,
  serverHeadroom,
} from '../../src/lib/ws-text-frame.js';

interface Pair {
  readonly sender: WebSocket;
  readonly socket: Duplex;
  readonly received: string[];
  /** Resolves once `n` messages have arrived at the other end. */
  readonly messages: (n: number) => Promise<string[]>;
  /** How many times the sender's `ws.send` was called. */
  readonly wsSends: () => number;
  readonly closedWith: () => Promise<number>;
  /** Errors the server end of the connection reported (ws's codes). */
  readonly serverErrors: readonly string[];
}

const servers: WebSocketServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A connected pair; `role` is the end that sends through sendTextFrame. */
async function connect(role: FrameRole): Promise<Pair> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) =>
    server.once('connection', (ws, request) => resolve({ ws, socket: request.socket })),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    perMessageDeflate: false,
  });
  sockets.push(client);
  const upgraded = new Promise<Duplex>((resolve) =>
    client.once('upgrade', (response) => resolve(response.socket)),
  );
  await new Promise<void>((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  const far = await accepted;
  sockets.push(far.ws);
  const errors: string[] = [];
  far.ws.on('error', (err: Error & { code?: string }) => errors.push(err.code ?? err.message));
  client.on('error', () => undefined);
  const [sender, socket, reader] =
    role === 'client' ? [client, await upgraded, far.ws] : [far.ws, far.socket, client];
  let wsSends = 0;
  const send = sender.send.bind(sender);
  sender.send = ((...args: Parameters<WebSocket['send']>) => {
    wsSends += 1;
    send(...args);
  }) as WebSocket['send'];
  const received: string[] = [];
  const waiting: { n: number; resolve: (m: string[]) => void }[] = [];
  reader.on('message', (data, isBinary) => {
    received.push(`${isBinary ? 'binary: ' : ''}${data.toString()}`);
    for (const w of waiting.filter((x) => received.length >= x.n)) w.resolve(received.slice(0, w.n));
  });
  const closed = new Promise<number>((resolve) => reader.once('close', (code) => resolve(code)));
  return {
    sender,
    socket,
    received,
    messages: (n) =>
      received.length >= n
        ? Promise.resolve(received.slice(0, n))
        : new Promise((resolve) => waiting.push({ n, resolve })),
    closedWith: () => closed,
    serverErrors: errors,
    wsSends: () => wsSends,
  };
}

/** `text` in a buffer built as the frame builders build it: the header's room, then the message. */
function built(text: string, role: FrameRole): Buffer {
  const length = Buffer.byteLength(text);
  const room = role === 'client' ? clientHeadroom(length) : serverHeadroom(length);
  const out = Buffer.alloc(room + length);
  out.write(text, room, 'utf8');
  return out;
}

const message = (length: number, seed: number): string => {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(0x20 + ((i * 7 + seed) % 95));
  return s;
};

/** Each length class of the header (7-bit, 16-bit, 64-bit) and its edges; odd lengths for the mask's tail. */
const LENGTHS = [0, 1, 2, 3, 5, 124, 125, 126, 127, 250, 4096, 65535, 65536, 70001];

describe.each<FrameRole>(['server', 'client'])('sendTextFrame from a %s', (role) => {
  it('frames every length in place, read back exactly and in order among ws.send frames', async () => {
    const pair = await connect(role);
    const expected: string[] = [];
    for (const [i, length] of LENGTHS.entries()) {
      const text = message(length, i);
      sendTextFrame(pair.sender, pair.socket, built(text, role), role);
      expected.push(text);
      const between = `ws.send ${i}`;
      pair.sender.send(between);
      expected.push(between);
    }
    expect(await pair.messages(expected.length)).toEqual(expected);
    // Only the frames in between went through ws.
    expect(pair.wsSends()).toBe(LENGTHS.length);
  });

  it('gives the message to ws.send without a socket to write to', async () => {
    const pair = await connect(role);
    sendTextFrame(pair.sender, undefined, built('no socket', role), role);
    expect(await pair.messages(1)).toEqual(['no socket']);
    expect(pair.wsSends()).toBe(1);
  });

  it('writes nothing once the socket is closing: ws.send has it, and nothing arrives', async () => {
    const pair = await connect(role);
    pair.sender.close(1000, 'done');
    const before = pair.socket.writableLength;
    sendTextFrame(pair.sender, pair.socket, built('late', role), role);
    expect(pair.wsSends()).toBe(1);
    expect(pair.socket.writableLength).toBe(before);
    expect(await pair.closedWith()).toBe(1000);
    expect(pair.received).toEqual([]);
  });

  it('gives the message to ws.send while ws holds a message of its own back, so the order holds', async () => {
    const pair = await connect(role);
    // A Blob is read asynchronously: ws's sender holds it, and what is sent meanwhile, behind it.
    pair.sender.send(new Blob(['first, from a blob']));
    expect(pair.sender.bufferedAmount).toBeGreaterThan(pair.socket.writableLength);
    sendTextFrame(pair.sender, pair.socket, built('second', role), role);
    expect(pair.wsSends()).toBe(2);
    expect(await pair.messages(2)).toEqual(['binary: first, from a blob', 'second']);
  });
});

describe('a client frame written in place', () => {
  it('is masked with a fresh key each time, the payload not in clear', async () => {
    const pair = await connect('client');
    const written: Buffer[] = [];
    const write = pair.socket.write.bind(pair.socket);
    pair.socket.write = ((chunk: Buffer) => {
      written.push(Buffer.from(chunk));
      return write(chunk);
    }) as typeof pair.socket.write;
    const text = 'A'.repeat(200);
    for (let i = 0; i < 16; i++) sendTextFrame(pair.sender, pair.socket, built(text, 'client'), 'client');
    expect(await pair.messages(16)).toEqual(Array(16).fill(text));
    expect(written).toHaveLength(16);
    const keys = new Set<string>();
    for (const frame of written) {
      expect(frame[0]).toBe(0x81);
      expect(frame[1]).toBe(0x80 | 126);
      expect(frame.readUInt16BE(2)).toBe(200);
      keys.add(frame.subarray(4, 8).toString('hex'));
      expect(frame.subarray(8).toString('latin1')).not.toBe(text);
    }
    expect(keys.size).toBeGreaterThan(12);
  });

  it('is refused by a server when sent unmasked (the server end checks masks)', async () => {
    const pair = await connect('client');
    // The same message framed as a server frames it: no mask bit. The server must fail the connection.
    const raw = built('unmasked', 'server');
    sendTextFrame(pair.sender, pair.socket, raw, 'server');
    await pair.closedWith();
    expect(pair.serverErrors).toEqual(['WS_ERR_EXPECTED_MASK']);
    expect(pair.received).toEqual([]);
  });
});

describe('the header room', () => {
  it('is the header for each length class, and 4 more for a client', () => {
    expect([125, 126, 65535, 65536].map(serverHeadroom)).toEqual([2, 4, 4, 10]);
    expect([125, 126, 65535, 65536].map(clientHeadroom)).toEqual([6, 8, 8, 14]);
  });
});
