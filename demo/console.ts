/**
 * `npm run console`: the daemon with the simulator and the demo's agents, serving the operator
 * console; prints its address and a key made for this run (or `PORT`/`CONSOLE_KEY` from the
 * command line: `npm run console -- --port 8080 --key …`). Ctrl-C stops it.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { startConsoleParts } from './console-parts.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, key: { type: 'string' } } });
  const key = values.key ?? `console-${randomBytes(12).toString('hex')}`;
  const port = values.port === undefined ? undefined : Number(values.port);
  const parts = await startConsoleParts({
    keys: `${key}:calls:read+calls:write+agents:read`,
    ...(port === undefined ? {} : { port }),
  });
  process.stdout.write(`patchthrough console: ${parts.url}/console/\nkey: ${key}\n(Ctrl-C to stop)\n`);
  const stop = (): void => {
    parts.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `console failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
