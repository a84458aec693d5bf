/**
 * The embedded configuration `npm run demo` uses when no agents file is given: one Twilio agent
 * with the flowyte seed's billing and Spanish-line rules. Only the configured numbers may be
 * dialed (empty destination policy).
 */
import type { AgentsConfig } from './agent-types.js';
import { parseAgentsConfig } from './agents.js';

/** Placeholder agent URL; the demo starts its own agent and passes the real URL to {@link demoAgents}. */
export const DEMO_AGENT_URL_PLACEHOLDER = 'ws://127.0.0.1:0/agent';

/** The demo configuration as written (input to the parser). */
export function demoAgentsInput(agentUrl: string = DEMO_AGENT_URL_PLACEHOLDER) {
  return {
    defaultRegion: 'US',
    agents: [
      {
        id: 'demo',
        name: 'Demo front desk',
        numbers: ['+1 415 555 0100'],
        outboundNumber: '+14155550100',
        carrier: 'twilio',
        agent: { url: agentUrl },
        handoffConfig: {
          warm: false,
          transferDestination: '+14155550133',
          transferRules: [
            {
              label: 'Billing',
              when: 'caller asks about an invoice, charge, or refund',
              destination: ['+14155550111', '+14155550112'],
            },
            { label: 'Spanish line', when: 'caller prefers Spanish', destination: '+14155550122' },
          ],
        },
        skills: [
          {
            name: 'Transfer to billing',
            description:
              'Transfer the caller to a billing specialist when they ask about an invoice, charge, or refund.',
            skillType: 'transfer',
            executionConfig: { destination: '+14155550111' },
          },
        ],
        destinationPolicy: { allow: [], countries: [] },
      },
    ],
  };
}

/** The demo configuration with the agent reachable at `agentUrl` (a `ws://` URL). */
export function demoAgents(agentUrl: string): AgentsConfig {
  return parseAgentsConfig(demoAgentsInput(agentUrl), { defaultRegion: 'US', source: 'demo configuration' });
}

/** The demo configuration with the placeholder agent URL. */
export const DEMO_AGENTS: AgentsConfig = demoAgents(DEMO_AGENT_URL_PLACEHOLDER);
