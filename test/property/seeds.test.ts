import { describe } from 'vitest';
import { itRunsSeeds } from './batch.js';

/**
 * 300 seeds of the property run, 100 at a time. Run alone after the rest of the suite
 * (vitest.property.config.ts): on virtual time a batch's speed is the process's, so it must not
 * share the machine's two cores with the other files.
 */
describe('property: seeded transfer scenarios keep every invariant', () => {
  itRunsSeeds(1, 100);
  itRunsSeeds(101, 100);
  itRunsSeeds(201, 100);
});
