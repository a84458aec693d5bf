import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { settles } from './eventually.js';

/**
 * What `npm test` does on a machine without `redis-server` (global-setup.ts): run with a PATH
 * holding only node, sh and npm, it stops at once with one line naming the command to run, and no
 * test starts. As root with apt-get it installs the package first (apt-get is replaced here by a
 * script on that PATH: one that fails, one that "installs" by linking the real binary).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const which = (command: string): string =>
  realpathSync(spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim());

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A bin directory with node, sh and npm only, plus `extra` scripts by name. */
function bareBin(extra: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'patchthrough-bin-'));
  dirs.push(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync(which('sh'), join(dir, 'sh'));
  symlinkSync(which('npm'), join(dir, 'npm'));
  for (const [name, body] of Object.entries(extra)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** Runs `args` under `npm` in the repository with PATH = `bin`; resolves with its exit code and output. */
async function npm(bin: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(join(bin, 'npm'), args, { cwd: ROOT, env: { ...process.env, PATH: bin } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  const code = await settles(
    new Promise<number | null>((resolve) => child.once('exit', resolve)),
    () => `npm ${args.join(' ')} to stop; it printed:\n${output}`,
    { timeoutMs: 20_000 },
  ).finally(() => child.kill('SIGKILL'));
  return { code, output };
}

/** The lines a person reads, without colour codes and blank lines. */
const lines = (output: string): string[] =>
  output
    // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

describe('npm test without redis-server', () => {
  it('stops at once with one line saying what to run, before any test', async () => {
    const { code, output } = await npm(bareBin(), ['test']);
    expect(code).toBe(1);
    const said = lines(output).filter((l) => l.includes('redis-server'));
    expect(said).toEqual([
      'the tests need a redis-server binary on PATH: run `sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), then npm test again',
    ]);
    // Nothing else than npm's and vitest's banners: no test ran, no stack trace.
    expect(lines(output).filter((l) => !l.startsWith('>') && !l.startsWith('RUN'))).toEqual(said);
  });

  it.runIf(isRoot)('as root, a failed apt-get install also ends in one line', async () => {
    const bin = bareBin({ 'apt-get': 'echo "E: no network" >&2; exit 100' });
    const { code, output } = await npm(bin, ['test']);
    expect(code).toBe(1);
    expect(lines(output)).toContain(
      'the tests need a redis-server binary on PATH and `apt-get install redis-server` failed (above): fix that, then npm test again',
    );
    expect(output).toContain("redis-server is missing: installing Debian's redis-server package");
  });

  it.runIf(isRoot)('as root, once apt-get installed it, the tests run', async () => {
    const real = which('redis-server');
    const bin = bareBin({
      'apt-get': `[ "$1" = install ] && ${which('ln')} -s ${real} "\${0%/*}/redis-server"; exit 0`,
    });
    const { code, output } = await npm(bin, [
      'exec',
      '--',
      'vitest',
      'run',
      'test/support/eventually.test.ts',
    ]);
    expect(output).toContain("redis-server is missing: installing Debian's redis-server package");
    expect(code).toBe(0);
    expect(lines(output).join('\n')).toMatch(/Tests\s+\d+ passed/);
  });
});
