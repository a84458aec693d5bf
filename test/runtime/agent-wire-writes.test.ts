import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { AgentConnection } from '../../src/agent/websocket/agent-connection.js';
import { settles } from '../support/eventually.js';

/**
 * What the daemon tells its agent in one tick leaves in one socket write (issue 18 item 3): the
 * socket's opening `connected` and `start`, a transfer's `transfer_accepted` and statuses. Each
 * message is still its own frame, in the order sent.
 */
describe('the agent socket: one write per tick', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('the opening pair, then three statuses sent together: one write each time, five frames in order', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const frames: string[] = [];
    let notify = (): void => undefined;
    server.on('connection', (socket) =>
      socket.on('message', (data) => {
        frames.push((JSON.parse(data.toString()) as { event: string }).event);
        notify();
      }),
    );
    const until = (n: number) =>
      settles(
        (async () => {
          while (frames.length < n) await new Promise<void>((resolve) => (notify = resolve));
        })(),
        `${n} frames`,
      );
    // Writes the daemon's side hands to the kernel toward the agent server.
    let writes = 0;
    const toServer = (socket: Socket) => socket.remotePort === port;
    const write = Socket.prototype._write;
    const writev = Socket.prototype._writev;
    vi.spyOn(Socket.prototype, '_write').mockImplementation(function (this: Socket, ...a) {
      if (toServer(this)) writes += 1;
      return write.apply(this, a);
    });
    if (writev !== undefined)
      vi.spyOn(Socket.prototype, '_writev').mockImplementation(function (this: Socket, ...a) {
        if (toServer(this)) writes += 1;
        return writev.apply(this, a);
      });
    const conn = new AgentConnection({
      url: `ws://127.0.0.1:${port}`,
      callId: 'call-1',
      agentId: 'agent-1',
      carrier: 'twilio',
      direction: 'inbound',
      listener: { onAgentEvent: () => undefined },
      reconnectDelayMs: 0,
    });
    cleanups.push(() => conn.close());
    expect(await conn.connect()).toBe(true);
    await until(2);
    const opening = writes;
    conn.sendTransferStatus({ transferId: 'call-1.t1', status: 'started' });
    conn.sendTransferStatus({ transferId: 'call-1.t1', status: 'dialing' });
    conn.sendTransferStatus({ transferId: 'call-1.t1', status: 'ringing' });
    await until(5);
    expect(frames).toEqual(['connected', 'start', 'transfer_status', 'transfer_status', 'transfer_status']);
    // The opening pair in one write (after the upgrade request), the three statuses in one more.
    expect(opening).toBe(1);
    expect(writes - opening).toBe(1);
  });
});
