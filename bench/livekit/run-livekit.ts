/**
 * The media benchmark's LiveKit row (`npm run bench -- media`, or `-- livekit` alone): the daemon
 * with its agent on `transport: livekit`, real rtc-node on both sides, through the test LiveKit
 * server. libwebrtc ignores loopback interfaces, so the measurement (livekit-child.ts) runs in a
 * network namespace of its own, made here with `unshare -n` (support/livekit/netns.sh); where
 * namespaces are not permitted the row says so and the rest of the bench goes on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LivekitChildOptions } from './livekit-child.js';
import type { LivekitResult } from './livekit-report.js';

export interface LivekitOptions extends LivekitChildOptions {
  readonly log: (line: string) => void;
}

const NETNS = fileURLToPath(new URL('../../support/livekit/netns.sh', import.meta.url));
const CHILD = fileURLToPath(new URL('./livekit-child.ts', import.meta.url));

/** Whether this process may make a network namespace with a veth pair in it (root, or the capabilities). */
export function namespacesPermitted(): boolean {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link add lkp0 type veth peer name lkp1'], {
    stdio: 'ignore',
    timeout: 5000,
  });
  return probe.status === 0;
}

export async function runLivekit(options: LivekitOptions): Promise<LivekitResult> {
  options.log('media: livekit');
  if (!namespacesPermitted()) {
    return {
      notMeasured:
        'network namespaces are not permitted here (needs root, or CAP_SYS_ADMIN and CAP_NET_ADMIN, and iproute2); ' +
        'libwebrtc ignores loopback, so the LiveKit transport cannot be measured on it',
    };
  }
  const { log, ...childOptions } = options;
  // Bounded: room setup, the ladder's windows, and the teardown.
  const budgetMs = 60_000 + options.ladder.length * (options.warmupMs + options.measureMs + 20_000);
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(
      'unshare',
      [
        '-n',
        'sh',
        NETNS,
        process.execPath,
        '--import',
        'tsx',
        '--expose-gc',
        CHILD,
        JSON.stringify(childOptions),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: budgetMs, killSignal: 'SIGKILL' },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      const lines = err.split('\n');
      err = lines.pop() ?? '';
      for (const line of lines) if (!line.startsWith('{"level"')) log(line);
    });
    child.once('close', (exitCode) => resolve({ code: exitCode, stdout: out }));
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    return { notMeasured: `the LiveKit run failed (exit ${code ?? 'killed'}); its output is above` };
  }
  return JSON.parse(last) as LivekitResult;
}
