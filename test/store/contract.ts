import { coordinationContract } from './contract-coordination.js';
import { recordContract } from './contract-records.js';
import type { HarnessFactory } from './contract-support.js';

export * from './contract-support.js';

/**
 * The one contract both stores keep (memory, Redis, Redis in split-slot mode, Redis Cluster).
 * `make` builds an isolated harness per test.
 */
export function storeContract(name: string, make: HarnessFactory): void {
  recordContract(name, make);
  coordinationContract(name, make);
}
