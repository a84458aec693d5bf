/**
 * The control path's floor, in a process of its own: a server that does, for each webhook, the
 * messages a transition is made of and nothing the daemon decides — the daemon's own HTTP server
 * options, signature check and form parser; one Lua script on the daemon's Redis client options
 * saving a record of a real record's size, encoded per call as a commit encodes it; one carrier
 * REST request through the daemon's HTTP pool; one message on an agent socket; a TwiML reply.
 * What one of the daemon's transitions costs beyond this is its own (floor.ts).
 *
 * Configured by one JSON argument ({@link FloorChildConfig}); reports to the parent over IPC.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { WebSocket } from 'ws';
import { createHttpPool, pooledRequest } from '../../providers/shared/http-pool.js';
import { verifyTwilioWebhook } from '../../providers/twilio/signature.js';
import { parseForm } from '../../src/http/form.js';
import { SERVER_OPTIONS } from '../../src/http/server.js';
import { createClient, DEFAULT_STORE_RETRY } from '../../src/store/redis-client.js';
import { serveParent } from '../lib/ipc.js';
import { startProbe } from '../lib/probe.js';

export interface FloorChildConfig {
  readonly redisUrl: string;
  /** The carrier's REST base (`http://127.0.0.1:port`). */
  readonly restBase: string;
  readonly agentUrl: string;
  readonly authToken: string;
  readonly accountSid: string;
}

export interface FloorReady {
  readonly port: number;
  readonly pid: number;
}

/** A transfer's record is ≈ 2.7 KB of JSON (docs/performance.md); this one is its size and shape. */
function floorRecord(callSid: string, version: number): Record<string, unknown> {
  return {
    callId: callSid,
    version,
    phase: 'transferring',
    carrier: 'twilio',
    agentId: 'bench',
    agentVersion: 1,
    timeline: Array.from({ length: 18 }, (_, i) => ({
      atMs: 1_764_000_000_000 + i * 250,
      event: `transfer.event:leg.step${i}`,
      detail: { legId: `leg-${callSid}-${i}`, status: 'in-progress', attempt: i },
    })),
  };
}

/** Compare-and-set of a record by version, as a commit is: one script, one round trip. */
const SAVE = `
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return {0, v} end
redis.call('HSET', KEYS[1], 'v', v + 1, 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], 600000)
return {1, v + 1}`;

const config = JSON.parse(process.argv[2] ?? '{}') as FloorChildConfig;
const redis = createClient({ redisUrl: config.redisUrl }, DEFAULT_STORE_RETRY);
const sha = String(await redis.script('LOAD', SAVE));
const pool = createHttpPool();
const agent = new WebSocket(config.agentUrl, { perMessageDeflate: false, skipUTF8Validation: true });
await new Promise<void>((resolve, reject) => {
  agent.once('open', () => resolve());
  agent.once('error', reject);
});
const versions = new Map<string, number>();
const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
const restUrl = `${config.restBase}/2010-04-01/Accounts/${config.accountSid}/Calls.json`;
/** Handler entry → the REST request's start, ms, since the last `take`. */
let latencies: number[] = [];
let units = 0;

const app = Fastify(SERVER_OPTIONS);
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/floor/webhook', async (req, reply) => {
  const startedAt = performance.now();
  const rawBody = (req.body as Buffer).toString('utf8');
  const params = parseForm(rawBody);
  const url = `http://127.0.0.1:${port}${req.url}`;
  if (!verifyTwilioWebhook(config.authToken, { method: 'POST', url, headers: req.headers, rawBody, params }))
    return reply.code(403).send({ error: { code: 'signature_invalid' } });
  const callSid = String(params['CallSid'] ?? '');
  const version = versions.get(callSid) ?? 0;
  const saved = (await redis.evalsha(
    sha,
    1,
    `floor:${callSid}`,
    version,
    JSON.stringify(floorRecord(callSid, version + 1)),
  )) as [number, number];
  versions.set(callSid, saved[1]);
  latencies.push(performance.now() - startedAt);
  const created = await pooledRequest(pool, restUrl, {
    method: 'POST',
    headers: {
      authorization,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({
      To: '+14155550111',
      From: String(params['To'] ?? ''),
      Url: `http://127.0.0.1:${port}/floor/answer?callId=${callSid}`,
      StatusCallback: `http://127.0.0.1:${port}/floor/status?callId=${callSid}`,
      StatusCallbackEvent: 'initiated ringing answered completed',
      Timeout: '30',
    }).toString(),
  });
  const leg = JSON.parse(created.text) as { sid?: string };
  agent.send(JSON.stringify({ event: 'transfer_status', callId: callSid, leg: leg.sid, status: 'dialing' }));
  units += 1;
  return reply
    .type('text/xml')
    .send('<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="1"/></Response>');
});
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as AddressInfo).port;
const probe = startProbe();

const ready: FloorReady = { port, pid: process.pid };
serveParent(ready, {
  sample: (body) => probe.sample((body ?? {}) as { reset?: boolean }),
  /** The latencies and the count of units since the last `take`. */
  take: () => {
    const out = { latencies, units };
    latencies = [];
    units = 0;
    return out;
  },
  stop: async () => {
    agent.close();
    await app.close();
    redis.disconnect();
    pool.http.destroy();
  },
});
