import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Runs once before the suite: the tests start private `redis-server` processes, so the binary must
 * be on PATH. As root on a Debian-like machine it is installed from Debian's package; anywhere
 * else the run stops at once with one line naming the command to run, instead of a wall of
 * failing tests (test/support/prerequisites.test.ts runs this with the binary missing).
 */
export default function setup(): void {
  ensureBinary('redis-server', 'redis-server', 'brew install redis');
}

/**
 * Makes sure `command` is on PATH: Debian's `debianPackage` is installed as root, else the process
 * stops here with one line saying what to run (a stack trace would only bury it).
 */
export function ensureBinary(command: string, debianPackage: string, macHint: string): void {
  const problem = missingBinary(command, debianPackage, macHint);
  if (problem === undefined) return;
  process.stderr.write(`\n${problem}\n`);
  process.exit(1);
}

/** Why `command` is still missing after trying to install it, or undefined when it is there. */
function missingBinary(command: string, debianPackage: string, macHint: string): string | undefined {
  if (has(command)) return undefined;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    process.stderr.write(`${command} is missing: installing Debian's ${debianPackage} package\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      execFileSync('apt-get', ['install', '-y', '-qq', debianPackage], { stdio: 'inherit', env });
    } catch {
      return `the tests need a ${command} binary on PATH and \`apt-get install ${debianPackage}\` failed (above): fix that, then npm test again`;
    }
    if (has(command)) return undefined;
  }
  return `the tests need a ${command} binary on PATH: run \`sudo apt-get install ${debianPackage}\` (Debian/Ubuntu) or \`${macHint}\` (macOS), then npm test again`;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
