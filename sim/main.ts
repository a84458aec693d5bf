/**
 * `npm run sim`: the carrier simulator as a standalone process.
 *
 *   npm run sim -- --scenario sim.yaml
 *   npm run sim -- --port 4010 --number +15550001000=http://127.0.0.1:3000/twilio/voice --human +15558880001=answer:2000
 *
 * Prints one JSON line when ready (with the REST base URL and credentials), then every log
 * entry as a JSON line (unless --quiet). Ctrl-C stops it. Reads no environment variables.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { HumanBehaviour } from './endpoints/human.js';
import { parseScenario, type Scenario } from './scenario.js';
import { startScenario } from './standalone.js';

const USAGE = `usage: npm run sim -- [--scenario FILE] [--host H] [--port P] [--account-sid AC…] [--auth-token T]
       [--number NUMBER=VOICE_URL]… [--human ADDRESS=answer[:MS]|busy|no-answer|fail|reject]… [--quiet]`;

function humanShorthand(spec: string): HumanBehaviour {
  const [kind, ms] = spec.split(':');
  const afterMs = ms === undefined ? undefined : Number.parseInt(ms, 10);
  const after = afterMs === undefined || Number.isNaN(afterMs) ? {} : { afterMs };
  switch (kind) {
    case 'answer':
      return { type: 'answer', ...after };
    case 'busy':
      return { type: 'busy', ...after };
    case 'no-answer':
      return { type: 'no-answer' };
    case 'fail':
      return { type: 'fail', ...after };
    case 'reject':
      return { type: 'reject', ...after };
    default:
      throw new Error(`unknown human behaviour '${spec}'`);
  }
}

function pairs(values: string[] | undefined): Array<[string, string]> {
  return (values ?? []).map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new Error(`expected KEY=VALUE, got '${v}'`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'account-sid': { type: 'string' },
      'auth-token': { type: 'string' },
      number: { type: 'string', multiple: true },
      human: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const base: Scenario = parseScenario(values.scenario ? await readFile(values.scenario, 'utf8') : '{}');
  const scenario: Scenario = {
    ...base,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.port === undefined ? {} : { port: Number.parseInt(values.port, 10) }),
    twilio: {
      ...base.twilio,
      ...(values['account-sid'] === undefined ? {} : { accountSid: values['account-sid'] }),
      ...(values['auth-token'] === undefined ? {} : { authToken: values['auth-token'] }),
      numbers: {
        ...base.twilio.numbers,
        ...Object.fromEntries(pairs(values.number).map(([n, url]) => [n, { voiceUrl: url }])),
      },
    },
    humans: {
      ...base.humans,
      ...Object.fromEntries(pairs(values.human).map(([a, s]) => [a, humanShorthand(s)])),
    },
  };
  const sim = await startScenario(scenario);
  if (!values.quiet) sim.log.subscribe((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`));
  process.stdout.write(
    `${JSON.stringify({
      event: 'sim.ready',
      url: sim.url,
      twilio: { restBase: sim.url, accountSid: sim.twilio.accountSid, authToken: sim.twilio.authToken },
      numbers: Object.keys(scenario.twilio.numbers),
      humans: Object.keys(scenario.humans),
    })}\n`,
  );
  const shutdown = () => {
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
