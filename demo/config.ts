import type { AgentsConfig } from '../src/config/agent-types.js';
import { parseAgentsConfig } from '../src/config/agents.js';
import { demoAgentsInput } from '../src/config/demo-agents.js';
import { WARM_NUMBER } from './scenarios.js';

/** The demo's two agents: the embedded front desk (cold), and a warm copy on its own number. */
export function demoConfig(agentUrl: string): AgentsConfig {
  const base = demoAgentsInput(agentUrl);
  const cold = { ...base.agents[0]!, handoffConfig: { ...base.agents[0]!.handoffConfig, ringTimeoutSec: 5 } };
  const warm = {
    ...cold,
    id: 'demo-warm',
    name: 'Demo front desk (warm)',
    numbers: [WARM_NUMBER],
    handoffConfig: { ...cold.handoffConfig, warm: true, whisper: null, ringTimeoutSec: 5 },
  };
  return parseAgentsConfig({ ...base, agents: [cold, warm] }, { defaultRegion: 'US' });
}
