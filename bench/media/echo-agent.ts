/**
 * An AI agent reduced to an echo, speaking only Twilio's Media Streams protocol (the idea of
 * test/support/echo-bot.ts, without its per-frame records): it notes each `media` frame's
 * arrival in the ledger, restamps it and sends it straight back. It reads only the payload's
 * stamp, not the whole JSON, on the message's bytes (frames.ts), and skips `ws`'s UTF-8 check of
 * text it does not decode: it is the measuring instrument and must stay light.
 * In `stall` mode a new connection stops reading right after `start` (a stalled agent): what
 * the daemon sends it piles up in the daemon.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { echoFrame, type FrameLedger, payloadAt } from './frames.js';

export type EchoMode = 'echo' | 'stall';

/** A frame built as bytes still goes out as a text message, as a Twilio bot's would. */
const TEXT = { binary: false } as const;

export interface EchoAgent {
  readonly url: string;
  mode: EchoMode;
  /** Resolves once the agent got `start` for this call (its `callId` custom parameter). */
  started(callId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startEchoAgent(ledger: FrameLedger): Promise<EchoAgent> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    skipUTF8Validation: true,
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const startedCalls = new Set<string>();
  const waiters = new Map<string, () => void>();
  const agent: EchoAgent = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent`,
    mode: 'echo',
    started: (callId) =>
      startedCalls.has(callId) ? Promise.resolve() : new Promise((resolve) => waiters.set(callId, resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };

  server.on('connection', (socket: WebSocket, request) => {
    /** `{"event":"media","streamSid":"…","media":{"payload":"`, once `start` named the stream. */
    let head = Buffer.alloc(0);
    const mode = agent.mode;
    socket.on('message', (data) => {
      const bytes = data as Buffer;
      const at = payloadAt(bytes);
      if (at >= 0) {
        if (!ledger.up.seeFrame(bytes, at, performance.now(), ledger.recording)) return;
        ledger.echoed += 1;
        const echo = echoFrame(head, bytes, at, performance.now());
        if (echo !== undefined) socket.send(echo, TEXT);
        return;
      }
      const text = String(bytes);
      const frame = JSON.parse(text) as {
        event?: string;
        start?: { streamSid?: string; customParameters?: Record<string, string> };
      };
      if (frame.event === 'start') {
        head = Buffer.from(
          `{"event":"media","streamSid":${JSON.stringify(frame.start?.streamSid ?? '')},"media":{"payload":"`,
          'utf8',
        );
        const callId = frame.start?.customParameters?.['callId'] ?? '';
        startedCalls.add(callId);
        waiters.get(callId)?.();
        waiters.delete(callId);
        if (mode === 'stall') request.socket.pause();
      }
    });
    socket.on('error', () => undefined);
  });
  return agent;
}
