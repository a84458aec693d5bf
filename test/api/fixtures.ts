import type { AgentsConfig } from '../../src/config/agent-types.js';
import { parseAgentsConfig } from '../../src/config/agents.js';

/** Two agents as an agents file would list them. */
export function agentsInput(agentUrl = 'ws://127.0.0.1:9/agent') {
  return {
    defaultRegion: 'US',
    agents: [
      {
        id: 'front-desk',
        name: 'Front desk',
        numbers: ['+1 415 555 0100'],
        outboundNumber: '+14155550100',
        agent: { url: agentUrl },
        handoffConfig: {
          transferDestination: '+14155550133',
          transferRules: [
            {
              label: 'Billing',
              when: 'caller asks about an invoice',
              destination: ['+14155550111', '+14155550112'],
            },
          ],
        },
        skills: [
          {
            name: 'Transfer to billing',
            description: 'Transfer the caller to billing when they ask about an invoice.',
            skillType: 'transfer',
            executionConfig: { destination: '+14155550111' },
          },
        ],
      },
      {
        id: 'clinic',
        numbers: ['+1 415 555 0200'],
        agent: { url: agentUrl },
        handoffConfig: { transferDestination: '+14155550210' },
      },
    ],
  };
}

export function agentsConfig(agentUrl?: string): AgentsConfig {
  return parseAgentsConfig(agentsInput(agentUrl), { defaultRegion: 'US' });
}
