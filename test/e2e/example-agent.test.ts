import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type ExampleAgent,
  MENU,
  SUPPORT_WHISPER,
  startExampleAgent,
} from '../../examples/ivr-agent/agent.js';
import type { SimCall } from '../../sim/endpoints/caller.js';
import { eventually } from '../support/eventually.js';
import { type E2eCarrier, useE2e } from './fixture.js';
import { type Harness, sourcesHeard, until, waitForRecord } from './harness.js';

/**
 * The example agent (examples/ivr-agent/agent.ts, `npx patchthrough example-agent`) behind the
 * daemon, with its own agents file (examples/ivr-agent/agents.yaml) and the carrier simulator:
 * each menu digit gives what the menu promises, judged from what each party heard. The calls run
 * on virtual time (the prompts, rings and whispers cost no wall time); the command, a process of
 * its own, on real time and Redis.
 */

const AGENTS_FILE = new URL('../../examples/ivr-agent/agents.yaml', import.meta.url);
const PROMPTS = new URL('../../examples/ivr-agent/prompts/', import.meta.url);
const promptBytes = (name: string): number => readFileSync(new URL(`${name}.ulaw`, PROMPTS)).length;
const [SALES, SUPPORT, AFTER_HOURS] = ['+14155550111', '+14155550112', '+14155550113'] as const;

/** The agents file's agent, as written, pointed at this test's copy of the example agent. */
function fileAgent(url: string): (harnessAgent: Record<string, unknown>) => Record<string, unknown> {
  const file = parse(readFileSync(AGENTS_FILE, 'utf8')) as { agents: Record<string, unknown>[] };
  return (harnessAgent) => ({ ...file.agents[0], carrier: harnessAgent['carrier'], agent: { url } });
}

function suite(carrier: E2eCarrier) {
  const e2e = useE2e(carrier, { virtualTime: true });
  let agent: ExampleAgent;
  const agentLog: string[] = [];
  beforeEach(async () => {
    agentLog.length = 0;
    agent = await startExampleAgent({ port: 0, log: (line) => agentLog.push(line) });
  });
  afterEach(async () => {
    await agent.close();
  });

  /** Calls the menu and waits until the caller has heard all of it. */
  async function callMenu(agentInput = fileAgent): Promise<{ h: Harness; call: SimCall }> {
    const h = await e2e.run({ agentUrl: agent.url, agent: agentInput(agent.url) });
    h.sim.network.addHuman(SALES, { type: 'answer', afterMs: 400, speak: { type: 'tone', hz: 660 } });
    h.sim.network.addHuman(SUPPORT, { type: 'answer', afterMs: 400, speak: { type: 'tone', hz: 550 } });
    h.sim.network.addHuman(AFTER_HOURS, { type: 'busy', afterMs: 300 });
    const call = await e2e.placeCall(h, { audio: { type: 'silence' } });
    await until(
      h,
      () => call.heard.bytes('stream:') >= promptBytes('menu'),
      () => `the caller to hear the menu (${call.heard.bytes('stream:')} bytes so far)`,
    );
    return { h, call };
  }

  return { callMenu, agentLog };
}

describe('the example agent on Twilio', () => {
  const { callMenu, agentLog } = suite('twilio');

  it('1: a cold transfer to sales; the caller talks with sales, the agent steps out', async () => {
    const { h, call } = await callMenu();
    await call.pressDigits('1');
    const sales = h.sim.network.endpoint(SALES);
    await h.sim.waitFor(() => sales.heard.from('party:').length > 0 && call.heard.first('party:'), 10_000);
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.transfers).toMatchObject([{ mode: 'cold', outcome: 'connected' }]);
    expect(ended.endedReason).toBe('transferred');
    // Menu and handoff sentence from the agent, ringback, then the person.
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'ringback', 'party:']);
    expect(call.heard.bytes('stream:')).toBeGreaterThanOrEqual(promptBytes('menu') + promptBytes('sales'));
    expect(sourcesHeard(sales.heard.segments)).toEqual(['party:']);
  });

  it('2: a warm transfer to support; support hears the whisper first, then the caller', async () => {
    const { h, call } = await callMenu();
    await call.pressDigits('2');
    const support = h.sim.network.endpoint(SUPPORT);
    await h.sim.waitFor(() => call.heard.first('party:'), 15_000);
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.transfers).toMatchObject([{ mode: 'warm', outcome: 'connected' }]);
    const whisper = support.heard.first('say');
    expect(whisper?.text).toBe(SUPPORT_WHISPER);
    expect(whisper!.startMs).toBeLessThan(support.heard.first('party:')!.startMs);
    // The caller waited on hold, never heard the whisper.
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    expect(call.heard.from('say')).toEqual([]);
  });

  it('4: support briefed by the agent itself; the person presses 1 after the briefing, then talks with the caller', async () => {
    const { h, call } = await callMenu();
    await call.pressDigits('4');
    const support = h.sim.network.endpoint(SUPPORT);
    // The person hears the agent's briefing (its own audio, on the briefing socket), then takes the call.
    await eventually(
      () => support.heard.bytes('stream:') >= promptBytes('briefing'),
      () => `support to hear the briefing (${support.heard.bytes('stream:')} bytes so far)`,
    );
    await support.pressDigits('1');
    await h.sim.waitFor(() => call.heard.first('party:') && support.heard.first('party:'), 15_000);
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.transfers).toMatchObject([{ mode: 'agentic', outcome: 'connected' }]);
    expect(agentLog.some((line) => line.includes('briefing the person answering (Support)'))).toBe(true);
    expect(sourcesHeard(support.heard.segments)).toEqual(['stream:', 'party:']);
    expect(support.heard.from('say')).toEqual([]);
    // The caller heard the menu and the handoff sentence, then hold, then the person: never the
    // briefing, byte for byte (μ-law passes through untouched, so the person's copy is found).
    expect(sourcesHeard(call.heard.segments)).toEqual(['stream:', 'hold', 'party:']);
    // Across its first two notes (988 → 784 Hz), a run no other prompt has.
    const briefing = readFileSync(new URL('briefing.ulaw', PROMPTS)).subarray(1440, 1760);
    expect(Buffer.from(support.heard.audio('stream:')).indexOf(briefing)).toBeGreaterThanOrEqual(0);
    expect(Buffer.from(call.heard.audio('stream:')).indexOf(briefing)).toBe(-1);
  });

  it('3: the after-hours line is busy; the caller is back with the agent and hears it again', async () => {
    const { h, call } = await callMenu();
    await call.pressDigits('3');
    const failed = await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome !== undefined);
    expect(failed.transfers).toMatchObject([{ mode: 'cold', outcome: 'busy' }]);
    const endedAtMs = call.heard.last('ringback')?.endMs ?? 0;
    // After the failed transfer: the "sorry" prompt and the menu again, from the same agent.
    await until(
      h,
      () =>
        call.heard
          .from('stream:')
          .filter((s) => s.startMs >= endedAtMs)
          .reduce((n, s) => n + s.bytes, 0) >=
        promptBytes('sorry') + promptBytes('menu'),
      'the caller to hear the agent again after the busy line',
    );
    expect(agentLog.some((l) => l.includes('back from the transfer (busy)'))).toBe(true);
    expect(h.sim.network.endpoint(AFTER_HOURS).heard.segments).toEqual([]);
    const live = await h.app.engine.get(call.sid);
    expect(live?.phase).not.toBe('ended');
    call.hangup();
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('caller_hangup');
  });

  it('3 with an agents file that lacks the rule: the daemon refuses, the agent plays the menu again', async () => {
    const withoutRule = (url: string) => (harnessAgent: Record<string, unknown>) => {
      const agent = fileAgent(url)(harnessAgent) as { handoffConfig: { transferRules: { label: string }[] } };
      const rules = agent.handoffConfig.transferRules.filter((r) => r.label !== MENU['3'].rule);
      return { ...agent, handoffConfig: { ...agent.handoffConfig, transferRules: rules } };
    };
    const { h, call } = await callMenu(withoutRule);
    const before = call.heard.bytes('stream:');
    await call.pressDigits('3');
    const refused = await waitForRecord(h, call.sid, (r) => r.refusals.length > 0);
    expect(refused.refusals).toMatchObject([{ refusal: 'invalid_destination' }]);
    expect(refused.transfers).toEqual([]);
    await until(
      h,
      () => agentLog.some((l) => l.includes('back from the transfer (refused)')),
      () => `the agent to take the refusal; its log: ${agentLog.join(' | ')}`,
    );
    await until(
      h,
      () => call.heard.bytes('stream:') >= before + promptBytes('sorry') + promptBytes('menu'),
      'the caller to hear the agent again',
    );
  });

  it('9: goodbye, then the agent ends the call', async () => {
    const { h, call } = await callMenu();
    await call.pressDigits('9');
    const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
    expect(ended.endedReason).toBe('agent_hangup');
    expect(ended.transfers).toEqual([]);
    expect(call.heard.bytes('stream:')).toBeGreaterThanOrEqual(promptBytes('menu') + promptBytes('goodbye'));
  });
});

describe('the example agent on the other carriers', () => {
  for (const carrier of ['plivo', 'exotel'] as const) {
    describe(carrier, () => {
      const { callMenu, agentLog } = suite(carrier);
      it(`2 and 3 on ${carrier}: support answers (warm where the carrier can), the busy line comes back`, async () => {
        const { h, call } = await callMenu();
        await call.pressDigits('3');
        await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome === 'busy');
        await until(
          h,
          () => agentLog.some((l) => l.includes('back from the transfer (busy)')),
          'the agent to get the caller back',
        );
        await call.pressDigits('2');
        await h.sim.waitFor(() => h.sim.network.endpoint(SUPPORT).heard.first('party:'), 15_000);
        // The caller talks with support a while (on Exotel the record says connected once the
        // carrier's whisper has had its time: the carrier reports nothing at the bridge).
        await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
        call.hangup();
        const ended = await waitForRecord(h, call.sid, (r) => r.phase === 'ended');
        expect(ended.transfers.map((t) => t.outcome)).toEqual(['busy', 'connected']);
        // Exotel cannot hold a caller in a conference: warm runs as cold there.
        expect(ended.transfers[1]?.mode).toBe(carrier === 'exotel' ? 'cold' : MENU['2'].mode);
        expect(ended.endedReason).toBe('transferred');
      });
    });
  }
});

describe('`npx patchthrough example-agent`, the command', () => {
  const e2e = useE2e('twilio');
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    child?.kill('SIGINT');
  });

  it('listens where it says, serves a call through the daemon, and stops on Ctrl-C', async () => {
    const bin = fileURLToPath(new URL('../../bin/patchthrough.js', import.meta.url));
    const proc = spawn(process.execPath, [bin, 'example-agent', '--port', '0'], { stdio: 'pipe' });
    child = proc;
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const url = await eventually(
      () => /listening on (ws:\/\/\S+)/.exec(out)?.[1],
      () => `the URL line; got ${out}`,
    );
    const h = await e2e.run({ agentUrl: url, agent: fileAgent(url) });
    h.sim.network.addHuman(SALES, { type: 'answer', afterMs: 300 });
    const call = await e2e.placeCall(h, { audio: { type: 'silence' } });
    await eventually(() => out.includes('call started'), 'the agent to print the call');
    await call.pressDigits('1');
    await waitForRecord(h, call.sid, (r) => r.transfers[0]?.outcome === 'connected');
    await eventually(() => out.includes('menu choice Sales; cold transfer'), 'the choice printed');
    call.hangup();
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    child = undefined;
  });
});
