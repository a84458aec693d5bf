/**
 * `npm run sim`: the carrier simulator as a standalone process.
 *
 *   npm run sim -- --scenario sim.yaml
 *   npm run sim -- --port 4010 --number +14155550100=http://127.0.0.1:3000/twilio/voice --human +14155550111=answer:2000
 *   npm run sim -- --plivo-number +14155550100=http://127.0.0.1:3000/plivo/voice,http://127.0.0.1:3000/plivo/status
 *   npm run sim -- --exotel-number +918045550100=http://exotel:SECRET@127.0.0.1:3000
 *
 * Prints one JSON line when ready (with the REST base URL and credentials), then every log
 * entry as a JSON line (unless --quiet). Ctrl-C stops it. Reads no environment variables.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type AnyCarrierSimulator, type CliFlag, flagPairs } from './carrier-simulator.js';
import { CARRIER_SIMULATORS } from './carriers/index.js';
import type { HumanBehaviour } from './endpoints/human.js';
import {
  configureScenario,
  frontEndOf,
  parseScenario,
  type Scenario,
  sectionOf,
  simulatorOptions,
} from './scenario.js';
import { startSimulator } from './simulator.js';

const CARRIER_SIMS: readonly AnyCarrierSimulator[] = CARRIER_SIMULATORS;

const USAGE = [
  'usage: npm run sim -- [--scenario FILE] [--host H] [--port P]',
  '       [--human ADDRESS=answer[:MS]|busy|no-answer|fail|reject]… [--quiet]',
  ...CARRIER_SIMS.map((s) => `       ${s.cliUsage}`),
].join('\n');

function humanShorthand(spec: string): HumanBehaviour {
  const [kind, ms] = spec.split(':');
  const afterMs = ms === undefined ? undefined : Number.parseInt(ms, 10);
  const after = afterMs === undefined || Number.isNaN(afterMs) ? {} : { afterMs };
  switch (kind) {
    case 'answer':
      return { type: 'answer', ...after };
    case 'busy':
      return { type: 'busy', ...after };
    case 'no-answer':
      return { type: 'no-answer' };
    case 'fail':
      return { type: 'fail', ...after };
    case 'reject':
      return { type: 'reject', ...after };
    default:
      throw new Error(`unknown human behaviour '${spec}'`);
  }
}

async function main(): Promise<void> {
  const carrierFlags: Record<string, CliFlag> = Object.assign({}, ...CARRIER_SIMS.map((s) => s.cliFlags));
  const { values } = parseArgs({
    options: {
      ...carrierFlags,
      scenario: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      human: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const base: Scenario = parseScenario(
    typeof values.scenario === 'string' ? await readFile(values.scenario, 'utf8') : '{}',
  );
  // Flags are merged into the scenario's raw form and validated again, so a bad flag is
  // reported like a bad scenario field.
  const scenario: Scenario = parseScenario(
    JSON.stringify({
      ...base,
      ...(typeof values.host === 'string' ? { host: values.host } : {}),
      ...(typeof values.port === 'string' ? { port: Number(values.port) } : {}),
      ...Object.fromEntries(CARRIER_SIMS.map((s) => [s.carrier, s.applyFlags(sectionOf(base, s), values)])),
      humans: {
        ...base.humans,
        ...Object.fromEntries(flagPairs(values, 'human').map(([a, spec]) => [a, humanShorthand(spec)])),
      },
    }),
  );
  const sim = await startSimulator(simulatorOptions(scenario));
  const cancelCalls = configureScenario(sim, scenario);
  if (!values.quiet) sim.log.subscribe((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`));
  process.stdout.write(
    `${JSON.stringify({
      event: 'sim.ready',
      url: sim.url,
      ...Object.fromEntries(
        CARRIER_SIMS.map((s) => [s.carrier, s.describe(frontEndOf(sim, s), sectionOf(scenario, s), sim.url)]),
      ),
      humans: Object.keys(scenario.humans),
    })}\n`,
  );
  const shutdown = () => {
    cancelCalls();
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
