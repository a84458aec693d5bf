import { createServer } from 'node:net';
import { type App, buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { demoAgentsInput } from '../../src/config/demo-agents.js';
import { parseEnv } from '../../src/config/env.js';
import { type ScriptStep, ScriptedAgentServer } from '../../src/agent/scripted-agent-server.js';
import { silentLogger } from '../../src/log.js';
import { type Simulator, startSimulator } from '../../sim/simulator.js';

export const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
export const AUTH_TOKEN = 'e2e-auth-token';
export const INBOUND = '+14155550100';
export const CALLER = '+14155559999';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HarnessOptions {
  readonly script: ReadonlyArray<ScriptStep> | ((start: { resumed: boolean }) => readonly ScriptStep[]);
  readonly summary?: string | null;
  /** Changes to the demo agent (deep fields replaced wholesale). */
  readonly agent?: (agent: Record<string, unknown>) => Record<string, unknown>;
  readonly redisUrl?: string;
  readonly env?: Record<string, string>;
}

export interface Harness {
  readonly sim: Simulator;
  readonly app: App;
  readonly agent: ScriptedAgentServer;
  readonly publicUrl: string;
  stop(): Promise<void>;
}

/** Daemon + Twilio simulator + scripted agent, all on loopback, wired as a user would. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const agent = await ScriptedAgentServer.start({
    script: options.script as never,
    ...(options.summary === undefined ? {} : { summary: options.summary }),
  });
  const sim = await startSimulator({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: sim.url,
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
    ...options.env,
  });
  const input = demoAgentsInput(agent.url);
  const agentInput = input.agents[0] as unknown as Record<string, unknown>;
  const agents = parseAgentsConfig(
    { ...input, agents: [options.agent === undefined ? agentInput : options.agent(agentInput)] },
    { defaultRegion: 'US' },
  );
  const app = buildApp({ env, agents, log: silentLogger(), timerIntervalMs: 50 });
  await app.listen();
  sim.twilio.configureNumber(INBOUND, {
    voiceUrl: `${publicUrl}/twilio/voice`,
    statusCallback: `${publicUrl}/twilio/status`,
  });
  return {
    sim,
    app,
    agent,
    publicUrl,
    async stop() {
      await app.close();
      await sim.stop();
      await agent.close();
    },
  };
}
