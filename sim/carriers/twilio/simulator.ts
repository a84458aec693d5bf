/** The Twilio simulator's registration (sim/carriers/index.ts). */
import { defineCarrierSimulator, defined, flagPairs, stringFlag } from '../../carrier-simulator.js';
import { TwilioFrontEnd } from './front-end.js';
import type { TwilioSimulatorOptions } from './options.js';
import { type TwilioScenario, twilioScenarioSchema } from './scenario.js';

export const twilioSimulator = defineCarrierSimulator({
  carrier: 'twilio',
  create: (ctx, options?: TwilioSimulatorOptions) => new TwilioFrontEnd(ctx, options),
  scenarioSchema: twilioScenarioSchema,
  optionsFrom: (s: TwilioScenario): TwilioSimulatorOptions => ({
    ...s.options,
    ...defined({ accountSid: s.accountSid, authToken: s.authToken }),
  }),
  configure(frontEnd, s) {
    for (const [number, config] of Object.entries(s.numbers)) frontEnd.configureNumber(number, config);
  },
  // The first carrier's flags kept their unprefixed names.
  cliFlags: {
    'account-sid': { type: 'string' },
    'auth-token': { type: 'string' },
    number: { type: 'string', multiple: true },
  },
  cliUsage: '[--account-sid AC…] [--auth-token T] [--number NUMBER=VOICE_URL]…',
  applyFlags: (s, values) => ({
    ...s,
    ...stringFlag(values, 'account-sid', 'accountSid'),
    ...stringFlag(values, 'auth-token', 'authToken'),
    numbers: {
      ...s.numbers,
      ...Object.fromEntries(flagPairs(values, 'number').map(([n, url]) => [n, { voiceUrl: url }])),
    },
  }),
  /** docs/twilio.md: the number's voice URL, the same URL as its fallback, and the status callback. */
  connectNumber(frontEnd, number, daemonUrl) {
    const at = (path: string) => `${daemonUrl.replace(/\/+$/, '')}${path}`;
    frontEnd.configureNumber(number, {
      voiceUrl: at('/twilio/voice'),
      voiceFallbackUrl: at('/twilio/voice'),
      statusCallback: at('/twilio/status'),
    });
  },
  daemonEnv: (frontEnd, simUrl) => ({
    TWILIO_ACCOUNT_SID: frontEnd.accountSid,
    TWILIO_AUTH_TOKEN: frontEnd.authToken,
    TWILIO_API_BASE: simUrl,
  }),
  describe: (frontEnd, s, simUrl) => ({
    restBase: simUrl,
    accountSid: frontEnd.accountSid,
    authToken: frontEnd.authToken,
    numbers: Object.keys(s.numbers),
  }),
});
