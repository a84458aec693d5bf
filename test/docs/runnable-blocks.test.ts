import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SIM_CARRIERS } from '../../sim/carriers/index.js';
import { parseScenario } from '../../sim/scenario.js';
import { parseAgentsText } from '../../src/config/agents-file.js';
import { parseEnv } from '../../src/config/env.js';
import { parseDestination } from '../../src/phone/destination.js';
import { settles } from '../support/eventually.js';
import { envLines, KINDS, type RunnableBlock, runnableBlocks } from './runnable.js';

/**
 * The docs' own examples work as written: every block of README.md and docs/*.md marked
 * `<!-- runnable: KIND -->` (test/docs/runnable.ts) is run, or parsed by the loader the daemon or
 * the simulator uses on such text. A shell block runs from the repository root with a bound; the
 * processes it leaves in the background (a simulator, a daemon, an agent) are ended with it.
 */

/** The carrier numbers, humans and call parties a scenario names. */
function scenarioAddresses(text: string): string[] {
  const raw = parse(text) as Record<string, unknown>;
  const keys = (o: unknown): string[] => (typeof o === 'object' && o !== null ? Object.keys(o) : []);
  const carrierNumbers = SIM_CARRIERS.flatMap((c) =>
    keys((raw[c] as { numbers?: unknown } | undefined)?.numbers),
  );
  const calls = ((raw['calls'] ?? []) as { from?: string; to?: string }[]).flatMap((c) => [c.from, c.to]);
  return [...carrierNumbers, ...keys(raw['humans']), ...calls].filter((a): a is string => a !== undefined);
}

/** The Exotel Connect applets of a scenario's flows. */
function exotelConnectApplets(text: string): Record<string, unknown>[] {
  const raw = parse(text) as { exotel?: { numbers?: Record<string, { flow?: Record<string, unknown>[] }> } };
  return Object.values(raw.exotel?.numbers ?? {}).flatMap((n) =>
    (n.flow ?? []).filter((a) => a['type'] === 'connect'),
  );
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// A bound, not a measure: the block takes about 12 s alone (three processes start, then one call).
const SHELL_TIMEOUT_MS = 45_000;
const { blocks, problems } = runnableBlocks(ROOT);
const name = (b: RunnableBlock) => `${b.file}:${b.line} (${b.kind})`;

it('every runnable marker is followed by a block, and every kind is used', () => {
  expect(problems).toEqual([]);
  expect(new Set(blocks.map((b) => b.kind))).toEqual(new Set(KINDS));
});

describe.each(blocks.filter((b) => b.kind !== 'shell').map((b) => [name(b), b] as const))(
  '%s',
  (_, block) => {
    it('is accepted by its loader', () => {
      if (block.kind === 'agents') {
        const format = block.lang === 'json' ? 'json' : 'yaml';
        const config = parseAgentsText(block.text, format, { defaultRegion: 'US', source: name(block) });
        expect(config.agents.length).toBeGreaterThan(0);
      } else if (block.kind === 'scenario') {
        expect(parseScenario(block.text)).toBeDefined();
        // Its numbers are for a daemon too (an agent's numbers, its transfer destinations): each
        // must be one the daemon accepts.
        const refused = scenarioAddresses(block.text).filter((a) => !parseDestination(a, 'US').ok);
        expect(refused).toEqual([]);
        // An Exotel Connect applet in plain "dial whom" mode rings as long as the applet says: the
        // docs have users set it to the agent's ring timeout (docs/exotel.md), so examples do too.
        const untimed = exotelConnectApplets(block.text).filter(
          (a) => a['programmable'] !== true && a['ringTimeoutSec'] === undefined,
        );
        expect(untimed).toEqual([]);
      } else {
        const env = parseEnv(envLines(block.text));
        // A block about a carrier configures it (all its variables are there).
        expect(Object.keys(env.carriers).length).toBeGreaterThan(0);
      }
    });
  },
);

describe.each(blocks.filter((b) => b.kind === 'shell').map((b) => [name(b), b] as const))(
  '%s',
  (_, block) => {
    it(
      'runs as written and succeeds',
      async () => {
        const child = spawn('bash', ['-euo', 'pipefail', '-c', block.text], {
          cwd: ROOT,
          detached: true, // its own process group, so what it started in the background ends with it
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (c: Buffer) => {
          output += c.toString('utf8');
        });
        child.stderr.on('data', (c: Buffer) => {
          output += c.toString('utf8');
        });
        try {
          const code = await settles(
            new Promise<number | null>((resolve) => child.once('exit', resolve)),
            () => `the block to finish; it printed:\n${output}`,
            { timeoutMs: SHELL_TIMEOUT_MS },
          );
          expect(code, output).toBe(0);
        } finally {
          try {
            process.kill(-(child.pid as number), 'SIGKILL');
          } catch {
            // The group is already gone.
          }
        }
      },
      SHELL_TIMEOUT_MS + 5_000,
    );
  },
);
