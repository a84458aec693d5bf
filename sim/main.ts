/**
 * `npm run sim`: the carrier simulator as a standalone process.
 *
 *   npm run sim -- --scenario sim.yaml
 *   npm run sim -- --port 4010 --number +15550001000=http://127.0.0.1:3000/twilio/voice --human +15558880001=answer:2000
 *   npm run sim -- --plivo-number +14155550100=http://127.0.0.1:3000/plivo/voice,http://127.0.0.1:3000/plivo/status
 *   npm run sim -- --exotel-number +918045550100=http://exotel:SECRET@127.0.0.1:3000
 *
 * Prints one JSON line when ready (with the REST base URL and credentials), then every log
 * entry as a JSON line (unless --quiet). Ctrl-C stops it. Reads no environment variables.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ExotelNumberConfig } from '../providers/exotel/simulator/options.js';
import type { PlivoNumberConfig } from '../providers/plivo/simulator/options.js';
import type { HumanBehaviour } from './endpoints/human.js';
import { configureScenario, parseScenario, type Scenario, simulatorOptions } from './scenario.js';
import { startSimulator } from './simulator.js';

const USAGE = `usage: npm run sim -- [--scenario FILE] [--host H] [--port P] [--account-sid AC…] [--auth-token T]
       [--number NUMBER=VOICE_URL]… [--human ADDRESS=answer[:MS]|busy|no-answer|fail|reject]… [--quiet]
       [--plivo-auth-id MA…] [--plivo-auth-token T] [--plivo-number NUMBER=ANSWER_URL[,HANGUP_URL]]…
       [--exotel-account-sid S] [--exotel-api-key K] [--exotel-api-token T] [--exotel-number NUMBER=DAEMON_URL]…`;

function plivoNumber(spec: string): PlivoNumberConfig {
  const [answerUrl = '', hangupUrl] = spec.split(',');
  return { answerUrl, ...(hangupUrl === undefined ? {} : { hangupUrl }) };
}

/**
 * The flow docs/exotel.md has users build, on the daemon at `daemonUrl` (its base URL with the
 * webhook secret as userinfo, `http://exotel:SECRET@host:port`): Voicebot → Passthru `next` →
 * Connect (status events) → Hangup, and Passthru `dial-action` when nobody answered.
 */
function exotelNumber(daemonUrl: string): ExotelNumberConfig {
  const at = (path: string) => `${daemonUrl.replace(/\/+$/, '')}${path}`;
  return {
    flow: [
      { type: 'voicebot', id: 'voicebot', url: at('/exotel/voice'), next: 'next' },
      { type: 'passthru', id: 'next', url: at('/exotel/next'), next: 'connect', onRedirect: 'hangup' },
      {
        type: 'connect',
        id: 'connect',
        dialWhom: { url: at('/exotel/dial-up') },
        eventsUrl: at('/exotel/status'),
        next: 'hangup',
        onNoAnswer: 'dial-action',
      },
      {
        type: 'passthru',
        id: 'dial-action',
        url: at('/exotel/dial-action'),
        next: 'voicebot',
        onRedirect: 'next',
      },
      { type: 'hangup', id: 'hangup' },
    ],
    statusCallback: at('/exotel/status'),
  };
}

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
      'plivo-auth-id': { type: 'string' },
      'plivo-auth-token': { type: 'string' },
      'plivo-number': { type: 'string', multiple: true },
      'exotel-account-sid': { type: 'string' },
      'exotel-api-key': { type: 'string' },
      'exotel-api-token': { type: 'string' },
      'exotel-number': { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const base: Scenario = parseScenario(values.scenario ? await readFile(values.scenario, 'utf8') : '{}');
  const flag = <K extends string>(key: K, value: string | undefined) =>
    value === undefined ? {} : ({ [key]: value } as Record<K, string>);
  // Flags are merged into the scenario's raw form and validated again, so a bad flag is
  // reported like a bad scenario field.
  const scenario: Scenario = parseScenario(
    JSON.stringify({
      ...base,
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(values.port === undefined ? {} : { port: Number(values.port) }),
      twilio: {
        ...base.twilio,
        ...flag('accountSid', values['account-sid']),
        ...flag('authToken', values['auth-token']),
        numbers: {
          ...base.twilio.numbers,
          ...Object.fromEntries(pairs(values.number).map(([n, url]) => [n, { voiceUrl: url }])),
        },
      },
      plivo: {
        ...base.plivo,
        ...flag('authId', values['plivo-auth-id']),
        ...flag('authToken', values['plivo-auth-token']),
        numbers: {
          ...base.plivo.numbers,
          ...Object.fromEntries(pairs(values['plivo-number']).map(([n, spec]) => [n, plivoNumber(spec)])),
        },
      },
      exotel: {
        ...base.exotel,
        ...flag('accountSid', values['exotel-account-sid']),
        ...flag('apiKey', values['exotel-api-key']),
        ...flag('apiToken', values['exotel-api-token']),
        numbers: {
          ...base.exotel.numbers,
          ...Object.fromEntries(pairs(values['exotel-number']).map(([n, url]) => [n, exotelNumber(url)])),
        },
      },
      humans: {
        ...base.humans,
        ...Object.fromEntries(pairs(values.human).map(([a, s]) => [a, humanShorthand(s)])),
      },
    }),
  );
  const sim = await startSimulator(simulatorOptions(scenario));
  const cancelCalls = configureScenario(sim, scenario);
  if (!values.quiet) sim.log.subscribe((entry) => process.stdout.write(`${JSON.stringify(entry)}\n`));
  process.stdout.write(
    `${JSON.stringify({
      event: 'sim.ready',
      url: sim.url,
      twilio: {
        restBase: sim.url,
        accountSid: sim.twilio.accountSid,
        authToken: sim.twilio.authToken,
        numbers: Object.keys(scenario.twilio.numbers),
      },
      plivo: {
        apiBase: sim.url,
        authId: sim.plivo.authId,
        authToken: sim.plivo.authToken,
        numbers: Object.keys(scenario.plivo.numbers),
      },
      exotel: {
        apiBase: sim.url,
        accountSid: sim.exotel.accountSid,
        apiKey: sim.exotel.apiKey,
        apiToken: sim.exotel.apiToken,
        numbers: Object.keys(scenario.exotel.numbers),
      },
      numbers: Object.keys(scenario.twilio.numbers),
      humans: Object.keys(scenario.humans),
    })}\n`,
  );
  const shutdown = () => {
    cancelCalls();
    void sim.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exit(1);
});
