/** The Exotel simulator's registration (sim/carriers/index.ts). */
import { defineCarrierSimulator, defined, flagPairs, stringFlag } from '../../carrier-simulator.js';
import { daemonFlow } from './daemon-flow.js';
import { ExotelFrontEnd } from './front-end.js';
import type { ExotelSimulatorOptions } from './options.js';
import { type ExotelScenario, exotelScenarioSchema } from './scenario.js';

export const exotelSimulator = defineCarrierSimulator({
  carrier: 'exotel',
  create: (ctx, options?: ExotelSimulatorOptions) => new ExotelFrontEnd(ctx, options),
  scenarioSchema: exotelScenarioSchema,
  optionsFrom: (s: ExotelScenario): ExotelSimulatorOptions => ({
    ...s.options,
    ...defined({
      accountSid: s.accountSid,
      apiKey: s.apiKey,
      apiToken: s.apiToken,
      daemonWebhookSecret: s.daemonWebhookSecret,
      daemonOutboundAppId: s.daemonOutboundAppId,
    }),
  }),
  configure(frontEnd, s) {
    for (const [number, config] of Object.entries(s.numbers)) frontEnd.configureNumber(number, config);
  },
  cliFlags: {
    'exotel-account-sid': { type: 'string' },
    'exotel-api-key': { type: 'string' },
    'exotel-api-token': { type: 'string' },
    'exotel-number': { type: 'string', multiple: true },
  },
  cliUsage:
    '[--exotel-account-sid S] [--exotel-api-key K] [--exotel-api-token T] [--exotel-number NUMBER=DAEMON_URL]…',
  // `--exotel-number` takes the daemon's base URL with the webhook secret as userinfo
  // (`http://exotel:SECRET@host:port`), and builds the flow docs/exotel.md describes.
  applyFlags: (s, values) => ({
    ...s,
    ...stringFlag(values, 'exotel-account-sid', 'accountSid'),
    ...stringFlag(values, 'exotel-api-key', 'apiKey'),
    ...stringFlag(values, 'exotel-api-token', 'apiToken'),
    numbers: {
      ...s.numbers,
      ...Object.fromEntries(
        flagPairs(values, 'exotel-number').map(([n, url]) => [
          n,
          // The flow docs/exotel.md has users build, its Connect applet ringing as long as an
          // agent's cold transfer does by default (10 s).
          daemonFlow(url, s.daemonWebhookSecret ?? 'sim-exotel-webhook-secret', { ringTimeoutSec: 10 }),
        ]),
      ),
    },
  }),
  /**
   * docs/exotel.md: the ExoPhone runs the daemon's flow, its URLs carrying the webhook secret;
   * outbound calls run the same flow, registered as the app {@link daemonEnv} names.
   */
  connectNumber(frontEnd, number, daemonUrl) {
    const flow = daemonFlow(daemonUrl, frontEnd.daemonWebhookSecret);
    frontEnd.configureNumber(number, flow);
    frontEnd.configureFlow(frontEnd.daemonOutboundAppId, flow.flow);
  },
  daemonEnv: (frontEnd, simUrl) => ({
    EXOTEL_ACCOUNT_SID: frontEnd.accountSid,
    EXOTEL_API_KEY: frontEnd.apiKey,
    EXOTEL_API_TOKEN: frontEnd.apiToken,
    EXOTEL_API_BASE: simUrl,
    EXOTEL_WEBHOOK_SECRET: frontEnd.daemonWebhookSecret,
    EXOTEL_OUTBOUND_APP_ID: frontEnd.daemonOutboundAppId,
  }),
  describe: (frontEnd, s, simUrl) => ({
    apiBase: simUrl,
    accountSid: frontEnd.accountSid,
    apiKey: frontEnd.apiKey,
    apiToken: frontEnd.apiToken,
    numbers: Object.keys(s.numbers),
  }),
});
