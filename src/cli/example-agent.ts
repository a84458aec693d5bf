/**
 * `patchthrough example-agent [--port 8765] [--host 127.0.0.1]`: runs the example agent
 * (examples/ivr-agent/agent.ts) until Ctrl-C, printing each call's progress. What it does and how
 * to put it on a real number: docs/example-agent.md.
 */
import { parseArgs } from 'node:util';
import { startExampleAgent } from '../../examples/ivr-agent/agent.js';

export const EXAMPLE_AGENT_USAGE =
  '  example-agent [--port 8765] [--host 127.0.0.1]   a touch-tone menu agent to try transfers with (no LLM)\n';

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Starts the agent; resolves with the exit code once `stopped` resolves (the CLI passes Ctrl-C). */
export async function runExampleAgent(
  args: readonly string[],
  io: Io,
  stopped: Promise<unknown>,
): Promise<number> {
  let values: { port?: string; host?: string };
  try {
    values = parseArgs({
      args: [...args],
      options: { port: { type: 'string' }, host: { type: 'string' } },
    }).values;
  } catch (err) {
    io.err(`patchthrough example-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const port = values.port === undefined ? 8765 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.err('patchthrough example-agent: --port must be a whole number between 0 and 65535\n');
    return 2;
  }
  const agent = await startExampleAgent({
    port,
    host: values.host ?? '127.0.0.1',
    log: (line) => io.out(`${line}\n`),
  });
  io.out(
    `example agent listening on ${agent.url}\n` +
      '  1 sales (cold) · 2 support (warm, with a whisper) · 3 after-hours line (fails, back to the menu) · 9 goodbye\n' +
      '  agents file: examples/ivr-agent/agents.yaml · Ctrl-C stops it\n',
  );
  await stopped;
  await agent.close();
  return 0;
}
