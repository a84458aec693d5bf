/**
 * The operator console with something to look at: the daemon, the Twilio simulator and a
 * scripted agent in one process (the demo's agents), with the console's "Try it" placing test
 * calls through the simulator. `npm run console` runs it; the browser tests start it too.
 */
import { createServer } from 'node:net';
import { type Simulator, startSimulator } from '../sim/simulator.js';
import { ScriptedAgentServer } from '../src/agent/scripted-agent-server.js';
import { type App, buildApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/log.js';
import { demoConfig } from './config.js';
import { SimTryIt } from './console-try.js';
import { COLD_NUMBER, WARM_NUMBER } from './scenarios.js';

const ACCOUNT_SID = `AC${'c'.repeat(32)}`;
const AUTH_TOKEN = 'console-demo-auth-token';
export const CONSOLE_CALLER = '+14155559876';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

export interface ConsoleParts {
  readonly url: string;
  readonly app: App;
  readonly sim: Simulator;
  readonly tryIt: SimTryIt;
  stop(): Promise<void>;
}

/** `keys`: `PATCHTHROUGH_API_KEYS` (e.g. `key:calls:read+calls:write`). */
export async function startConsoleParts(options: {
  readonly keys: string;
  readonly port?: number;
}): Promise<ConsoleParts> {
  let sim: Simulator | undefined;
  const tryIt = new SimTryIt(
    () => {
      if (sim === undefined) throw new Error('the simulator is not running');
      return sim;
    },
    { caller: CONSOLE_CALLER },
  );
  const agent = await ScriptedAgentServer.start({
    script: tryIt.script,
    summary: 'Caller Dana was charged twice for order 1234 and wants a refund.',
  });
  sim = await startSimulator({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: sim.url,
    PATCHTHROUGH_API_KEYS: options.keys,
    LOG_LEVEL: 'warn',
  });
  const app = buildApp({
    env,
    agents: demoConfig(agent.url),
    log: createLogger({ level: 'warn' }),
    timerIntervalMs: 100,
    tryIt,
  });
  await app.listen();
  for (const n of [COLD_NUMBER, WARM_NUMBER]) {
    sim.twilio.configureNumber(n, {
      voiceUrl: `${url}/twilio/voice`,
      statusCallback: `${url}/twilio/status`,
    });
  }
  const running = sim;
  return {
    url,
    app,
    sim: running,
    tryIt,
    async stop() {
      await app.close();
      await running.stop();
      await agent.close();
    },
  };
}
