import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonControl } from '../../src/agent/control-events.js';
import type { AgentControlEvent } from '../../src/agent/events.js';
import type {
  AgentCloseReason,
  AgentTransportKind,
  AgentWire,
  AgentWireContext,
  AgentWireEvents,
} from '../../src/agent/transport.js';
import { registerAgentTransport } from '../../src/agent/transports.js';
import { MULAW_8K } from '../../src/domain/media.js';
import { expectEchoedExactly, noise, useE2e } from './fixture.js';
import type { Harness } from './harness.js';

/**
 * The agent transport seam: a kind registered from here — not listed in src/agent/transports.ts —
 * carries a real call through media sessions, the bridge and the executor. The fake is as small
 * as a transport can be: it opens when the test says, echoes the caller's audio back, records
 * the control messages it is sent, and raises control events on demand. Holding caller audio
 * until the agent is reachable is not the fake's doing: it is the shared link's.
 */
class FakeWire implements AgentWire {
  readonly format = MULAW_8K;
  readonly holdMs = 5000;
  readonly received: Buffer[] = [];
  readonly controls: DaemonControl[] = [];
  closedWith: AgentCloseReason | undefined;
  #events: AgentWireEvents | undefined;
  #open = false;

  constructor(readonly context: AgentWireContext) {}

  get started(): boolean {
    return this.#events !== undefined;
  }

  open(events: AgentWireEvents): void {
    this.#events = events;
  }

  /** The agent becomes reachable. */
  accept(): void {
    this.#open = true;
    this.#events?.opened(false);
  }

  /** The agent asks for something. */
  raise(event: AgentControlEvent): void {
    this.#events?.control(event);
  }

  sendAudio(payload: Buffer): boolean {
    if (!this.#open) return false;
    this.received.push(payload);
    this.#events?.audio(payload);
    return true;
  }

  sendDtmf(): boolean {
    return this.#open;
  }

  sendMark(): boolean {
    return this.#open;
  }

  sendControl(message: DaemonControl): boolean {
    if (!this.#open) return false;
    this.controls.push(message);
    return true;
  }

  backlogBytes(): number {
    return 0;
  }

  async close(reason: AgentCloseReason): Promise<void> {
    this.#open = false;
    this.closedWith = reason;
  }
}

const wires: FakeWire[] = [];
const fakeKind: AgentTransportKind = {
  kind: 'fake',
  urlSchemes: ['fake:'],
  urlDescription: 'fake',
  createWire: (context) => {
    const wire = new FakeWire(context);
    wires.push(wire);
    return wire;
  },
};

let unregister: () => void = () => {};
beforeAll(() => {
  unregister = registerAgentTransport(fakeKind);
});
afterAll(() => unregister());

const viaFake = (agent: Record<string, unknown>) => ({
  ...agent,
  agent: { ...(agent['agent'] as object), transport: 'fake', url: 'fake://front-desk' },
});

function sessionOf(h: Harness) {
  const id = h.app.sessions.ids()[0];
  return id === undefined ? undefined : h.app.sessions.get(id);
}

describe('agent transport seam: a fake transport registered from a test', () => {
  const e2e = useE2e('twilio');

  it('carries the call both ways: caller audio held until the agent is reachable, then every frame from the first; the agent heard by the caller', async () => {
    wires.length = 0;
    const h = await e2e.run({ agentUrl: 'fake://front-desk', agent: viaFake });
    const said = noise(8000 * 20);
    const call = await e2e.placeCall(h, { audio: { type: 'mulaw', data: said } });
    const wire = await h.sim.waitFor(() => wires[0]);
    expect(wire.context).toMatchObject({ callId: call.sid, carrier: 'twilio', direction: 'inbound' });
    expect(wire.context.endpoint).toMatchObject({ transport: 'fake', url: 'fake://front-desk' });
    // Half a second of the caller waits for the agent.
    await h.sim.waitFor(() => (sessionOf(h)?.agent.stats().heldFrames ?? 0) >= 25);
    expect(wire.received).toHaveLength(0);
    wire.accept();
    await h.sim.waitFor(() => Buffer.concat(wire.received).length >= 16_000);
    const first = h.sim.twilio.streamsOf(call.sid)[0]?.stats.firstInboundFrame;
    expect(first).toBeDefined();
    const got = Buffer.concat(wire.received);
    expect(got.subarray(0, first?.length).equals(first as Buffer)).toBe(true);
    const at = Buffer.from(said).indexOf(got.subarray(0, 320));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(got.equals(Buffer.from(said.subarray(at, at + got.length)))).toBe(true);
    expect(sessionOf(h)?.agent.stats().droppedFrames).toBe(0);
    await h.sim.waitFor(() => call.heard.audio('stream:').length >= 8000);
    expectEchoedExactly(call, said);
    call.hangup();
    await h.sim.waitFor(() => wire.closedWith);
    expect(wire.closedWith).toBe('call ended');
  });

  it('control events from the agent start a transfer, answered by request id; its statuses come back in order, destination redacted', async () => {
    wires.length = 0;
    const h = await e2e.run({ agentUrl: 'fake://front-desk', agent: viaFake });
    const call = await e2e.placeCall(h);
    const wire = await h.sim.waitFor(() => wires[0]);
    wire.accept();
    // As a transport whose requests expect an answer (an RPC) raises it: the answer comes back by id.
    wire.raise({ type: 'agent.transfer', rule: 'Billing', reason: 'invoice question', requestId: 'rpc-1' });
    await h.sim.waitFor(() =>
      wire.controls.some((c) => c.event === 'transfer_status' && c.status === 'dialing'),
    );
    const statuses = wire.controls.filter((c) => c.event === 'transfer_status');
    expect(statuses.map((c) => c.status).slice(0, 2)).toEqual(['started', 'dialing']);
    const dialing = statuses.find((c) => c.status === 'dialing');
    expect(dialing?.destination).toBe('+*******0111');
    expect(JSON.stringify(wire.controls)).not.toContain('4155550111');
    const answer = wire.controls.find((c) => c.event === 'tool_result');
    expect(answer).toEqual({
      event: 'tool_result',
      id: 'rpc-1',
      ok: true,
      result: { transferId: expect.any(String) },
    });
    call.hangup();
  });
});

describe('agent transport seam: a kind this worker does not have', () => {
  const e2e = useE2e('twilio');

  it('a stored configuration naming a transport no longer registered: each stream is refused, no session, the daemon keeps answering', async () => {
    const undo = registerAgentTransport({ ...fakeKind, kind: 'vanishing' });
    const h = await e2e.run({
      agentUrl: 'fake://front-desk',
      agent: (agent) => ({
        ...agent,
        agent: { ...(agent['agent'] as object), transport: 'vanishing', url: 'fake://front-desk' },
      }),
    });
    undo();
    const call = await e2e.placeCall(h);
    // The refused stream ends; the document's continuation asks again and gets a new one.
    await h.sim.waitFor(() => h.sim.twilio.streamsOf(call.sid).length >= 2);
    expect(h.app.sessions.size).toBe(0);
    call.hangup();
  });
});

describe('agent transport seam: configuration', () => {
  it('a kind not registered is refused in agent.transport', async () => {
    const { parseAgentsConfig } = await import('../../src/config/agents.js');
    const { demoAgentsInput } = await import('../../src/config/demo-agents.js');
    const input = demoAgentsInput('fake://x');
    const agent = input.agents[0] as unknown as Record<string, unknown>;
    const parse = (transport: string, url: string) => () =>
      parseAgentsConfig(
        { ...input, agents: [{ ...agent, agent: { transport, url } }] },
        { defaultRegion: 'US' },
      );
    expect(parse('fake', 'fake://x')).not.toThrow();
    expect(parse('fake', 'wss://x.example')).toThrow(/agent\.url.*fake URL/s);
    expect(parse('carrier-pigeon', 'fake://x')).toThrow(/agent\.transport.*websocket, livekit, fake/s);
  });
});
