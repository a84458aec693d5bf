import { execFile, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Real LiveKit rooms need real WebRTC, and libwebrtc ignores loopback interfaces: the scenarios of
 * test/netns/livekit-rooms.test.ts (the daemon, the carrier simulator, the test LiveKit server and
 * an rtc-node agent) run in a network namespace of their own, made here with `unshare -n` and a
 * veth pair (support/livekit/netns.sh). Skipped only where namespaces are not permitted.
 */

/** Whether this process may make a network namespace with a veth pair in it (root, or the capabilities). */
function namespacesPermitted(): boolean {
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link add lkp0 type veth peer name lkp1'], {
    stdio: 'ignore',
    timeout: 5000,
  });
  return probe.status === 0;
}

const permitted = namespacesPermitted();
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

describe.skipIf(!permitted)(
  `LiveKit rooms in a network namespace${permitted ? '' : ' (skipped: network namespaces are not permitted here; needs root or CAP_SYS_ADMIN + CAP_NET_ADMIN, and iproute2)'}`,
  () => {
    // One retry of the whole run: under load (the suite's other files on both cores) about one run in
    // fourteen here timed out waiting for the agent to hear the caller (2026-12-04: the agent in the
    // room, the daemon in the room, no caller audio at the agent within 15 s; not reproduced alone).
    // A second failure fails; the failed run's warnings are printed with it.
    it('audio both ways, cold and warm over RPC and by a spoken tag, resume, the agent leaving, the caller hanging up', {
      timeout: 120_000,
      retry: 1,
    }, async () => {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = execFile(
          'unshare',
          [
            '-n',
            'sh',
            'support/livekit/netns.sh',
            process.execPath,
            'node_modules/vitest/vitest.mjs',
            'run',
            '--config',
            'vitest.netns.config.ts',
          ],
          {
            timeout: 110_000,
            maxBuffer: 16 * 1024 * 1024,
            env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
          },
          (_err, stdout, stderr) =>
            resolve({ code: child.exitCode, output: `${stdout}\n${stderr}`.replace(ANSI_COLOR, '') }),
        );
      });
      const lines = output.split('\n');
      // On a failure: the run's last lines, and its JSON log lines at warn or above (rtc-node's
      // `lk-rtc` logger; the daemon's own log is silent in these tests, test/e2e/harness.ts).
      const warnings = lines.filter((line) => /^\{"level":(4|5|6)0,/.test(line)).slice(-30);
      const summary = [
        ...lines.filter((line) => !line.startsWith('{"level"')).slice(-60),
        `warnings and errors logged (last ${warnings.length}):`,
        ...warnings,
      ].join('\n');
      expect(code, summary).toBe(0);
      expect(output).toMatch(/Tests\s+5 passed/);
    });
  },
);
