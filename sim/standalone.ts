/**
 * Starts a simulator from a {@link Scenario}: every carrier's numbers, humans, and calls placed
 * on a schedule. Used by `npm run sim` (sim/main.ts); callable in-process too.
 */
import { configureScenario, type Scenario, simulatorOptions } from './scenario.js';
import { type Simulator, startSimulator } from './simulator.js';

export async function startScenario(scenario: Scenario): Promise<Simulator> {
  const sim = await startSimulator(simulatorOptions(scenario));
  const cancelCalls = configureScenario(sim, scenario);
  const stop = sim.stop.bind(sim);
  return {
    ...sim,
    waitFor: sim.waitFor.bind(sim),
    async stop() {
      cancelCalls();
      await stop();
    },
  };
}
