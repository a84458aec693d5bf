/**
 * Runs scenarios through the end-to-end harness — real sockets, the carrier simulator, the
 * scripted agent, the daemon on the given store — many at once in one harness (one daemon, one
 * simulator, one agent; each scenario on its own numbers), then checks each call's invariants.
 */
import type { SimCall } from '../../sim/endpoints/caller.js';
import type { Simulator } from '../../sim/simulator.js';
import type { ScriptStart } from '../../src/agent/scripted-agent-server.js';
import { sleep, systemTime } from '../../src/lib/time.js';
import type { VirtualTime } from '../../src/lib/virtual-time.js';
import { CALLER, exotelNumber, type Harness, startHarness } from '../e2e/harness.js';
import { eventually } from '../support/eventually.js';
import { agentConfig, numbersOf, RULE, scriptFor } from './agents.js';
import { loudCaller, quietCaller } from './caller-audio.js';
import { collect, tapCaller } from './collect.js';
import { checkInvariants, type Violation } from './invariants.js';
import type { Observation } from './observation.js';
import { describeScenario, type Scenario } from './scenario.js';

/** How long a scenario may take to reach its moment (the longest: a chain, then 5 s of ringing and the backstop). */
const MOMENT_TIMEOUT_MS = 30_000;
/** Between two calls placed, so a batch does not arrive in one burst. */
const STAGGER_MS = 50;
const API_KEY = 'property-writer-key-0123456789';

export interface RunOptions {
  /** A private Redis for the daemon's store; the in-memory store without. */
  readonly redisUrl?: string;
  /**
   * Virtual time (src/lib/virtual-time.ts) shared by the daemon, the simulator and the agent:
   * rings, holds and whispers cost no wall time, and every wait is checked before time moves on.
   * Runs on the memory store (Redis keeps real time). Started here, stopped at the end.
   */
  readonly time?: VirtualTime;
  /**
   * Where a seeded adversary's plan (faults, orderings, delays of the carrier and the agent) is
   * applied to the simulator for one scenario, after its humans are in place and before its call
   * is placed, with the scenario's numbers (the call's own sids are not known yet). None: the
   * carriers behave as documented, no faults.
   */
  /** How long the agent takes to accept a scenario's socket (0 to its connect timeout), ms; default 0. */
  readonly agentAcceptDelayMs?: (scenario: Scenario) => number;
  /** The agent drops its first socket of the scenario's call this long after its `start` (undefined: never). */
  readonly agentDropAfterMs?: (scenario: Scenario) => number | undefined;
  /**
   * Installs the scenario's adversity; answers why the scenario's moment may never come under it
   * (REST errors a carrier may send that outlast the client's quick retries), or nothing.
   */
  readonly adversity?: (
    sim: Simulator,
    scenario: Scenario,
    numbers: { readonly inbound: string; readonly humans: readonly string[] },
  ) => string | undefined;
}

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly name: string;
  /** Why the scenario never reached the moment it is about (e.g. the caller never heard the human); absent when it did. */
  readonly missed?: string;
  /**
   * A moment not reached that the adversity allows for (it said so when installed): not a
   * failure; the invariants still judge everything that happened.
   */
  readonly excused?: string;
  readonly observation: Observation;
  readonly violations: readonly Violation[];
}

export async function runScenarios(
  scenarios: readonly Scenario[],
  options: RunOptions = {},
): Promise<ScenarioResult[]> {
  const byCall = new Map<string, number>();
  const h = await startHarness({
    agents: (url) => scenarios.map((s, k) => agentConfig(k, s, url)),
    numbers: scenarios.map((s, k) => ({ carrier: s.carrier, number: numbersOf(k, s).inbound })),
    script: (start) => {
      const k = byCall.get(start.callId ?? '');
      const s = k === undefined ? undefined : scenarios[k];
      return s === undefined || k === undefined ? [] : scriptFor(s, k, start);
    },
    ...(options.agentAcceptDelayMs === undefined
      ? {}
      : {
          acceptDelayMs: (_index: number, url: string) => {
            const k = Number(new URL(url, 'ws://agent').searchParams.get('scenario'));
            const s = scenarios[k];
            return s === undefined ? 0 : (options.agentAcceptDelayMs?.(s) ?? 0);
          },
        }),
    ...(options.agentDropAfterMs === undefined
      ? {}
      : {
          dropAfterMs: (start: ScriptStart) => {
            const s = scenarios[byCall.get(start.callId ?? '') ?? -1];
            return s === undefined || start.resumed ? undefined : options.agentDropAfterMs?.(s);
          },
        }),
    env: { PATCHTHROUGH_API_KEYS: `${API_KEY}:calls:read+calls:write` },
    ...(options.redisUrl === undefined ? {} : { redisUrl: options.redisUrl }),
    ...(options.time === undefined ? {} : { time: options.time, memoryStore: true }),
  });
  options.time?.start();
  try {
    // Exotel: Programmable Connect carries the ring timeout per call (docs/exotel.md).
    scenarios.forEach((s, k) => {
      if (s.carrier === 'exotel')
        h.sim.exotel.configureNumber(
          numbersOf(k, s).inbound,
          exotelNumber(h.publicUrl, { programmable: true }),
        );
    });
    return await Promise.all(
      scenarios.map(async (s, k) => {
        await sleep(options.time ?? systemTime, k * STAGGER_MS);
        return runOne(h, s, k, byCall, options);
      }),
    );
  } finally {
    await h.stop();
    options.time?.stop();
  }
}

async function runOne(
  h: Harness,
  s: Scenario,
  k: number,
  byCall: Map<string, number>,
  options: RunOptions,
): Promise<ScenarioResult> {
  const { inbound, chain } = numbersOf(k, s);
  [...s.before, s.human].forEach((behaviour, j) => {
    h.sim.network.addHuman(chain[j] as string, behaviour);
  });
  const excuse = options.adversity?.(h.sim, s, { inbound, humans: chain });
  const audio = s.trigger === 'silence' ? quietCaller() : loudCaller();
  const call = await h.sim.network.placeCall({
    carrier: s.carrier,
    from: CALLER,
    to: inbound,
    audio: { type: 'mulaw', data: audio.mulaw },
  });
  byCall.set(call.sid, k);
  const said = tapCaller(h.sim, call, audio);
  const notReached = await play(h, s, call, chain[chain.length - 1] as string, options.time).then(
    () => undefined,
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  const missed = excuse === undefined ? notReached : undefined;
  const excused = excuse === undefined || notReached === undefined ? undefined : `${notReached} (${excuse})`;
  call.hangup();
  const name = describeScenario(s);
  const observation = await collect(
    h,
    { label: name, carrier: s.carrier, call, humans: chain, said, audio },
    options.time,
  );
  // The silence trigger's AI is quiet for the no-response timeout (1 s, agents.ts), before and after a dropped socket.
  const quiet = s.trigger === 'silence' ? { quietByDesignMs: 2 * 1000 } : {};
  const violations = checkInvariants({ ...observation, ...quiet });
  return {
    scenario: s,
    name,
    ...(missed === undefined ? {} : { missed }),
    ...(excused === undefined ? {} : { excused }),
    observation,
    violations,
  };
}

/** Plays the scenario's part of the caller (and the operator) up to its moment; the caller then hangs up. */
async function play(
  h: Harness,
  s: Scenario,
  call: SimCall,
  human: string,
  time?: VirtualTime,
): Promise<void> {
  const until = async <T>(
    what: string,
    fn: () => T | undefined | false | Promise<T | undefined | false>,
  ): Promise<void> => {
    const text = `${describeScenario(s)}: ${what}`;
    if (time === undefined) await eventually(fn, text, { timeoutMs: MOMENT_TIMEOUT_MS, everyMs: 25 });
    else await time.runUntil(async () => Boolean(await fn()), { timeoutMs: MOMENT_TIMEOUT_MS, what: text });
  };
  /** How long the caller heard sources starting with `prefix` after `since` (a stream's: its voice, not its silence or noise). */
  const heardMs = (prefix: string, since = 0): number =>
    call.heard.segments
      .filter((x) => x.source.startsWith(prefix) && x.level === undefined)
      .reduce((n, x) => n + Math.max(0, x.endMs - Math.max(x.startMs, since)), 0);
  if (s.trigger === 'api') {
    await until('the AI to speak', () => heardMs('stream:') >= s.aiSpeaksMs);
    const r = await fetch(`${h.publicUrl}/v1/calls/${call.sid}/transfer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rule: RULE, mode: s.mode }),
    });
    if (r.status !== 202) throw new Error(`the API refused the transfer: ${r.status} ${await r.text()}`);
  }
  const pause = (): Promise<void> => sleep(time ?? systemTime, s.hangupAfterMs);
  const endpoint = h.sim.network.endpoint(human);
  const backWithAi = (): Promise<void> =>
    until('the caller to be back with the AI', async () => {
      const t = (await h.app.engine.get(call.sid))?.transfers.at(-1);
      return t?.endedAtMs !== undefined && heardMs('stream:', t.endedAtMs) >= s.stayMs;
    });
  switch (s.case) {
    case 'answered':
      // Agentic: a briefing the agent declines sends the caller back to the AI.
      if (s.briefing === 'decline') return backWithAi();
      await until('the caller to talk with the human', () => heardMs('party:') >= s.stayMs);
      return;
    case 'busy':
    case 'no_answer':
    case 'failed':
    case 'human_hangs_up_in_whisper':
      // Back with the AI (or never moved from it: a warm transfer dials while the caller talks on):
      // the transfer failed, and the AI is heard since.
      return backWithAi();
    case 'caller_hangs_up_while_ringing':
      await until('the human to ring', () => endpoint.activeLeg?.state === 'ringing');
      return pause();
    case 'caller_hangs_up_on_hold':
      await until('the caller to be on hold', () => heardMs('hold') > 0);
      return pause();
    case 'caller_hangs_up_in_whisper':
      // Agentic: the whisper is the agent's briefing, heard by the human over its stream.
      await until('the human to hear the whisper', () =>
        endpoint.heard.segments.some((x) => x.source === 'say' || x.source.startsWith('stream:')),
      );
      return pause();
  }
}
