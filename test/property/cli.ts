/**
 * `npm run property -- --seed 0x1a2b`: replays one seed (or `--seeds N` from `--from S`, run at
 * once in one harness) on a private Redis and prints each scenario, its violations and — for one
 * seed, or any run that broke an invariant — the whole observation as JSON. `--virtual` runs on
 * virtual time and the memory store (as the property test does), `--adversary` applies each
 * seed's adversary plan (test/property/adversarial.ts), and `--lossy` with it also draws the table's
 * lost callbacks (off in the property test and the soak).
 */
import { parseArgs } from 'node:util';
import { VirtualTime } from '../../src/lib/virtual-time.js';
import { startRedisServer } from '../../support/redis-server.js';
import { seededAdversityWith, seededAgentDelay, seededAgentDrop } from './adversarial.js';
import { replayCommand, reportOf } from './report.js';
import { runScenarios } from './runner.js';
import { scenarioFor } from './scenario.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    from: { type: 'string' },
    memory: { type: 'boolean' },
    virtual: { type: 'boolean' },
    adversary: { type: 'boolean' },
    lossy: { type: 'boolean' },
  },
});

const number = (text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`not a seed: ${text}`);
  return n;
};

const seeds =
  values.seed !== undefined
    ? [number(values.seed, 0)]
    : Array.from({ length: number(values.seeds, 1) }, (_, i) => number(values.from, 1) + i);
const virtual = values.virtual === true;
const redis = values.memory === true || virtual ? undefined : await startRedisServer();
const mode = { virtual, adversary: values.adversary === true, lossy: values.lossy === true };
try {
  const started = performance.now();
  const results = await runScenarios(seeds.map(scenarioFor), {
    ...(redis === undefined ? {} : { redisUrl: redis.url }),
    ...(virtual ? { time: new VirtualTime() } : {}),
    ...(mode.adversary
      ? {
          adversity: seededAdversityWith({ lossy: mode.lossy }),
          agentAcceptDelayMs: seededAgentDelay,
          agentDropAfterMs: seededAgentDrop,
        }
      : {}),
  });
  let bad = 0;
  for (const r of results) {
    const broken = r.violations.length > 0 || r.missed !== undefined;
    if (broken) bad += 1;
    console.log(reportOf(r));
    if (seeds.length === 1 || broken) console.log(JSON.stringify(r.observation, null, 1));
    if (broken) console.log(`replay: ${replayCommand(r.scenario.seed, mode)}`);
  }
  const wall = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${results.length} scenarios in ${wall} s, ${bad} broke an invariant or missed their moment`);
  process.exitCode = bad === 0 ? 0 : 1;
} finally {
  await redis?.stop();
}
