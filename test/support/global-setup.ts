import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Runs once before the suite: the tests start private `redis-server` processes, so the binary must
 * be on PATH. As root on a Debian-like machine it is installed from Debian's package; anywhere
 * else the run stops at once with the one command to run, instead of a wall of failing tests.
 */
export default function setup(): void {
  ensureBinary('redis-server', 'redis-server', 'brew install redis');
}

/** Makes sure `command` is on PATH: Debian's `debianPackage` is installed as root, else one clear line. */
export function ensureBinary(command: string, debianPackage: string, macHint: string): void {
  if (has(command)) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && has('apt-get')) {
    process.stderr.write(`${command} is missing: installing Debian's ${debianPackage} package\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', debianPackage], { stdio: 'inherit', env });
    if (has(command)) return;
  }
  throw new Error(
    `the tests need a ${command} binary on PATH: run \`sudo apt-get install ${debianPackage}\` (Debian/Ubuntu) or \`${macHint}\` (macOS), then npm test again`,
  );
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
