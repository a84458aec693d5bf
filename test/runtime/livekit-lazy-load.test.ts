import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * rtc-node's native library is ~25 MB: a daemon whose agents all use WebSocket never loads it.
 * Checked in a child process of its own (a test worker may have loaded it for another file), by
 * what the process has mapped.
 */
describe.skipIf(!existsSync('/proc/self/maps'))('LiveKit is loaded lazily', () => {
  it('a WebSocket-only daemon, with a call transport made, has not loaded rtc-node; loading the LiveKit port does', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'test/support/livekit/load-probe.ts'],
      {
        // A child compiling the whole daemon with tsx: seconds alone, longer beside other test files.
        timeout: 80_000,
      },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual({
      transport: 'websocket',
      websocketOnly: false,
      afterLivekit: true,
    });
  }, 90_000);
});
