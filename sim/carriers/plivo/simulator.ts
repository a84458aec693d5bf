/** The Plivo simulator's registration (sim/carriers/index.ts). */
import { defineCarrierSimulator, defined, flagPairs, stringFlag } from '../../carrier-simulator.js';
import { PlivoFrontEnd } from './front-end.js';
import type { PlivoNumberConfig, PlivoSimulatorOptions } from './options.js';
import { type PlivoScenario, plivoScenarioSchema } from './scenario.js';

/** `--plivo-number NUMBER=ANSWER_URL[,HANGUP_URL]`. */
function plivoNumber(spec: string): PlivoNumberConfig {
  const [answerUrl = '', hangupUrl] = spec.split(',');
  return { answerUrl, ...(hangupUrl === undefined ? {} : { hangupUrl }) };
}

export const plivoSimulator = defineCarrierSimulator({
  carrier: 'plivo',
  create: (ctx, options?: PlivoSimulatorOptions) => new PlivoFrontEnd(ctx, options),
  scenarioSchema: plivoScenarioSchema,
  optionsFrom: (s: PlivoScenario): PlivoSimulatorOptions => ({
    ...s.options,
    ...defined({ authId: s.authId, authToken: s.authToken }),
  }),
  configure(frontEnd, s) {
    for (const [number, config] of Object.entries(s.numbers)) frontEnd.configureNumber(number, config);
  },
  cliFlags: {
    'plivo-auth-id': { type: 'string' },
    'plivo-auth-token': { type: 'string' },
    'plivo-number': { type: 'string', multiple: true },
  },
  cliUsage: '[--plivo-auth-id MA…] [--plivo-auth-token T] [--plivo-number NUMBER=ANSWER_URL[,HANGUP_URL]]…',
  applyFlags: (s, values) => ({
    ...s,
    ...stringFlag(values, 'plivo-auth-id', 'authId'),
    ...stringFlag(values, 'plivo-auth-token', 'authToken'),
    numbers: {
      ...s.numbers,
      ...Object.fromEntries(flagPairs(values, 'plivo-number').map(([n, spec]) => [n, plivoNumber(spec)])),
    },
  }),
  /** docs/plivo.md: the application's answer URL, the same URL as its fallback, and the hangup URL. */
  connectNumber(frontEnd, number, daemonUrl) {
    const at = (path: string) => `${daemonUrl.replace(/\/+$/, '')}${path}`;
    frontEnd.configureNumber(number, {
      answerUrl: at('/plivo/voice'),
      fallbackUrl: at('/plivo/voice'),
      hangupUrl: at('/plivo/status'),
    });
  },
  daemonEnv: (frontEnd, simUrl) => ({
    PLIVO_AUTH_ID: frontEnd.authId,
    PLIVO_AUTH_TOKEN: frontEnd.authToken,
    PLIVO_API_BASE: simUrl,
  }),
  describe: (frontEnd, s, simUrl) => ({
    apiBase: simUrl,
    authId: frontEnd.authId,
    authToken: frontEnd.authToken,
    numbers: Object.keys(s.numbers),
  }),
});
