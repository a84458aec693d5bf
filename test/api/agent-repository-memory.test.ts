import { createAgentRepository } from '../../src/agent-repository/index.js';
import { agentRepositoryContract } from './agent-repository.contract.js';

agentRepositoryContract('memory agent repository', {
  make: async () => createAgentRepository({ defaultRegion: 'US' }),
  cleanup: async () => undefined,
});
