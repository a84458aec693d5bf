/**
 * `npm run playground [-- --carrier twilio|plivo|exotel]`: you are the caller. The carrier
 * simulator, the daemon (in-memory store), the example agent and its agents file
 * (examples/ivr-agent/agents.yaml) start together; a call is placed to the agent's number, and
 * what you type is what the caller does:
 *
 *   1 2 3 9 (any of 0-9 * #)  press those keys
 *   hangup                    hang up          call   call again
 *   quit (or Ctrl-D, Ctrl-C)  stop everything
 *
 * Every step of the call is printed as it happens: the daemon's call and transfer events, what
 * the agent did, and who heard what (the agent, ringing, hold music, the whisper, a person).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { SIM_CARRIERS, type SimCarrier } from '../../sim/carriers/index.js';
import type { SimCall } from '../../sim/endpoints/caller.js';
import { AGENTS_FILE, type Parts, startParts } from './parts.js';
import { type CallWatch, summary, watchCall } from './watch.js';

const ROOT = new URL('../../', import.meta.url);
const CALLER = '+14155559876';
const HELP =
  'Type 1 (sales, cold), 2 (support, warm with a whisper), 3 (after-hours line: busy, back to the agent),\n' +
  '9 (goodbye), `hangup`, `call` to call again, `quit`.';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { carrier: { type: 'string', default: 'twilio' } } });
  const carrier = values.carrier as SimCarrier;
  if (!SIM_CARRIERS.includes(carrier)) {
    process.stderr.write(`playground: --carrier must be one of ${SIM_CARRIERS.join(', ')}\n`);
    process.exit(2);
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'caller> ' });
  let t0 = Date.now();
  /** Writes above the prompt, so typing is never mixed with the timeline. */
  const print = (text: string): void => {
    process.stdout.write(`\r\x1b[K${text}\n`);
    rl.prompt(true);
  };
  const line = (who: string, what: string): void =>
    print(`${`+${((Date.now() - t0) / 1000).toFixed(2)}s`.padStart(8)}  ${who.padEnd(16)} ${what}`);

  const parts: Parts = await startParts(carrier, (text) => line('agent', text.replace(/^\S+: /, '')), ROOT);
  print(
    `patchthrough playground (${carrier}): daemon ${parts.publicUrl}, simulator ${parts.sim.url}, ` +
      `example agent ${parts.agent.url}\nagents file ${AGENTS_FILE}; the people: ${parts.people
        .map(
          (p) => `${p.label} ${p.number} (${p.behaviour.type === 'answer' ? 'answers' : p.behaviour.type})`,
        )
        .join(', ')}\n${HELP}`,
  );

  let call: SimCall | undefined;
  let watch: CallWatch | undefined;
  const placeCall = async (): Promise<void> => {
    t0 = Date.now();
    print(`\nYou call ${parts.number}.`);
    call = await parts.sim.network.placeCall({
      carrier,
      from: CALLER,
      to: parts.number,
      audio: { type: 'silence' },
    });
    const thisWatch = watchCall(call, parts.sim, parts.people, (id) => parts.app.engine.get(id), line);
    watch = thisWatch;
    const record = await thisWatch.ended;
    thisWatch.stop();
    print(
      `The call is over: ${summary(record)}.\n${thisWatch.heardLines().join('\n')}\n` +
        'Type `call` to call again, `quit` to leave.',
    );
  };
  const startCall = (): void => {
    placeCall().catch((err: unknown) => print(`the call failed: ${String(err)}`));
  };

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    watch?.stop();
    rl.close();
    await parts.stop();
    process.stdout.write('playground stopped\n');
    process.exit(0);
  };
  rl.on('line', (input) => {
    const text = input.trim();
    if (text === '') return rl.prompt();
    if (text === 'quit' || text === 'exit') return void stop();
    if (text === 'call') {
      if (call !== undefined && call.state !== 'ended') return print('You are still on a call.');
      return startCall();
    }
    if (call === undefined || call.state === 'ended') return print('No call: type `call`.');
    if (text === 'hangup') {
      line('you', 'hang up');
      return call.hangup();
    }
    if (/^[0-9*#]+$/.test(text)) {
      line('you', `press ${text}`);
      call.pressDigits(text).catch((err: unknown) => print(`could not press ${text}: ${String(err)}`));
      return;
    }
    print(`Unknown: ${text}. ${HELP}`);
  });
  rl.on('close', () => void stop());
  rl.on('SIGINT', () => void stop());
  startCall();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `playground failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
