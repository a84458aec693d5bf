import type { AgentConfig, AgentsConfig } from '../config/agent-types.js';
import { findAgentById, findAgentByNumber } from '../config/agents.js';

/** A published agent configuration and its version (calls keep the version they started with). */
export interface PublishedAgent {
  readonly agent: AgentConfig;
  readonly version: number;
}

/** Where the runtime finds agent configurations: by inbound number for new calls, by id+version after. */
export interface AgentDirectory {
  byNumber(calledNumber: string): Promise<PublishedAgent | undefined>;
  get(agentId: string, version?: number): Promise<PublishedAgent | undefined>;
}

/** The agents file as version 1 of every agent: the directory when nothing else manages versions. */
export class StaticAgentDirectory implements AgentDirectory {
  readonly #config: AgentsConfig;

  constructor(config: AgentsConfig) {
    this.#config = config;
  }

  async byNumber(calledNumber: string): Promise<PublishedAgent | undefined> {
    const agent = findAgentByNumber(this.#config, calledNumber);
    return agent === undefined ? undefined : { agent, version: 1 };
  }

  async get(agentId: string): Promise<PublishedAgent | undefined> {
    const agent = findAgentById(this.#config, agentId);
    return agent === undefined ? undefined : { agent, version: 1 };
  }
}
