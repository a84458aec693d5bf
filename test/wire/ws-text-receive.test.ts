/**
 * Text frames read in place (src/lib/ws-text-receive.ts), in front of a real `ws` reader on
 * 127.0.0.1: whatever the peer sends and however its bytes are cut into chunks, a WebSocket with
 * the reader emits exactly the messages, pings and close a WebSocket without it emits, in the same
 * order — as a server (the peer masks) and as a client (the peer does not).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { FrameRole } from '../../src/lib/ws-text-frame.js';
import { type InPlaceReading, readTextFramesInPlace } from '../../src/lib/ws-text-receive.js';

const MAX_PAYLOAD = 100_000;

const servers: WebSocketServer[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** One end of a connection: `role` says which; what it emits is recorded. */
interface End {
  readonly ws: WebSocket;
  /** The other end of the connection. */
  readonly peer: WebSocket;
  readonly socket: Duplex;
  readonly seen: string[];
  /** The reader put in front of ws's, if it was (undefined: ws reads alone). */
  readonly reading: InPlaceReading | undefined;
}

/** A connection on 127.0.0.1; the end of `role` records what it emits, with or without the reader. */
async function end(role: FrameRole, inPlace: boolean, maxPayload = MAX_PAYLOAD): Promise<End> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    skipUTF8Validation: true,
    maxPayload,
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  let reading: InPlaceReading | undefined;
  const accepted = new Promise<{ ws: WebSocket; socket: Duplex }>((resolve) =>
    server.once('connection', (ws, request) => {
      if (role === 'server' && inPlace)
        reading = readTextFramesInPlace(ws, request.socket, 'server', maxPayload);
      resolve({ ws, socket: request.socket });
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    maxPayload,
  });
  sockets.push(client);
  let clientSocket: Duplex | undefined;
  client.once('upgrade', (response) => {
    clientSocket = response.socket;
  });
  client.once('open', () => {
    if (role === 'client' && inPlace && clientSocket !== undefined)
      reading = readTextFramesInPlace(client, clientSocket, 'client', maxPayload);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  const far = await accepted;
  sockets.push(far.ws);
  expect(reading !== undefined).toBe(inPlace);
  const ws = role === 'server' ? far.ws : client;
  const peer = role === 'server' ? client : far.ws;
  const socket = role === 'server' ? far.socket : (clientSocket as Duplex);
  const seen: string[] = [];
  ws.on('message', (data, isBinary) => {
    seen.push(`${isBinary ? 'binary' : 'text'}:${Buffer.from(data as Buffer).toString('hex')}`);
  });
  ws.on('ping', (data) => seen.push(`ping:${data.toString('hex')}`));
  ws.on('error', (err) => seen.push(`error:${(err as { code?: string }).code ?? err.message}`));
  ws.on('close', (code) => seen.push(`close:${code}`));
  return { ws, peer, socket, seen, reading };
}

interface RawFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Uint8Array;
  readonly rsv?: boolean;
  /** Masked the wrong way for the receiver (a protocol error ws refuses). */
  readonly wrongMask?: boolean;
  /** Length written in the 64-bit form even when it would fit a shorter one. */
  readonly long?: boolean;
}

/** The frame's bytes as a peer of `receiver` sends them (a server's peer masks). */
function frameBytes(f: RawFrame, receiver: FrameRole, key: Uint8Array): Buffer {
  const masked = (receiver === 'server') !== (f.wrongMask === true);
  const n = f.payload.length;
  const ext = f.long === true || n > 0xffff ? 8 : n > 125 ? 2 : 0;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = (f.fin ? 0x80 : 0) | (f.rsv === true ? 0x40 : 0) | f.opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 8 ? 127 : ext === 2 ? 126 : n);
  if (ext === 2) head.writeUInt16BE(n, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(n), 2);
  const body = Buffer.from(f.payload);
  if (masked) {
    head.set(key, 2 + ext);
    for (let i = 0; i < n; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  }
  return Buffer.concat([head, body]);
}

/**
 * How chunks reach the socket's reader. `push`: as Node's socket delivers what it reads, by the
 * stream's `push` (stream_base_commons.js `onStreamRead`), on through a pause until the stream
 * says it holds enough (then the socket would stop reading: the next chunk waits for the resume).
 * `emit`: as `'data'` events, none while the socket is paused.
 */
type Delivery = 'push' | 'emit';

/**
 * Feeds `bytes` to the end's socket cut at `cuts`, one chunk a turn of the event loop (ws's
 * deferred work runs between), as `delivery` says; ws resumes a paused socket once it caught up,
 * or once it stopped reading.
 */
async function feed(
  e: End,
  bytes: Buffer,
  cuts: readonly number[],
  delivery: Delivery = 'push',
): Promise<void> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let full = false;
  for (const at of [...points, bytes.length]) {
    if (at <= from) continue;
    const waits = delivery === 'emit' || full;
    for (let turns = 0; waits && e.socket.isPaused() && turns < 50; turns++) await new Promise(setImmediate);
    if (waits && e.socket.isPaused()) break;
    // A copy each: the reader unmasks in place, and each end gets the same bytes.
    const chunk = Buffer.from(bytes.subarray(from, at));
    if (delivery === 'push') full = !e.socket.push(chunk);
    else e.socket.emit('data', chunk);
    from = at;
    await new Promise(setImmediate);
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const text = (s: string): Uint8Array => Buffer.from(s);

/** A whole text frame of `body`, as a peer of `receiver` sends it. */
const textFrame = (body: string, receiver: FrameRole, key: Uint8Array): Buffer =>
  frameBytes({ fin: true, opcode: 1, payload: text(body) }, receiver, key);

/** A message as frames: whole, or fragmented (with control frames between the fragments). */
const messageArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.uint8Array({ maxLength: 300 }).map((p) => [{ fin: true, opcode: 1, payload: p }]),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ minLength: 65_530, maxLength: 65_540 })
      .map((p) => [{ fin: true, opcode: 1, payload: p }]),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 200 })
      .map((p) => [{ fin: true, opcode: 1, payload: p, long: true }]),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((p) => [{ fin: true, opcode: 2, payload: p }]),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 50 }).map((p) => [{ fin: true, opcode: 9, payload: p }]),
  },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ maxLength: 50 }).map((p) => [{ fin: true, opcode: 10, payload: p }]),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(1, 2),
        fc.array(fc.uint8Array({ maxLength: 100 }), { minLength: 2, maxLength: 4 }),
        fc.boolean(),
      )
      .map(([opcode, parts, ping]) =>
        parts.flatMap((payload, i) => [
          ...(ping && i === 1 ? [{ fin: true, opcode: 9, payload: text('between') }] : []),
          { fin: i === parts.length - 1, opcode: i === 0 ? opcode : 0, payload },
        ]),
      ),
  },
) as fc.Arbitrary<RawFrame[]>;

/** A message that ends the connection: a close frame, or a protocol error ws refuses. */
const endingArb = fc.oneof(
  fc.constant<RawFrame[]>([]),
  fc.constant<RawFrame[]>([{ fin: true, opcode: 8, payload: Buffer.from([0x03, 0xe8]) }]),
  fc.constant<RawFrame[]>([{ fin: true, opcode: 1, payload: text('{"a":1}'), wrongMask: true }]),
  fc.constant<RawFrame[]>([{ fin: true, opcode: 1, payload: text('rsv'), rsv: true }]),
  fc.constant<RawFrame[]>([{ fin: true, opcode: 1, payload: new Uint8Array(MAX_PAYLOAD + 1) }]),
  // A text frame inside a fragmented message: a protocol error.
  fc.constant<RawFrame[]>([
    { fin: false, opcode: 1, payload: text('a') },
    { fin: true, opcode: 1, payload: text('b') },
  ]),
  fc.constant<RawFrame[]>([
    { fin: true, opcode: 8, payload: Buffer.from([0x03, 0xe8]) },
    { fin: true, opcode: 1, payload: text('after close') },
  ]),
);

describe.each(['server', 'client'] as const)('text frames read in place, as the %s', (role) => {
  it('emits what ws alone emits, in order, for any frames cut into any chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { maxLength: 8 }),
        endingArb,
        // Frames after the ending: none of them is read once ws failed the connection or closed.
        fc.array(messageArb, { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        // Cuts a few bytes into a frame: inside its header, or right after it.
        fc.array(fc.tuple(fc.nat(), fc.nat(15)), { maxLength: 8 }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.constantFrom<Delivery>('push', 'emit'),
        async (messages, ending, after, anywhere, nearFrames, key, delivery) => {
          const frames = [...messages.flat(), ...ending, ...after.flat()].map((f) =>
            frameBytes(f, role, key),
          );
          const bytes = Buffer.concat(frames);
          const starts = frames.map((_, k) => frames.slice(0, k).reduce((a, f) => a + f.length, 0));
          const cuts = [
            ...anywhere,
            ...nearFrames.map(([k, delta]) => (starts[k % Math.max(1, starts.length)] ?? 0) + delta),
          ];
          const alone = await end(role, false);
          const inPlace = await end(role, true);
          await feed(alone, bytes, cuts, delivery);
          await feed(inPlace, bytes, cuts, delivery);
          expect(inPlace.seen).toEqual(alone.seen);
          expect(inPlace.ws.readyState).toBe(alone.ws.readyState);
          for (const e of [alone, inPlace]) e.ws.terminate();
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('reads a whole frame in place after a frame whose header came in pieces', async () => {
    const e = await end(role, true);
    const key = Uint8Array.from([1, 2, 3, 4]);
    const first = frameBytes({ fin: true, opcode: 1, payload: Buffer.alloc(300, 0x61) }, role, key);
    const second = textFrame('{"event":"media"}', role, key);
    // The first frame's header cut after its first byte and inside its 16-bit length; the
    // second frame whole in a chunk of its own.
    await feed(e, Buffer.concat([first, second]), [1, 3, first.length]);
    expect(e.seen).toEqual([
      `text:${Buffer.alloc(300, 0x61).toString('hex')}`,
      `text:${Buffer.from('{"event":"media"}').toString('hex')}`,
    ]);
    expect(e.reading?.framesInPlace).toBe(1);
    // A ping between, then two whole frames in one chunk: both read in place.
    await feed(
      e,
      Buffer.concat([frameBytes({ fin: true, opcode: 9, payload: text('p') }, role, key), second, second]),
      [3],
    );
    expect(e.reading?.framesInPlace).toBe(3);
    expect(e.seen).toHaveLength(5);
  });

  it('leaves a text frame over maxPayload to ws, which refuses it, and reads one at the limit', async () => {
    const key = Uint8Array.from([9, 8, 7, 6]);
    for (const length of [1_000, 1_001]) {
      const bytes = Buffer.concat([
        frameBytes({ fin: true, opcode: 1, payload: Buffer.alloc(length, 0x62) }, role, key),
        textFrame('next', role, key),
      ]);
      const alone = await end(role, false, 1_000);
      const inPlace = await end(role, true, 1_000);
      await feed(alone, bytes, []);
      await feed(inPlace, bytes, []);
      expect(inPlace.seen).toEqual(alone.seen);
      expect(inPlace.reading?.framesInPlace).toBe(length === 1_000 ? 2 : 0);
    }
  });

  it('takes pushed chunks only as the stream would emit them: not while paused, after what it holds', async () => {
    const e = await end(role, true);
    const key = Uint8Array.from([5, 6, 7, 8]);
    const frame = (body: string): Buffer => textFrame(body, role, key);
    const seenText = (): string[] =>
      e.seen.map((m) => Buffer.from(m.slice('text:'.length), 'hex').toString());
    // Paused: the chunk stays in the stream until it flows again.
    e.socket.pause();
    e.socket.push(frame('a'));
    await new Promise(setImmediate);
    expect(e.seen).toEqual([]);
    expect(e.socket.readableLength).toBeGreaterThan(0);
    // Resumed, and a chunk read before the stream let the held one go: the held one first.
    e.socket.resume();
    e.socket.push(frame('b'));
    await new Promise(setImmediate);
    expect(seenText()).toEqual(['a', 'b']);
    // Another 'data' listener gets every chunk too.
    const others: number[] = [];
    e.socket.on('data', (chunk: Buffer) => others.push(chunk.length));
    const c = frame('c');
    e.socket.push(c);
    await new Promise(setImmediate);
    expect(seenText()).toEqual(['a', 'b', 'c']);
    expect(others).toEqual([c.length]);
    expect(e.reading?.framesInPlace).toBe(3);
  });

  it('takes nothing pushed after the stream was destroyed or given its end, as the stream would', async () => {
    const key = Uint8Array.from([2, 4, 6, 8]);
    const frame = (body: string): Buffer => textFrame(body, role, key);
    for (const how of ['destroy', 'end'] as const) {
      const results = [];
      for (const inPlace of [false, true]) {
        const e = await end(role, inPlace);
        e.socket.on('error', (err: { code?: string }) => e.seen.push(`socket error:${err.code}`));
        e.socket.push(frame('before'));
        if (how === 'destroy') e.socket.destroy();
        else e.socket.push(null);
        let pushed: unknown;
        try {
          pushed = e.socket.push(frame('after'));
        } catch (err) {
          pushed = `threw ${(err as { code?: string }).code}`;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        results.push({ pushed, seen: e.seen });
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[1]?.seen).not.toContain(`text:${Buffer.from('after').toString('hex')}`);
    }
  });

  it('reads the frames of a real socket without its data events', async () => {
    const e = await end(role, true);
    let dataEvents = 0;
    const emit = e.socket.emit;
    e.socket.emit = function (this: Duplex, event: string | symbol, ...args: unknown[]) {
      if (event === 'data') dataEvents += 1;
      return emit.call(this, event, ...args);
    } as typeof emit;
    for (let i = 0; i < 20; i++) e.peer.send(`{"n":${i}}`);
    await until(() => e.seen.length >= 20);
    expect(e.seen).toEqual(
      Array.from({ length: 20 }, (_, i) => `text:${Buffer.from(`{"n":${i}}`).toString('hex')}`),
    );
    expect(e.reading?.framesInPlace).toBe(20);
    expect(dataEvents).toBe(0);
  });

  it('reads frames sent over the socket, every length class, in order with the messages ws reads', async () => {
    const e = await end(role, true);
    const sender = e.peer;
    const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 70_001];
    for (const length of lengths) sender.send(Buffer.alloc(length, 0x41), { binary: false });
    sender.send(Buffer.from([1, 2, 3]), { binary: true });
    sender.ping(Buffer.from('p'));
    sender.send('fragment one, ', { fin: false });
    sender.send('fragment two', { fin: true });
    sender.send('last');
    const expected = [
      ...lengths.map((n) => `text:${Buffer.alloc(n, 0x41).toString('hex')}`),
      'binary:010203',
      `ping:${Buffer.from('p').toString('hex')}`,
      `text:${Buffer.from('fragment one, fragment two').toString('hex')}`,
      `text:${Buffer.from('last').toString('hex')}`,
    ];
    await until(() => e.seen.length >= expected.length);
    expect(e.seen).toEqual(expected);
  });
});

it('leaves a stream that reads a chunk per _read (not a TCP or TLS socket) on its data events', async () => {
  const key = Uint8Array.from([1, 3, 5, 7]);
  const messages = async (inPlace: boolean): Promise<string[]> => {
    const queue = Array.from({ length: 5 }, (_, i) => textFrame(`{"n":${i}}`, 'server', key));
    const stream = new Duplex({
      read() {
        const next = queue.shift();
        if (next !== undefined) setImmediate(() => this.push(next));
      },
      write(_chunk, _encoding, done) {
        done();
      },
    });
    // A server's end (ws masks nothing it sends, and wants its peer's frames masked).
    const ws = new WebSocket(null as unknown as string, undefined, {}) as WebSocket & {
      setSocket(socket: Duplex, head: Buffer, options: object): void;
    };
    ws.setSocket(stream, Buffer.alloc(0), { maxPayload: MAX_PAYLOAD, skipUTF8Validation: true });
    if (inPlace) expect(readTextFramesInPlace(ws, stream, 'server', MAX_PAYLOAD)).toBeDefined();
    const seen: string[] = [];
    ws.on('message', (data) => seen.push(String(data)));
    await until(() => seen.length >= 5);
    ws.terminate();
    return seen;
  };
  const alone = await messages(false);
  expect(alone).toHaveLength(5);
  expect(await messages(true)).toEqual(alone);
});

/** A self-signed key and certificate for 127.0.0.1, made for these tests (`openssl req -x509`, 100 years). */
const TLS_KEY = readFileSync(new URL('../support/tls/key.pem', import.meta.url));
const TLS_CERT = readFileSync(new URL('../support/tls/cert.pem', import.meta.url));

describe.each(['server', 'client'] as const)('over TLS, as the %s', (role) => {
  it('reads the frames in order, through the pauses of a slow reader', async () => {
    const https = createHttpsServer({ key: TLS_KEY, cert: TLS_CERT });
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, skipUTF8Validation: true });
    let reading: InPlaceReading | undefined;
    const accepted = new Promise<WebSocket>((resolve) =>
      https.on('upgrade', (req, socket, head) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          expect(socket).toBeInstanceOf(TLSSocket);
          if (role === 'server') reading = readTextFramesInPlace(ws, socket, 'server', MAX_PAYLOAD);
          resolve(ws);
        }),
      ),
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const client = new WebSocket(`wss://127.0.0.1:${(https.address() as AddressInfo).port}`, {
      ca: TLS_CERT,
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    sockets.push(client);
    client.once('upgrade', (response) => {
      client.once('open', () => {
        if (role === 'client')
          reading = readTextFramesInPlace(client, response.socket, 'client', MAX_PAYLOAD);
      });
    });
    await new Promise((resolve) => client.once('open', resolve));
    const far = await accepted;
    sockets.push(far);
    const [receiver, sender] = role === 'server' ? [far, client] : [client, far];
    const sent: string[] = [];
    const got: string[] = [];
    receiver.on('message', (data) => {
      got.push(String(data));
      // A slow reader now and then: ws pauses the socket, the stream holds what comes meanwhile.
      if (got.length % 50 === 0) {
        receiver.pause();
        setTimeout(() => receiver.resume(), 5);
      }
    });
    for (let i = 0; i < 600; i++) {
      const message = `{"n":${i}}${'x'.repeat(i % 9 === 0 ? 70_000 : i % 300)}`;
      sent.push(message);
      sender.send(message);
      if (i % 100 === 0) sender.ping();
    }
    await until(() => got.length >= sent.length);
    expect(got).toEqual(sent);
    expect(reading?.framesInPlace).toBeGreaterThan(100);
    for (const ws of [client, far]) ws.terminate();
    await new Promise((resolve) => https.close(resolve));
  });
});

it('leaves the socket to ws when ws is not its one reader', async () => {
  const e = await end('server', false);
  e.socket.on('data', () => undefined);
  expect(readTextFramesInPlace(e.ws, e.socket, 'server', MAX_PAYLOAD)).toBeUndefined();
  expect(e.socket.listenerCount('data')).toBe(2);
});

async function until(holds: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !holds(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
