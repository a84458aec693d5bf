import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { eventually, settles } from '../support/eventually.js';

/**
 * `npm run playground` used as a person uses it: in a terminal (a pseudo-terminal from util-linux
 * `script`, so readline sees a TTY), typing keys and reading the screen. The caller tries the
 * after-hours line (busy, back to the agent), then support (warm, with a whisper), hangs up and
 * quits; the screen must show each transfer, its outcome and who heard what.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(() => {
  // `script` passes the signal on to the playground it runs.
  child?.kill('SIGKILL');
  child = undefined;
});

/** What the terminal shows, without the escape codes that keep the prompt below the timeline. */
const visible = (raw: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape codes
  raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

it('a caller at the terminal: 3 is busy and comes back, 2 reaches support after the whisper, then hangup and quit', async () => {
  // util-linux `script` (Linux) takes the command with -c; BSD `script` (macOS) after the file.
  const args =
    process.platform === 'darwin'
      ? ['-q', '/dev/null', 'npm', 'run', 'playground']
      : ['-q', '-e', '-c', 'npm run playground', '/dev/null'];
  const proc = spawn('script', args, {
    cwd: ROOT,
    env: { ...process.env, TERM: 'xterm', COLUMNS: '200' },
    stdio: 'pipe',
  });
  child = proc;
  let screen = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const shows = (pattern: RegExp, from = 0) =>
    eventually(
      () => pattern.test(visible(screen).slice(from)),
      () => `the screen to show ${pattern}:\n${visible(screen)}`,
      {
        timeoutMs: 20_000,
        everyMs: 50,
      },
    );
  const type = (keys: string) => proc.stdin.write(`${keys}\r`);

  await shows(/You call \+14155550100\./);
  await shows(/you hear\s+the agent/);
  await shows(/caller> /);

  type('3');
  let mark = visible(screen).length;
  await shows(/you\s+press 3/, mark);
  await shows(/you hear\s+ringing/, mark);
  await shows(/call\s+transfer\.ended \(busy\)/, mark);
  await shows(/agent\s+back from the transfer \(busy\)/, mark);
  // The agent talks to the caller again after the busy line.
  await shows(/you hear\s+ringing[\s\S]*you hear\s+the agent/, mark);

  type('2');
  mark = visible(screen).length;
  await shows(/call\s+transfer\.started \(warm rule\)/, mark);
  await shows(/you hear\s+hold music/, mark);
  await shows(
    /Support \(\+14155550112\) hears the whisper "A caller from the phone menu pressed 2 for support\."/,
    mark,
  );
  await shows(/call\s+transfer\.ended \(connected\)/, mark);
  await shows(/Support \(\+14155550112\) hears you/, mark);
  await shows(/you hear\s+Support/, mark);
  // Support heard the whisper before the caller.
  const after = visible(screen).slice(mark);
  expect(after.indexOf('hears the whisper')).toBeLessThan(after.indexOf('hears you'));

  type('hangup');
  await shows(/The call is over: cold transfer → busy, warm transfer → connected; ended: transferred\./);
  // Who heard what over the whole call: the caller the agent, ringing, hold, then support; support
  // the whisper, then the caller; the busy line nothing.
  await shows(/you heard: AI [\d.]+s → ringback [\d.]+s → AI [\d.]+s → hold [\d.]+s → other party [\d.]+s/);
  await shows(
    /Support \(\+14155550112\) heard: say "A caller from the phone menu pressed 2 for support\." [\d.]+s → other party/,
  );
  expect(visible(screen)).not.toMatch(/After hours \(\+14155550113\) heard/);

  type('quit');
  await shows(/playground stopped/);
  expect(await settles(exited, 'the playground to exit', { timeoutMs: 10_000 })).toBe(0);
  child = undefined;
}, 90_000);
