/**
 * An AI agent reduced to an echo, speaking only Twilio's Media Streams protocol (the idea of
 * test/support/echo-bot.ts, without its per-frame records): it notes each `media` frame's
 * arrival in the ledger, restamps it and sends it straight back. It reads only the payload's
 * stamp, not the whole JSON: it is the measuring instrument and must stay light.
 * In `stall` mode a new connection stops reading right after `start` (a stalled agent): what
 * the daemon sends it piles up in the daemon.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type FrameLedger, isMedia, payloadOf, readStamp, restamped } from './frames.js';

export type EchoMode = 'echo' | 'stall';

export interface EchoAgent {
  readonly url: string;
  mode: EchoMode;
  /** Resolves once the agent got `start` for this call (its `callId` custom parameter). */
  started(callId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startEchoAgent(ledger: FrameLedger): Promise<EchoAgent> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
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
    let streamSid = '';
    const mode = agent.mode;
    socket.on('message', (data) => {
      const text = String(data);
      if (isMedia(text)) {
        const payload = payloadOf(text);
        const stamp = readStamp(payload);
        if (stamp === undefined) return;
        ledger.up.see(stamp, performance.now(), ledger.recording);
        ledger.echoed += 1;
        socket.send(
          `{"event":"media","streamSid":"${streamSid}","media":{"payload":"${restamped(payload, performance.now())}"}}`,
        );
        return;
      }
      const frame = JSON.parse(text) as {
        event?: string;
        start?: { streamSid?: string; customParameters?: Record<string, string> };
      };
      if (frame.event === 'start') {
        streamSid = frame.start?.streamSid ?? '';
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
