import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { systemTime, type Timers } from '../../src/lib/time.js';
import { settles } from './eventually.js';

/**
 * A bot that knows only Twilio's Media Streams protocol (protocols.md §2.3) — no extension —
 * to prove such a bot works unchanged behind the daemon. On `start` it remembers the
 * `streamSid`; it echoes every `media` payload back as it came, and after every `burstFrames`
 * echoed frames it sends a `mark` (`echo-1`, `echo-2`, …). It records everything it received.
 */
export interface EchoBotOptions {
  /** Echoed frames per burst; a mark follows each burst. Default 5. */
  readonly burstFrames?: number;
  /**
   * How long the bot waits before accepting each WebSocket upgrade, in ms, by connection index
   * (0 first): an agent slow to answer (a cold start, a far region). Default 0.
   */
  readonly acceptDelayMs?: number | ((index: number) => number);
  /** The timers the accept delay runs on (e.g. the `VirtualTime` of the daemon it serves); default the system's. */
  readonly time?: Timers;
}

/** One socket the daemon opened to the bot. */
export interface EchoBotSession {
  /** Every frame received, parsed, in order. */
  readonly received: Record<string, unknown>[];
  /** Upgrade request headers. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  streamSid: string | undefined;
  /** Marks the bot sent, in order. */
  readonly marksSent: string[];
  /** Close code seen by the bot, once closed. */
  closeCode: number | undefined;
  readonly socket: WebSocket;
  /** Stops reading from the TCP socket: the daemon's sends pile up (a stalled agent). */
  stall(): void;
}

export interface EchoBot {
  readonly url: string;
  readonly sessions: EchoBotSession[];
  /**
   * Resolves when `predicate` holds, checked after every received frame and close; fails after
   * `timeoutMs` (default 10 000) naming `what` was awaited.
   */
  until(predicate: () => boolean, what?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startEchoBot(options: EchoBotOptions = {}): Promise<EchoBot> {
  const burstFrames = options.burstFrames ?? 5;
  const acceptDelay = options.acceptDelayMs ?? 0;
  const time = options.time ?? systemTime;
  let upgrades = 0;
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (_info, accept) => {
      const delayMs = typeof acceptDelay === 'number' ? acceptDelay : acceptDelay(upgrades);
      upgrades += 1;
      if (delayMs <= 0) accept(true);
      else time.setTimeout(() => accept(true), delayMs);
    },
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const sessions: EchoBotSession[] = [];
  const waiters = new Set<{ predicate: () => boolean; resolve: () => void }>();
  const check = (): void => {
    for (const waiter of waiters) {
      if (waiter.predicate()) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  server.on('connection', (socket, request) => {
    const session: EchoBotSession = {
      received: [],
      headers: request.headers,
      streamSid: undefined,
      marksSent: [],
      closeCode: undefined,
      socket,
      stall: () => request.socket.pause(),
    };
    sessions.push(session);
    let echoed = 0;
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, unknown>;
      session.received.push(frame);
      if (frame.event === 'start') {
        session.streamSid = String((frame.start as { streamSid: string }).streamSid);
      } else if (frame.event === 'media' && session.streamSid !== undefined) {
        const payload = (frame.media as { payload: string }).payload;
        socket.send(JSON.stringify({ event: 'media', streamSid: session.streamSid, media: { payload } }));
        echoed += 1;
        if (echoed % burstFrames === 0) {
          const name = `echo-${echoed / burstFrames}`;
          session.marksSent.push(name);
          socket.send(JSON.stringify({ event: 'mark', streamSid: session.streamSid, mark: { name } }));
        }
      }
      check();
    });
    socket.on('close', (code) => {
      session.closeCode = code;
      check();
    });
  });

  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/agent`,
    sessions,
    until: (predicate, what = 'an echo bot condition', timeoutMs = 10_000) => {
      const waiter = { predicate, resolve: () => {} };
      const met = new Promise<void>((resolve) => {
        waiter.resolve = resolve;
        if (predicate()) resolve();
        else waiters.add(waiter);
      });
      return settles(met, what, { timeoutMs }).finally(() => waiters.delete(waiter));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
