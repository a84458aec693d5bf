/**
 * Run as a child process (test/runtime/livekit-lazy-load.test.ts): builds and starts a daemon
 * whose agents all use WebSocket, makes a call's agent transport through the registry, and says
 * whether rtc-node's native library is mapped into the process — then loads the LiveKit port on
 * purpose and says it again (the check can fail).
 */
import { readFileSync } from 'node:fs';
import { loadRtcPort } from '../../../src/agent/livekit/index.js';
import { createAgentTransport } from '../../../src/agent/transports.js';
import { buildApp } from '../../../src/app.js';
import { demoAgents } from '../../../src/config/demo-agents.js';
import { parseEnv } from '../../../src/config/env.js';
import { MULAW_8K } from '../../../src/domain/media.js';
import { silentLogger } from '../../../src/log.js';

const nativeLoaded = (): boolean => readFileSync('/proc/self/maps', 'utf8').includes('rtc-ffi-bindings');

const agents = demoAgents('ws://127.0.0.1:9/agent');
const app = buildApp({ env: parseEnv({ PORT: '0', HOST: '127.0.0.1' }), agents, log: silentLogger() });
await app.listen();
const endpoint = agents.agents[0]?.agent;
if (endpoint === undefined) throw new Error('no demo agent');
const transport = createAgentTransport(
  {
    endpoint,
    callId: 'probe',
    agentId: 'probe',
    carrier: 'twilio',
    direction: 'inbound',
    format: MULAW_8K,
    clock: { nowMs: () => 0 },
    log: silentLogger(),
  },
  { listener: { onAgentEvent: () => {} } },
);
await transport.connect();
await transport.close();
const websocketOnly = nativeLoaded();
await loadRtcPort('ws://127.0.0.1:9', { apiKey: 'probe', apiSecret: 'probe' });
const afterLivekit = nativeLoaded();
await app.close();
process.stdout.write(`${JSON.stringify({ transport: endpoint.transport, websocketOnly, afterLivekit })}\n`);
process.exit(0);
