/**
 * The playground's parts, wired as a user would wire them by hand: the carrier simulator, the
 * example agent, and the daemon given the simulator's credentials and the example agent's agents
 * file (examples/ivr-agent/agents.yaml), with the caller's number pointed at the daemon the way
 * the carrier's setup guide says.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { parse } from 'yaml';
import { type ExampleAgent, startExampleAgent } from '../../examples/ivr-agent/agent.js';
import type { AnyCarrierSimulator } from '../../sim/carrier-simulator.js';
import { CARRIER_SIMULATORS, type SimCarrier } from '../../sim/carriers/index.js';
import type { HumanBehaviour } from '../../sim/endpoints/human.js';
import { frontEndOf } from '../../sim/scenario.js';
import { type Simulator, startSimulator } from '../../sim/simulator.js';
import { type App, buildApp } from '../../src/app.js';
import type { AgentConfig } from '../../src/config/agent-types.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';

export const AGENTS_FILE = 'examples/ivr-agent/agents.yaml';

/** How each rule's person behaves in the simulator, by the rule's label. */
const PEOPLE: Readonly<Record<string, HumanBehaviour>> = {
  Sales: { type: 'answer', afterMs: 1500, speak: { type: 'tone', hz: 660, durationMs: 600_000 } },
  Support: { type: 'answer', afterMs: 1500, speak: { type: 'tone', hz: 550, durationMs: 600_000 } },
  'After hours': { type: 'busy', afterMs: 1200 },
};

export interface Person {
  readonly label: string;
  readonly number: string;
  readonly behaviour: HumanBehaviour;
}

export interface Parts {
  readonly carrier: SimCarrier;
  readonly sim: Simulator;
  readonly app: App;
  readonly agent: ExampleAgent;
  readonly publicUrl: string;
  /** The number the caller dials (the agent's first number). */
  readonly number: string;
  readonly people: readonly Person[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export async function startParts(
  carrier: SimCarrier,
  agentLog: (line: string) => void,
  root: URL,
): Promise<Parts> {
  const agent = await startExampleAgent({ port: 0, log: agentLog });
  const sim = await startSimulator({});
  const simulator = CARRIER_SIMULATORS.find((s) => s.carrier === carrier) as AnyCarrierSimulator;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    ...simulator.daemonEnv(frontEndOf(sim, simulator), sim.url),
  });
  // The agents file as written; only the agent's URL (its port) and the carrier are this run's.
  const file = parse(await readFile(new URL(AGENTS_FILE, root), 'utf8')) as {
    agents: Record<string, unknown>[];
  };
  const agents = parseAgentsConfig(
    { ...file, agents: file.agents.map((a) => ({ ...a, carrier, agent: { url: agent.url } })) },
    { defaultRegion: env.defaultRegion, source: AGENTS_FILE },
  );
  const app = buildApp({ env, agents, log: silentLogger(), timerIntervalMs: 100 });
  await app.listen();
  const config = agents.agents[0] as AgentConfig;
  const number = config.numbers[0] as string;
  simulator.connectNumber(frontEndOf(sim, simulator), number, publicUrl);
  const people = config.handoffConfig.transferRules.map((rule) => ({
    label: rule.label,
    number: rule.destination[0] as string,
    behaviour: PEOPLE[rule.label] ?? { type: 'answer', afterMs: 1500 },
  }));
  for (const person of people) sim.network.addHuman(person.number, person.behaviour);
  return {
    carrier,
    sim,
    app,
    agent,
    publicUrl,
    number,
    people,
    async stop() {
      await app.close();
      await sim.stop();
      await agent.close();
    },
  };
}
