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
import { type FrameRole, sendTextFrame, TEXT_FRAME_HEADROOM } from '../../src/lib/ws-text-frame.js';

interface Pair {
  readonly sender: WebSocket;
  readonly socket: Duplex;
  readonly received: string[];
  /** Resolves once `n` messages have arrived at the other end. */
  readonly messages: (n: number) => Promise<string[]>;
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
  };
}

/** `text` in a buffer built as the frame builders build it: the headroom, then the message. */
function built(text: string): Buffer {
  const out = Buffer.alloc(TEXT_FRAME_HEADROOM + Buffer.byteLength(text));
  out.write(text, TEXT_FRAME_HEADROOM, 'utf8');
  return out;
}

const message = (length: number, seed: number): string => {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(0x20 + ((i * 7 + seed) % 95));
  return s;
};

/** One length of each class the header has: empty, short (≤ 125), 16-bit, and the largest. */
const LENGTHS = [0, 1, 3, 5, 124, 125, 126, 127, 250, 4096, 65535];

describe.each<FrameRole>(['server', 'client'])('sendTextFrame from a %s', (role) => {
  it('frames every length the other end reads back exactly, in order among ws.send frames', async () => {
    const pair = await connect(role);
    const expected: string[] = [];
    for (const [i, length] of LENGTHS.entries()) {
      const text = message(length, i);
      expect(sendTextFrame(pair.sender, pair.socket, built(text), role)).toBe(true);
      expected.push(text);
      const between = `ws.send ${i}`;
      pair.sender.send(between);
      expected.push(between);
    }
    expect(await pair.messages(expected.length)).toEqual(expected);
  });

  it('leaves a message of 64 KiB or more to ws.send, having written nothing', async () => {
    const pair = await connect(role);
    const big = built(message(65536, 1));
    const before = pair.socket.writableLength;
    expect(sendTextFrame(pair.sender, pair.socket, big, role)).toBe(false);
    expect(pair.socket.writableLength).toBe(before);
    pair.sender.send('after');
    expect(await pair.messages(1)).toEqual(['after']);
  });

  it('writes nothing once the socket is closing', async () => {
    const pair = await connect(role);
    pair.sender.close(1000, 'done');
    expect(sendTextFrame(pair.sender, pair.socket, built('late'), role)).toBe(false);
    expect(await pair.closedWith()).toBe(1000);
    expect(pair.received).toEqual([]);
  });

  it('leaves the frame to ws.send while ws holds a message of its own back, so the order holds', async () => {
    const pair = await connect(role);
    // A Blob is read asynchronously: ws's sender holds it, and what is sent meanwhile, behind it.
    pair.sender.send(new Blob(['first, from a blob']));
    expect(pair.sender.bufferedAmount).toBeGreaterThan(pair.socket.writableLength);
    const second = built('second');
    expect(sendTextFrame(pair.sender, pair.socket, second, role)).toBe(false);
    pair.sender.send(second.subarray(TEXT_FRAME_HEADROOM), { binary: false });
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
    for (let i = 0; i < 16; i++)
      expect(sendTextFrame(pair.sender, pair.socket, built(text), 'client')).toBe(true);
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
    // The same bytes framed as a server frames them: no mask bit. The server must fail the connection.
    const raw = built('unmasked');
    const length = raw.length - TEXT_FRAME_HEADROOM;
    raw[TEXT_FRAME_HEADROOM - 2] = 0x81;
    raw[TEXT_FRAME_HEADROOM - 1] = length;
    pair.socket.write(raw.subarray(TEXT_FRAME_HEADROOM - 2));
    await pair.closedWith();
    expect(pair.serverErrors).toEqual(['WS_ERR_EXPECTED_MASK']);
    expect(pair.received).toEqual([]);
  });
});
