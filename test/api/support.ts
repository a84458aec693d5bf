import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { type App, type AppOptions, buildApp } from '../../src/app.js';
import { API_SCOPES, type ApiScope } from '../../src/config/api-keys.js';
import { parseEnv } from '../../src/config/env.js';
import { silentLogger } from '../../src/log.js';
import { agentsConfig } from './fixtures.js';

export const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
export const AUTH_TOKEN = 'api-test-auth-token';
export const PUBLIC_URL = 'http://127.0.0.1:18080';
export const CALLER = '+14155559999';
export const FRONT_DESK = '+14155550100';

/** A key holding exactly one scope, per scope. */
export const ONE_SCOPE_KEY: Readonly<Record<ApiScope, string>> = Object.fromEntries(
  API_SCOPES.map((scope) => [scope, `only-${scope.replace(':', '-')}-0123456789`]),
) as Record<ApiScope, string>;
/** A key holding every scope but one, per scope. */
export const ALL_BUT_KEY: Readonly<Record<ApiScope, string>> = Object.fromEntries(
  API_SCOPES.map((scope) => [scope, `allbut-${scope.replace(':', '-')}-0123456789`]),
) as Record<ApiScope, string>;
export const ALL_KEY = 'every-scope-key-0123456789';

export const API_KEYS_JSON = JSON.stringify([
  { key: ALL_KEY, scopes: [...API_SCOPES] },
  ...API_SCOPES.map((scope) => ({ key: ONE_SCOPE_KEY[scope], scopes: [scope] })),
  ...API_SCOPES.map((scope) => ({ key: ALL_BUT_KEY[scope], scopes: API_SCOPES.filter((s) => s !== scope) })),
]);

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/** A stand-in for Twilio's REST API: answers every request with a call resource, records them. */
export interface FakeTwilioRest {
  readonly url: string;
  readonly requests: { method: string; path: string; form: Record<string, string> }[];
  close(): Promise<void>;
}

let sidCounter = 0;
export function callSid(): string {
  sidCounter += 1;
  return `CA${sidCounter.toString(16).padStart(32, '0')}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => resolve(body));
  });
}

export async function startFakeTwilioRest(): Promise<FakeTwilioRest> {
  const requests: FakeTwilioRest['requests'] = [];
  const server: Server = createServer((req, res) => {
    readBody(req).then(
      (body) => answer(req, res, body),
      () => res.destroy(),
    );
  });
  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const form = Object.fromEntries(new URLSearchParams(body));
    requests.push({ method: req.method ?? '', path: req.url ?? '', form });
    const existing = /\/Calls\/(CA[0-9a-f]{32})\.json/.exec(req.url ?? '')?.[1];
    res.writeHead(req.method === 'POST' && existing === undefined ? 201 : 200, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ sid: existing ?? callSid(), account_sid: ACCOUNT_SID, status: 'queued' }));
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ApiApp {
  readonly app: App;
  readonly rest: FakeTwilioRest;
  /** A signed Twilio webhook, as Twilio would POST it. */
  webhook(path: string, params: Record<string, string>): Promise<{ statusCode: number; body: string }>;
  /** A new inbound call to `to` through the signed voice webhook; returns its CallSid. */
  incomingCall(to?: string): Promise<string>;
  close(): Promise<void>;
}

/** The daemon as buildApp wires it (memory store unless given), Twilio configured against a fake REST API. */
export async function startApiApp(
  options: { env?: Record<string, string>; app?: Partial<AppOptions>; agentUrl?: string } = {},
): Promise<ApiApp> {
  const rest = await startFakeTwilioRest();
  const env = parseEnv({
    PORT: '18080',
    HOST: '127.0.0.1',
    PUBLIC_URL,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: rest.url,
    PATCHTHROUGH_API_KEYS: API_KEYS_JSON,
    ...options.env,
  });
  const app = buildApp({ env, agents: agentsConfig(options.agentUrl), log: silentLogger(), ...options.app });
  const webhook: ApiApp['webhook'] = async (path, params) => {
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, PUBLIC_URL + path, params);
    const res = await app.http.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      payload: new URLSearchParams(params).toString(),
    });
    return { statusCode: res.statusCode, body: res.body };
  };
  return {
    app,
    rest,
    webhook,
    async incomingCall(to = FRONT_DESK) {
      const sid = callSid();
      const res = await webhook('/twilio/voice', {
        CallSid: sid,
        AccountSid: ACCOUNT_SID,
        From: CALLER,
        To: to,
        Direction: 'inbound',
      });
      if (res.statusCode !== 200 || !res.body.includes('<Stream'))
        throw new Error(`voice webhook: ${res.statusCode} ${res.body}`);
      return sid;
    },
    async close() {
      await app.close();
      await rest.close();
    },
  };
}
