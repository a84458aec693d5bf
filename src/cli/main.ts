/**
 * `patchthrough` command line (bin/patchthrough.js runs this file):
 *
 *   patchthrough status [--json] [--limit N]   workers, live calls and running transfers (REDIS_URL)
 *   patchthrough example-agent [--port P]       the example agent (examples/ivr-agent/agent.ts)
 *   patchthrough help
 *
 * The environment is read through src/config/env.ts like the daemon's.
 */
import { loadEnvFromProcess } from '../config/env.js';
import { DaemonError } from '../domain/errors.js';
import type { CallRecord } from '../runtime/call-record.js';
import { createStore } from '../store/create-store.js';
import { EXAMPLE_AGENT_USAGE, runExampleAgent } from './example-agent.js';
import { collectStatus, formatStatus } from './status.js';

const USAGE = `usage: patchthrough <command>

commands:
  status [--json] [--limit N]   workers, live calls and running transfers, from Redis (REDIS_URL)
${EXAMPLE_AGENT_USAGE}  help                          this text
`;

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs one command; resolves with the exit code. */
export async function run(args: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'example-agent') {
    const stopped = new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return runExampleAgent(rest, io, stopped);
  }
  if (command !== 'status') {
    io.err(`patchthrough: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  }
  let json = false;
  let limit = 1000;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--json') json = true;
    else if (arg === '--limit' && /^\d+$/.test(rest[i + 1] ?? '')) limit = Number(rest[++i]);
    else {
      io.err(`patchthrough status: unknown option ${JSON.stringify(arg)}\n${USAGE}`);
      return 2;
    }
  }
  const env = loadEnvFromProcess();
  if (env.redisUrl === undefined) {
    io.err('patchthrough status: REDIS_URL is not set (an in-memory daemon keeps its state to itself)\n');
    return 2;
  }
  const store = createStore<CallRecord>({ redisUrl: env.redisUrl });
  try {
    const snapshot = await collectStatus(store, { limit, nowMs: Date.now() });
    io.out(json ? `${JSON.stringify(snapshot, null, 2)}\n` : formatStatus(snapshot));
    return 0;
  } finally {
    await store.close();
  }
}

run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const detail = err instanceof DaemonError ? `${err.code}: ${err.message}` : String(err);
    process.stderr.write(`patchthrough: ${detail}\n`);
    process.exitCode = 1;
  },
);
