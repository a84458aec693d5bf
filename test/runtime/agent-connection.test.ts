import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AgentEvent, AgentListener } from '../../src/agent/events.js';
import { AgentConnection, type AgentConnectionOptions } from '../../src/agent/websocket/agent-connection.js';
import { createLogger } from '../../src/log.js';
import { startEchoBot } from '../support/echo-bot.js';
import { eventually, settles } from '../support/eventually.js';

/** Collects listener events; `until` waits for a condition on them. */
class Events implements AgentListener {
  readonly list: AgentEvent[] = [];
  #waiters: (() => void)[] = [];
  onAgentEvent(event: AgentEvent): void {
    this.list.push(event);
    for (const w of this.#waiters.splice(0)) w();
  }
  types(): string[] {
    return this.list.map((e) => e.type);
  }
  /** Fails after 10 s naming `what` was awaited. */
  async until(predicate: (events: AgentEvent[]) => boolean, what = 'agent events'): Promise<void> {
    const met = async () => {
      while (!predicate(this.list)) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    };
    await settles(met(), what);
  }
}

interface Session {
  readonly socket: WebSocket;
  readonly frames: Record<string, unknown>[];
  closeCode?: number;
}

/** A bare agent server whose sockets the test drives by hand. */
async function startServer() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const sessions: Session[] = [];
  let notify: () => void = () => {};
  server.on('connection', (socket) => {
    const session: Session = { socket, frames: [] };
    sessions.push(session);
    socket.on('message', (data) => {
      session.frames.push(JSON.parse(data.toString()));
      notify();
    });
    socket.on('close', (code) => {
      session.closeCode = code;
      notify();
    });
    notify();
  });
  /** Fails after 10 s naming `what` was awaited. */
  const until = async (predicate: () => boolean, what = 'frames at the agent server') => {
    const met = async () => {
      while (!predicate()) await new Promise<void>((resolve) => (notify = resolve));
    };
    await settles(met(), what);
  };
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/agent`,
    sessions,
    until,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connection(
  url: string,
  events: AgentListener,
  extra: Partial<AgentConnectionOptions> = {},
): AgentConnection {
  const conn = new AgentConnection({
    url,
    callId: 'call-1',
    agentId: 'agent-1',
    carrier: 'twilio',
    direction: 'inbound',
    listener: events,
    reconnectDelayMs: 0,
    ...extra,
  });
  cleanups.push(() => conn.close());
  return conn;
}

async function server() {
  const s = await startServer();
  cleanups.push(s.close);
  return s;
}

describe('AgentConnection', () => {
  it('opens with connected then start, carrying the call parameters, headers and media format', async () => {
    const bot = await startEchoBot();
    cleanups.push(bot.close);
    const events = new Events();
    const conn = connection(bot.url, events, {
      headers: { authorization: 'Bearer t0k' },
      parameters: { tenant: 'acme', callId: 'spoofed' },
    });
    expect(await conn.connect()).toBe(true);
    await bot.until(() => (bot.sessions[0]?.received.length ?? 0) >= 2);
    const session = bot.sessions[0]!;
    expect(session.headers.authorization).toBe('Bearer t0k');
    expect(session.received.map((f) => f.event)).toEqual(['connected', 'start']);
    expect(session.received[0]).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = session.received[1] as { sequenceNumber: string; start: Record<string, unknown> };
    expect(start.sequenceNumber).toBe('1');
    expect(start.start.streamSid).toBe(conn.streamSid);
    expect(conn.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(start.start.customParameters).toEqual({
      tenant: 'acme',
      callId: 'call-1',
      agentId: 'agent-1',
      carrier: 'twilio',
      direction: 'inbound',
    });
    expect(start.start.mediaFormat).toEqual({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 });
    expect(events.list).toEqual([{ type: 'agent.connected', resumed: false }]);
  });

  it('forwards caller audio, DTMF and marks as numbered Twilio frames; the bot’s media reaches the sink', async () => {
    const bot = await startEchoBot({ burstFrames: 2 });
    cleanups.push(bot.close);
    const events = new Events();
    const conn = connection(bot.url, events);
    const heard: Buffer[] = [];
    const marks: string[] = [];
    conn.setMediaSink({
      onAgentAudio: (p) => heard.push(p),
      onAgentMark: (n) => marks.push(n),
      onAgentClear: () => {},
    });
    await conn.connect();
    conn.sendAudio(Buffer.from([1, 2, 3]));
    conn.sendDtmf('7');
    conn.sendAudio(Buffer.from([4, 5, 6]));
    await eventually(
      () => marks.length === 1 && heard.length === 2,
      'a mark and two audio frames from the agent',
    );
    const frames = bot.sessions[0]!.received;
    expect(frames.map((f) => f.event)).toEqual(['connected', 'start', 'media', 'dtmf', 'media']);
    expect(frames.slice(1).map((f) => f.sequenceNumber)).toEqual(['1', '2', '3', '4']);
    expect(
      frames.filter((f) => f.event === 'media').map((f) => (f.media as { chunk: string }).chunk),
    ).toEqual(['1', '2']);
    expect(frames[3]).toMatchObject({ dtmf: { track: 'inbound_track', digit: '7' } });
    expect(Buffer.concat(heard)).toEqual(Buffer.from([1, 2, 3, 4, 5, 6]));
    expect(marks).toEqual(['echo-1']);
  });

  it('a normal close by the agent is a hang-up, not a failure: no reconnect', async () => {
    const s = await server();
    const events = new Events();
    const conn = connection(s.url, events);
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    s.sessions[0]!.socket.close(1000, 'bye');
    await events.until((list) => list.some((e) => e.type === 'agent.hangup'));
    expect(events.list).toEqual([
      { type: 'agent.connected', resumed: false },
      { type: 'agent.hangup', via: 'close' },
    ]);
    expect(conn.state).toBe('closed');
    expect(s.sessions).toHaveLength(1);
  });

  it('a dropped socket is replaced once with resumed=true; a second drop reports agent.failed', async () => {
    const s = await server();
    const events = new Events();
    const conn = connection(s.url, events);
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    s.sessions[0]!.socket.terminate();
    await s.until(() => s.sessions[1]?.frames.length === 2);
    const second = s.sessions[1]!.frames;
    expect(second.map((f) => f.event)).toEqual(['connected', 'start']);
    expect(second[1]).toMatchObject({
      sequenceNumber: '1',
      start: { customParameters: { resumed: 'true', callId: 'call-1' } },
    });
    expect((second[1] as { streamSid: string }).streamSid).toBe(conn.streamSid);
    await events.until((list) => list.length >= 3);
    s.sessions[1]!.socket.terminate();
    await events.until((list) => list.some((e) => e.type === 'agent.failed'));
    expect(events.types()).toEqual([
      'agent.connected',
      'agent.reconnecting',
      'agent.connected',
      'agent.failed',
    ]);
    expect(events.list[1]).toEqual({ type: 'agent.reconnecting', cause: 'dropped' });
    expect(events.list[2]).toEqual({ type: 'agent.connected', resumed: true });
    const failed = events.list[3];
    expect(failed?.type === 'agent.failed' && failed.error.code).toBe('agent_failed');
    expect(conn.state).toBe('failed');
    expect(s.sessions).toHaveLength(2);
  });

  it('an agent that cannot be reached is tried twice, then agent.failed; connect() resolves false', async () => {
    const s = await startServer();
    const url = s.url;
    await s.close();
    const events = new Events();
    const conn = connection(url, events);
    expect(await conn.connect()).toBe(false);
    expect(events.types()).toEqual(['agent.reconnecting', 'agent.failed']);
    const failed = events.list[1];
    expect(failed?.type === 'agent.failed' && failed.error.cause).toBeInstanceOf(Error);
  });

  it('control events and caller audio sent while reconnecting arrive after the new start, in order', async () => {
    const s = await server();
    const events = new Events();
    const conn = connection(s.url, events, { reconnectDelayMs: 50 });
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    s.sessions[0]!.socket.terminate();
    await events.until((list) => list.some((e) => e.type === 'agent.reconnecting'));
    conn.sendResume('t1', 'busy');
    conn.sendAudio(Buffer.from([1]));
    conn.sendDtmf('5');
    conn.sendAudio(Buffer.from([2]));
    await s.until(() => s.sessions[1]?.frames.length === 6);
    expect(s.sessions[1]!.frames.map((f) => f.event)).toEqual([
      'connected',
      'start',
      'resume',
      'media',
      'dtmf',
      'media',
    ]);
    expect(s.sessions[1]!.frames[2]).toMatchObject({
      sequenceNumber: '2',
      transferId: 't1',
      outcome: 'busy',
    });
    const media = s.sessions[1]!.frames.filter((f) => f.event === 'media') as {
      media: { chunk: string; payload: string; timestamp: string };
    }[];
    expect(media.map((f) => [f.media.chunk, Buffer.from(f.media.payload, 'base64')[0]])).toEqual([
      ['1', 1],
      ['2', 2],
    ]);
    expect(Number(media[0]!.media.timestamp)).toBe(0);
    expect(conn.stats()).toMatchObject({ droppedFrames: 0, heldFrames: 2 });
  });

  it('caller audio sent before a slow agent accepts is held, bounded, and delivered from the first frame', async () => {
    // The agent answers the upgrade only when the test says so.
    let accept: () => void = () => {};
    const accepted = new Promise<void>((resolve) => {
      accept = resolve;
    });
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, done) => void accepted.then(() => done(true)),
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const client of server.clients) client.terminate();
          server.close(() => resolve());
        }),
    );
    const frames: Record<string, unknown>[] = [];
    server.on('connection', (socket) => socket.on('message', (d) => frames.push(JSON.parse(d.toString()))));
    const { port } = server.address() as AddressInfo;
    const held: number[] = [];
    const dropped: number[] = [];
    // 1 000 ms + 0 ms of μ-law: 8 000 bytes may wait, 50 frames of 160.
    const conn = connection(`ws://127.0.0.1:${port}/agent`, new Events(), {
      connectTimeoutMs: 1000,
      reconnectDelayMs: 0,
      onAudioHeld: (n) => held.push(n),
      onAudioDropped: (n) => dropped.push(n),
    });
    const opened = conn.connect();
    for (let i = 0; i < 52; i++) conn.sendAudio(Buffer.alloc(160, i));
    expect(conn.heldBytes).toBe(8000);
    expect(conn.stats()).toMatchObject({ heldFrames: 50, droppedFrames: 2 });
    expect(dropped).toEqual([1, 1]);
    accept();
    expect(await opened).toBe(true);
    conn.sendAudio(Buffer.alloc(160, 99));
    await eventually(
      () => frames.filter((f) => f.event === 'media').length === 51,
      '51 media frames at the agent',
    );
    const payloads = frames
      .filter((f) => f.event === 'media')
      .map((f) => Buffer.from((f.media as { payload: string }).payload, 'base64')[0]);
    expect(payloads).toEqual([...Array.from({ length: 50 }, (_, i) => i), 99]);
    expect(frames.slice(0, 2).map((f) => f.event)).toEqual(['connected', 'start']);
    expect(held).toEqual([50]);
    expect(conn.heldBytes).toBe(0);
  });

  it('answers a bad frame with an error event and changes nothing; unknown events are logged once', async () => {
    const s = await server();
    const events = new Events();
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'debug',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    const conn = connection(s.url, events, { log });
    const heard: Buffer[] = [];
    conn.setMediaSink({ onAgentAudio: (p) => heard.push(p), onAgentMark: () => {}, onAgentClear: () => {} });
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    const socket = s.sessions[0]!.socket;
    socket.send('{"event":');
    socket.send(JSON.stringify({ event: 'transfer', rule: 'a', skill: 'b' }));
    socket.send(JSON.stringify({ event: 'media', media: { payload: 7 } }));
    socket.send(Buffer.from([1, 2, 3]), { binary: true });
    socket.send(JSON.stringify({ event: 'brand_new_thing' }));
    socket.send(JSON.stringify({ event: 'brand_new_thing' }));
    socket.send(JSON.stringify({ event: 'media', media: { payload: Buffer.from([9]).toString('base64') } }));
    await s.until(() => s.sessions[0]!.frames.length === 6);
    await eventually(() => heard.length === 1, 'one audio frame from the agent');
    const errors = s.sessions[0]!.frames.slice(2);
    expect(errors.map((f) => [f.event, f.code])).toEqual([
      ['error', 'invalid_json'],
      ['error', 'invalid_frame'],
      ['error', 'invalid_frame'],
      ['error', 'invalid_frame'],
    ]);
    expect(events.types()).toEqual(['agent.connected']);
    expect(heard).toEqual([Buffer.from([9])]);
    expect(conn.state).toBe('open');
    expect(conn.stats().badFrames).toBe(4);
    expect(lines.filter((l) => l.msg === 'agent.unknown_event')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'agent.bad_frame').map((l) => l.code)).toHaveLength(4);
  });

  it('a listener that throws does not break the connection', async () => {
    const s = await server();
    const seen: string[] = [];
    const conn = connection(s.url, {
      onAgentEvent: (e) => {
        seen.push(e.type);
        if (e.type === 'agent.text') throw new Error('listener bug');
      },
    });
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    s.sessions[0]!.socket.send(JSON.stringify({ event: 'text', text: 'a' }));
    s.sessions[0]!.socket.send(JSON.stringify({ event: 'summary', text: 'b' }));
    await eventually(() => seen.length === 3, 'three events from the agent');
    expect(seen).toEqual(['agent.connected', 'agent.text', 'agent.summary']);
    expect(conn.state).toBe('open');
  });

  it('turns extension events into typed listener events', async () => {
    const s = await server();
    const events = new Events();
    const conn = connection(s.url, events);
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    const socket = s.sessions[0]!.socket;
    const frames = [
      { event: 'text', text: 'Let me put you through [TRANS' },
      { event: 'text', text: 'FER:+14155550111]', final: true },
      { event: 'transfer', rule: 'billing', reason: 'refund', mode: 'warm' },
      {
        event: 'tool_call',
        id: 'call_1',
        name: 'transfer_call',
        arguments: '{"destination":"+14155550111"}',
      },
      { event: 'summary', text: 'Refund for order 42.', transferId: 't1' },
      { event: 'hangup', reason: 'done' },
    ];
    for (const frame of frames) socket.send(JSON.stringify(frame));
    await events.until((list) => list.length === 7);
    expect(events.list.slice(1)).toEqual([
      { type: 'agent.text', text: 'Let me put you through [TRANS', final: false },
      { type: 'agent.text', text: 'FER:+14155550111]', final: true },
      { type: 'agent.transfer', rule: 'billing', reason: 'refund', mode: 'warm' },
      { type: 'agent.tool_call', id: 'call_1', name: 'transfer_call', args: { destination: '+14155550111' } },
      { type: 'agent.summary', text: 'Refund for order 42.', transferId: 't1' },
      { type: 'agent.hangup', via: 'event', reason: 'done' },
    ]);
    // A hangup event leaves closing to the runtime.
    expect(conn.state).toBe('open');
  });

  it('transfer_status only moves forward: a status behind the last one sent is dropped; refusals always go', async () => {
    const s = await server();
    const conn = connection(s.url, new Events());
    await conn.connect();
    conn.sendTransferStatus({ transferId: 't1', status: 'started' });
    conn.sendTransferStatus({ transferId: 't1', status: 'ringing', legId: 't1:0' });
    conn.sendTransferStatus({ transferId: 't1', status: 'dialing', legId: 't1:0' });
    conn.sendTransferStatus({ transferId: 't1', status: 'dialing', legId: 't1:1' });
    conn.sendTransferStatus({ transferId: 't1', status: 'failed', legId: 't1:1', outcome: 'busy' });
    conn.sendTransferStatus({ transferId: 't1', status: 'ringing', legId: 't1:1' });
    conn.sendTransferStatus({ transferId: 'c.refused', status: 'failed', ordered: false });
    conn.sendTransferStatus({ transferId: 'c.refused', status: 'failed', ordered: false });
    conn.sendMark('end');
    await s.until(() => s.sessions[0]?.frames.some((f) => f.event === 'mark') === true);
    const statuses = s.sessions[0]!.frames.filter((f) => f.event === 'transfer_status');
    expect(statuses.map((f) => `${f.transferId} ${f.status}`)).toEqual([
      't1 started',
      't1 ringing',
      't1 dialing',
      't1 failed',
      'c.refused failed',
      'c.refused failed',
    ]);
    expect(statuses.every((f) => !('legId' in f) && !('ordered' in f))).toBe(true);
  });

  it('sends transfer_status with the destination redacted, and tool results', async () => {
    const s = await server();
    const conn = connection(s.url, new Events());
    await conn.connect();
    conn.sendTransferStatus({ transferId: 't1', status: 'dialing', destination: '+14155550111' });
    conn.sendSummaryRequest('t1', 3000);
    conn.sendToolResult('call_1', {
      ok: false,
      error: { code: 'destination_not_allowed', message: 'not configured' },
    });
    await s.until(() => s.sessions[0]?.frames.length === 5);
    const [status, summary, tool] = s.sessions[0]!.frames.slice(2);
    expect(status).toMatchObject({
      event: 'transfer_status',
      transferId: 't1',
      status: 'dialing',
      destination: '+*******0111',
    });
    expect(JSON.stringify(status)).not.toContain('4155550111');
    expect(summary).toMatchObject({ event: 'summary_request', transferId: 't1', timeoutMs: 3000 });
    expect(tool).toMatchObject({
      event: 'tool_result',
      id: 'call_1',
      ok: false,
      error: { code: 'destination_not_allowed' },
    });
  });

  it('echoes a mark at once when no bridge is attached (nothing is playing)', async () => {
    const s = await server();
    const conn = connection(s.url, new Events());
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    s.sessions[0]!.socket.send(JSON.stringify({ event: 'mark', mark: { name: 'm1' } }));
    await s.until(() => s.sessions[0]?.frames.length === 3);
    expect(s.sessions[0]!.frames[2]).toMatchObject({ event: 'mark', mark: { name: 'm1' } });
  });

  it('close(reason) sends stop, then closes normally; it is idempotent', async () => {
    const s = await server();
    const events = new Events();
    const conn = connection(s.url, events);
    await conn.connect();
    await Promise.all([conn.close('transferred'), conn.close()]);
    await s.until(() => s.sessions[0]?.closeCode !== undefined);
    const frames = s.sessions[0]!.frames;
    expect(frames.map((f) => f.event)).toEqual(['connected', 'start', 'stop']);
    expect(frames[2]).toMatchObject({
      sequenceNumber: '2',
      stop: { callSid: 'call-1', reason: 'transferred' },
    });
    expect(s.sessions[0]!.closeCode).toBe(1000);
    expect(conn.state).toBe('closed');
    expect(events.types()).toEqual(['agent.connected']);
    conn.sendAudio(Buffer.from([1]));
    expect(conn.stats().droppedFrames).toBe(1);
  });

  it('speaks PCM16 when asked: start announces audio/x-l16 at the rate', async () => {
    const s = await server();
    const conn = connection(s.url, new Events(), { format: { encoding: 'pcm16', sampleRate: 16000 } });
    await conn.connect();
    await s.until(() => s.sessions[0]?.frames.length === 2);
    expect(s.sessions[0]!.frames[1]).toMatchObject({
      start: { mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 } },
    });
  });
});
