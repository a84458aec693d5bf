import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

/**
 * The example agent's prompts are what its documented generator writes (docs/example-agent.md):
 * running examples/ivr-agent/make-prompts.ts again gives the shipped files byte for byte, and every
 * prompt the agent plays is there.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED = join(ROOT, 'examples/ivr-agent/prompts');
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it('make-prompts.ts writes exactly the shipped μ-law prompts', () => {
  dir = mkdtempSync(join(tmpdir(), 'patchthrough-prompts-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'examples/ivr-agent/make-prompts.ts', dir], {
    cwd: ROOT,
  });
  const shipped = readdirSync(SHIPPED).sort();
  expect(readdirSync(dir).sort()).toEqual(shipped);
  expect(shipped).toEqual(
    ['briefing', 'goodbye', 'menu', 'sales', 'sorry', 'support', 'trying'].map((name) => `${name}.ulaw`),
  );
  for (const file of shipped) {
    const bytes = readFileSync(join(SHIPPED, file));
    expect(readFileSync(join(dir, file)).equals(bytes), file).toBe(true);
    // At least 200 ms of 8 kHz μ-law.
    expect(bytes.length).toBeGreaterThan(1600);
  }
});
