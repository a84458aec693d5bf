import { describe, expect, it } from 'vitest';
import { adapterFactoryFor } from '../../providers/index.js';
import { buildApp } from '../../src/app.js';
import { parseAgentsConfig } from '../../src/config/agents.js';
import { ConfigError } from '../../src/config/config-error.js';
import { demoAgentsInput } from '../../src/config/demo-agents.js';
import { parseEnv } from '../../src/config/env.js';
import { DaemonError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/log.js';

/** Per-carrier settings: the region of each carrier's numbers, and what Exotel needs to place calls. */

const EXOTEL = {
  EXOTEL_ACCOUNT_SID: 'acme',
  EXOTEL_API_KEY: 'key',
  EXOTEL_API_TOKEN: 'token',
  EXOTEL_WEBHOOK_SECRET: 'a-secret-of-16-chars',
};

function exotelAgents(outboundNumber: string | undefined) {
  const input = demoAgentsInput('ws://127.0.0.1:1/agent');
  const agent: Record<string, unknown> = {
    ...(input.agents[0] as unknown as Record<string, unknown>),
    carrier: 'exotel',
  };
  if (outboundNumber === undefined) delete agent['outboundNumber'];
  else agent['outboundNumber'] = outboundNumber;
  return parseAgentsConfig({ ...input, agents: [agent] }, { defaultRegion: 'US' });
}

describe('number regions', () => {
  it("each adapter reads its carrier's numbers in the carrier's home region unless told otherwise", () => {
    const env = parseEnv({ ...EXOTEL, TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't' });
    const region = (carrier: 'twilio' | 'exotel', numberRegion?: string) =>
      adapterFactoryFor(carrier)?.create({
        publicUrl: 'https://pt.example.com',
        credentials: env.carriers[carrier]!.credentials,
        ...(numberRegion === undefined ? {} : { numberRegion }),
      }).numberRegion;
    expect([region('twilio'), region('exotel')]).toEqual(['US', 'IN']);
    expect(region('exotel', 'LK')).toBe('LK');
    expect(() => region('exotel', 'XX')).toThrow(DaemonError);
  });

  it('parses {TWILIO,PLIVO,EXOTEL}_NUMBER_REGION and refuses an unknown region by name', () => {
    expect(parseEnv({ ...EXOTEL, EXOTEL_NUMBER_REGION: 'lk' }).carriers['exotel']?.numberRegion).toBe('LK');
    expect(() => parseEnv({ ...EXOTEL, EXOTEL_NUMBER_REGION: 'XX' })).toThrow(/EXOTEL_NUMBER_REGION/);
  });
});

describe('Exotel outbound calls need a flow', () => {
  it('refuses to start when an Exotel agent has an outbound number and EXOTEL_OUTBOUND_APP_ID is missing', () => {
    const build = (env: Record<string, string>, outbound: string | undefined) =>
      buildApp({ env: parseEnv({ ...EXOTEL, ...env }), agents: exotelAgents(outbound), log: silentLogger() });
    expect(() => build({}, '+918069891522')).toThrow(/EXOTEL_OUTBOUND_APP_ID is not set/);
    expect(() => build({ EXOTEL_OUTBOUND_APP_ID: '12345' }, '+918069891522')).not.toThrow();
    expect(() => build({}, undefined)).not.toThrow();
  });

  it('places calls into the flow URL Exotel documents', () => {
    const env = parseEnv({ ...EXOTEL, EXOTEL_OUTBOUND_APP_ID: '12345' });
    const adapter = adapterFactoryFor('exotel')!.create({
      publicUrl: 'https://pt.example.com',
      credentials: env.carriers['exotel']!.credentials,
    });
    expect(adapter.outboundNext()).toEqual({
      url: 'http://my.exotel.com/acme/exoml/start_voice/12345',
      statusCallbackUrl: 'https://exotel:a-secret-of-16-chars@pt.example.com/exotel/status',
    });
    expect(() => parseEnv({ ...EXOTEL, EXOTEL_OUTBOUND_APP_ID: 'http://x' })).toThrow(ConfigError);
  });
});
