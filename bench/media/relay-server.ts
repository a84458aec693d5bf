/**
 * The bare `ws` relay's server (relay-child.ts): each carrier connection gets one connection to
 * the agent, and every message is forwarded as it came, both ways — no parsing, no queue, no
 * back-pressure. What the daemon does beyond this is its own cost.
 */
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/** Which media server a bench child runs: the bare relay, or the daemon's media path alone (lean-server.ts). */
export type MediaServerKind = 'relay' | 'lean';

/** A bench media server, as its child process reports it. */
export interface BareRelay {
  readonly port: number;
  readonly sessions: () => number;
  readonly agentBuffered: () => number;
  readonly stop: () => Promise<void>;
}

export async function startBareRelay(agentUrl: string): Promise<BareRelay> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const agents = new Set<WebSocket>();
  server.on('connection', (carrier) => {
    const agent = new WebSocket(agentUrl, { perMessageDeflate: false });
    agents.add(agent);
    const pending: [RawData, boolean][] = [];
    carrier.on('message', (data, isBinary) => {
      if (agent.readyState === WebSocket.OPEN) agent.send(data, { binary: isBinary });
      else pending.push([data, isBinary]);
    });
    agent.on('open', () => {
      for (const [data, isBinary] of pending.splice(0)) agent.send(data, { binary: isBinary });
    });
    agent.on('message', (data, isBinary) => {
      if (carrier.readyState === WebSocket.OPEN) carrier.send(data, { binary: isBinary });
    });
    const end = (): void => {
      agents.delete(agent);
      carrier.terminate();
      agent.terminate();
    };
    carrier.on('close', end).on('error', end);
    agent.on('close', end).on('error', end);
  });
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => agents.size,
    agentBuffered: () => {
      let bytes = 0;
      for (const a of agents) bytes += a.bufferedAmount;
      return bytes;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        for (const a of agents) a.terminate();
        server.close(() => resolve());
      }),
  };
}
