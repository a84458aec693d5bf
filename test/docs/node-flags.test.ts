import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { WORKER_NODE_FLAGS } from '../../src/config/node-flags.js';

/**
 * Every way a worker is started passes the worker's Node flags (src/config/node-flags.ts), and
 * the flag does what that file says on this Node.
 */

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe("the worker's Node flags", () => {
  it("the image's CMD passes them before the entry point", () => {
    const cmds = read('Dockerfile')
      .split('\n')
      .filter((line) => line.startsWith('CMD '));
    const last = cmds.at(-1) ?? '';
    const argv = JSON.parse(last.slice('CMD '.length)) as string[];
    expect(argv).toEqual(['node', ...WORKER_NODE_FLAGS, 'dist/src/main.js']);
  });

  it('`npm start` passes them before the entry point', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts['start'];
    expect(start).toBe(['tsx', ...WORKER_NODE_FLAGS, 'src/main.ts'].join(' '));
  });

  it('bound the young generation at 2 × 4 MB where Node would let it reach 2 × 16 MB', async () => {
    // Objects that live a while, so that V8 grows the young generation as far as it may.
    const script = `
      const v8 = require('node:v8');
      let keep = []; let most = 0;
      for (let i = 0; i < 6e6; i++) {
        keep.push({ i });
        if (keep.length > 200000) keep = [];
        if ((i & 0xffff) === 0) {
          const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
          most = Math.max(most, young.space_size);
        }
      }
      process.stdout.write(String(most));`;
    const run = promisify(execFile);
    const most = async (flags: readonly string[]): Promise<number> =>
      Number((await run(process.execPath, [...flags, '-e', script])).stdout);
    const [bounded, unbounded] = await Promise.all([most(WORKER_NODE_FLAGS), most([])]);
    expect(bounded).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(unbounded).toBeGreaterThan(8 * 1024 * 1024);
  });
});
