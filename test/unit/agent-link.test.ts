import { describe, expect, it } from 'vitest';
import { AgentLink } from '../../src/agent/agent-link.js';
import type { DaemonControl } from '../../src/agent/control-events.js';
import type { AgentEvent } from '../../src/agent/events.js';
import type { AgentCloseReason, AgentWire, AgentWireEvents } from '../../src/agent/transport.js';
import { DaemonError } from '../../src/domain/errors.js';
import { MULAW_8K } from '../../src/domain/media.js';
import { type Base64Payload, base64Text } from '../../src/lib/base64-payload.js';

/**
 * The contract every agent transport gets from the shared link, over a fake wire driven by hand
 * (no kind of its own): what is sent before the agent is reachable is held in order and bounded;
 * the wire's lifecycle becomes the runtime's events.
 */
type Sent =
  | { readonly kind: 'audio'; readonly byte: number; readonly atMs: number }
  | { readonly kind: 'audio64'; readonly text: string; readonly atMs: number }
  | { readonly kind: 'dtmf'; readonly digit: string }
  | { readonly kind: 'mark'; readonly name: string }
  | { readonly kind: 'control'; readonly message: DaemonControl };

class HandWire implements AgentWire {
  readonly format = MULAW_8K;
  readonly sent: Sent[] = [];
  events: AgentWireEvents | undefined;
  open_ = false;
  /** Accept this many more frames, then refuse (the link went away under us). */
  budget = Number.POSITIVE_INFINITY;
  closedWith: AgentCloseReason | undefined;

  constructor(readonly holdMs: number) {}

  open(events: AgentWireEvents): void {
    this.events = events;
  }
  #take(item: Sent): boolean {
    if (!this.open_ || this.budget <= 0) return false;
    this.budget -= 1;
    this.sent.push(item);
    return true;
  }
  sendAudio(payload: Buffer, capturedAtMs: number): boolean {
    return this.#take({ kind: 'audio', byte: payload[0] ?? -1, atMs: capturedAtMs });
  }
  sendDtmf(digit: string): boolean {
    return this.#take({ kind: 'dtmf', digit });
  }
  sendMark(name: string): boolean {
    return this.#take({ kind: 'mark', name });
  }
  sendControl(message: DaemonControl): boolean {
    return this.#take({ kind: 'control', message });
  }
  /** Bytes unsent in the socket, for the straight path's check. */
  backlog = 0;
  trySendAudioBase64(payload: Base64Payload, capturedAtMs: number, underBytes: number): boolean {
    if (this.backlog >= underBytes) return false;
    return this.#take({ kind: 'audio64', text: base64Text(payload), atMs: capturedAtMs });
  }
  backlogBytes(): number {
    return this.backlog;
  }
  async close(reason: AgentCloseReason): Promise<void> {
    this.closedWith = reason;
    this.open_ = false;
  }
  accept(resumed = false): void {
    this.open_ = true;
    this.events?.opened(resumed);
  }
}

function setup(holdMs = 1000) {
  let now = 0;
  const wire = new HandWire(holdMs);
  const events: AgentEvent[] = [];
  const held: number[] = [];
  const dropped: number[] = [];
  const link = new AgentLink(wire, {
    listener: { onAgentEvent: (e) => events.push(e) },
    clock: { nowMs: () => now },
    onAudioHeld: (n) => held.push(n),
    onAudioDropped: (n) => dropped.push(n),
  });
  return {
    wire,
    link,
    events,
    held,
    dropped,
    tick: (ms: number) => {
      now += ms;
    },
  };
}

/** A link that was open and whose wire just dropped: reconnecting. */
function reconnectingLink() {
  const s = setup();
  void s.link.connect();
  s.wire.accept();
  s.wire.events?.lost('dropped');
  return s;
}

const frame = (byte: number) => Buffer.alloc(160, byte);

describe('AgentLink over any wire', () => {
  it('holds audio, DTMF and control sent before the agent is reachable, and delivers them in order with their capture times', async () => {
    const { wire, link, events, held, tick } = setup();
    const opened = link.connect();
    link.sendAudio(frame(1));
    tick(20);
    link.sendResume('t1', 'busy');
    link.sendDtmf('5');
    link.sendAudio(frame(2));
    expect(wire.sent).toEqual([]);
    tick(500);
    wire.accept();
    expect(await opened).toBe(true);
    link.sendAudio(frame(3));
    expect(wire.sent.map((s) => s.kind)).toEqual(['audio', 'control', 'dtmf', 'audio', 'audio']);
    expect(wire.sent[1]).toEqual({
      kind: 'control',
      message: { event: 'resume', transferId: 't1', outcome: 'busy' },
    });
    expect(wire.sent.filter((s) => s.kind === 'audio').map((s) => s.atMs)).toEqual([0, 20, 520]);
    expect(held).toEqual([2]);
    expect(events).toEqual([{ type: 'agent.connected', resumed: false }]);
    expect(link.stats()).toEqual({ heldFrames: 2, droppedFrames: 0 });
  });

  it('sends base64 audio straight only while open, nothing held and the wire under the given bytes; otherwise nothing is sent or held', () => {
    const { wire, link, tick } = setup();
    void link.connect();
    // Not reachable yet: refused, and not held either (the bridge keeps it in its own queue).
    expect(link.trySendAudioBase64('AAAA', 100)).toBe(false);
    expect(link.heldBytes).toBe(0);
    // Audio held before the open goes out at the open, ahead of anything sent straight.
    link.sendAudio(frame(1));
    tick(20);
    wire.accept();
    expect(link.trySendAudioBase64('BBBB', 100)).toBe(true);
    wire.backlog = 100;
    expect(link.trySendAudioBase64('CCCC', 100)).toBe(false);
    expect(link.heldBytes).toBe(0);
    expect(wire.sent).toEqual([
      { kind: 'audio', byte: 1, atMs: 0 },
      { kind: 'audio64', text: 'BBBB', atMs: 20 },
    ]);
  });

  it('keeps held audio within holdMs worth of the agent format; the rest is dropped and counted', () => {
    const { link, dropped } = setup(100); // 100 ms of μ-law: 800 bytes, five 160-byte frames
    void link.connect();
    for (let i = 0; i < 7; i++) link.sendAudio(frame(i));
    expect(link.heldBytes).toBe(800);
    expect(dropped).toEqual([1, 1]);
    expect(link.stats()).toEqual({ heldFrames: 5, droppedFrames: 2 });
  });

  it('a wire that goes away while the held frames are flushed keeps the rest, in order, for its next open', () => {
    const { wire, link, events } = setup();
    void link.connect();
    for (let i = 1; i <= 4; i++) link.sendAudio(frame(i));
    wire.budget = 2;
    wire.accept();
    link.sendAudio(frame(5));
    wire.events?.lost('dropped');
    wire.budget = Number.POSITIVE_INFINITY;
    wire.accept(true);
    expect(wire.sent.map((s) => (s.kind === 'audio' ? s.byte : s.kind))).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.type)).toEqual(['agent.connected', 'agent.reconnecting', 'agent.connected']);
    expect(events[1]).toEqual({ type: 'agent.reconnecting', cause: 'dropped' });
  });

  it('closed while reconnecting with a status held: the reconnect delivers it, then the close; without one, closed at once', async () => {
    const a = reconnectingLink();
    a.link.sendTransferStatus({ transferId: 't1', status: 'failed' });
    const closed = a.link.close('call ended');
    expect(a.wire.closedWith).toBeUndefined();
    a.wire.accept(true);
    await closed;
    expect(a.wire.sent).toEqual([
      { kind: 'control', message: { event: 'transfer_status', transferId: 't1', status: 'failed' } },
    ]);
    expect(a.wire.closedWith).toBe('call ended');
    expect(a.link.state).toBe('closed');
    // Told, then closed: the runtime hears no reconnect it would act on.
    expect(a.events.map((e) => e.type)).toEqual(['agent.connected', 'agent.reconnecting']);

    const b = reconnectingLink();
    await b.link.close('call ended');
    expect(b.wire.closedWith).toBe('call ended');

    // A reconnect that fails ends the link as it would have: the status is lost with it.
    const c = reconnectingLink();
    c.link.sendTransferStatus({ transferId: 't1', status: 'failed' });
    const gone = c.link.close('call ended');
    c.wire.events?.ended({ type: 'failed', error: new DaemonError('agent_failed', 'gone') });
    await gone;
    expect(c.link.state).toBe('failed');
    expect(c.wire.sent).toEqual([]);
  });

  it('an agent that leaves normally hung up; one that fails for good is agent.failed and what was held is dropped', async () => {
    const a = setup();
    void a.link.connect();
    a.wire.accept();
    a.wire.events?.ended({ type: 'hangup' });
    expect(a.events.at(-1)).toEqual({ type: 'agent.hangup', via: 'close' });
    expect(a.link.state).toBe('closed');

    const b = setup();
    const opened = b.link.connect();
    b.link.sendAudio(frame(1));
    b.link.sendDtmf('1');
    b.wire.events?.ended({ type: 'failed', error: new DaemonError('agent_failed', 'gone') });
    expect(await opened).toBe(false);
    expect(b.events.map((e) => e.type)).toEqual(['agent.failed']);
    expect(b.dropped).toEqual([2]);
    expect(b.link.state).toBe('failed');
  });

  it('transfer_status goes forward only and redacted; a mark with no bridge is echoed; a throwing listener is contained', async () => {
    const wire = new HandWire(1000);
    const seen: string[] = [];
    const link = new AgentLink(wire, {
      listener: {
        onAgentEvent: (e) => {
          seen.push(e.type);
          throw new Error('listener bug');
        },
      },
    });
    void link.connect();
    wire.accept();
    link.sendTransferStatus({
      transferId: 't',
      status: 'ringing',
      legId: 't:0',
      destination: '+14155550111',
    });
    link.sendTransferStatus({ transferId: 't', status: 'dialing', legId: 't:0' });
    wire.events?.mark('m1');
    wire.events?.control({ type: 'agent.text', text: 'hi', final: false });
    expect(wire.sent).toEqual([
      {
        kind: 'control',
        message: {
          event: 'transfer_status',
          transferId: 't',
          status: 'ringing',
          destination: '+*******0111',
        },
      },
      { kind: 'mark', name: 'm1' },
    ]);
    expect(seen).toEqual(['agent.connected', 'agent.text']);
    await link.close('transferred');
    expect(wire.closedWith).toBe('transferred');
    expect(link.state).toBe('closed');
  });
});
