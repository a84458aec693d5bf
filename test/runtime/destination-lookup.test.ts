import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../src/config/agents.js';
import {
  LOOKUP_SIGNATURE_HEADER,
  LOOKUP_TIMESTAMP_HEADER,
  verifyLookupSignature,
} from '../../src/lib/lookup-signature.js';
import { silentLogger } from '../../src/log.js';
import { newCallRecord } from '../../src/runtime/call-record.js';
import { DestinationLookups } from '../../src/runtime/destination-lookup.js';
import { planTransfer } from '../../src/transfer/plan.js';
import type { TransferTrigger } from '../../src/transfer/plan-types.js';
import { settles } from '../support/eventually.js';

/**
 * flowyte's dynamic destination against a real HTTP server that checks the signature as a
 * receiver should (src/lib/lookup-signature.ts, a 300 s tolerance against replays): an answer,
 * a timeout, an error, a refusal, a destination the policy refuses, a replayed request, and no
 * secret at all. Each ends in a planned transfer or a typed refusal, within the lookup's bound.
 */

const SECRET = 'lookup-secret-0123456789abcdef';

interface Seen {
  readonly raw: string;
  readonly headers: IncomingMessage['headers'];
  readonly check: string;
}

/** What the server does with the next request, after checking its signature. */
let behaviour: (res: ServerResponse) => void = (res) => res.end();
const seen: Seen[] = [];
const held: ServerResponse[] = [];
let server: Server;
let url: string;

/** The receiver's clock, unix seconds (a test moves it to replay a request later). */
let receiverNowSec = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const check = verifyLookupSignature({
        secret: SECRET,
        timestamp: header(LOOKUP_TIMESTAMP_HEADER),
        signature: header(LOOKUP_SIGNATURE_HEADER),
        rawBody: raw,
        nowSec: receiverNowSec(),
      });
      seen.push({ raw, headers: req.headers, check });
      if (check !== 'ok') {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: check }));
        return;
      }
      behaviour(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup`;
});

afterEach(() => {
  for (const res of held.splice(0)) res.destroy();
  seen.length = 0;
  receiverNowSec = () => Math.floor(Date.now() / 1000);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const answer =
  (status: number, body: unknown) =>
  (res: ServerResponse): void => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };

function agent(extra: Record<string, unknown> = {}) {
  return parseAgentConfig(
    {
      id: 'franchise',
      agent: { url: 'ws://127.0.0.1:9/agent' },
      skills: [
        {
          name: 'Account owner',
          description: 'Transfer an existing customer to the rep who owns their account.',
          skillType: 'transfer',
          executionConfig: { lookup: { url, timeoutMs: 300 } },
        },
      ],
      destinationPolicy: { allow: ['+1415555*'] },
      ...extra,
    },
    { defaultRegion: 'US' },
  );
}

const record = newCallRecord({
  callId: 'CA1',
  carrier: 'twilio',
  agentId: 'franchise',
  agentVersion: 1,
  direction: 'inbound',
  from: '+14155559999',
  to: '+14155550100',
  nowMs: 0,
});

const SKILL: TransferTrigger = { type: 'skill', name: 'Account owner', confirmed: false };

async function plan(
  options: { extra?: Record<string, unknown>; secret?: string; nowMs?: () => number } = {},
) {
  const config = agent(options.extra);
  const lookups = new DestinationLookups({
    secret: 'secret' in options ? options.secret : SECRET,
    log: silentLogger(),
    ...(options.nowMs === undefined ? {} : { now: options.nowMs }),
  });
  // Never a hang: the lookup settles within its own bound (300 ms) plus slack for the machine.
  const trigger = await settles(lookups.resolve(config, SKILL, record), 'the lookup to settle', {
    timeoutMs: 3000,
  });
  return {
    trigger,
    result: planTransfer(config, trigger, { nowMs: 0, defaultRegion: 'US', callerNumber: record.pii.from }),
  };
}

describe('destination lookup webhook (real HTTP server)', () => {
  it('answer: the signed context goes out, the destination comes back and is dialed', async () => {
    behaviour = answer(200, { destination: '+1 415 555 0177' });
    const { result } = await plan();
    expect(result).toMatchObject({ ok: true, plan: { chain: ['+14155550177'], trigger: 'skill' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.check).toBe('ok');
    expect(JSON.parse(seen[0]!.raw)).toEqual({
      callId: 'CA1',
      agentId: 'franchise',
      skill: 'Account owner',
      carrier: 'twilio',
      direction: 'inbound',
      from: '+14155559999',
      to: '+14155550100',
    });
    expect(seen[0]?.headers[LOOKUP_SIGNATURE_HEADER]).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it('timeout: bounded by timeoutMs, then the default destination', async () => {
    behaviour = (res) => held.push(res);
    const { trigger, result } = await plan({
      extra: { handoffConfig: { transferDestination: '+14155550133' } },
    });
    expect(trigger).toMatchObject({
      lookup: { ok: false, detail: 'the lookup did not answer within 300 ms' },
    });
    expect(result).toMatchObject({ ok: true, plan: { chain: ['+14155550133'] } });
  });

  it('timeout without a default destination: the typed refusal lookup_failed', async () => {
    behaviour = (res) => held.push(res);
    const { result } = await plan();
    expect(result).toMatchObject({ ok: false, refusal: 'lookup_failed' });
  });

  it('error: an HTTP 500 is a failed lookup (default destination, else lookup_failed)', async () => {
    behaviour = answer(500, { error: 'database down' });
    expect((await plan()).result).toMatchObject({
      ok: false,
      refusal: 'lookup_failed',
      detail: 'skill "Account owner": the lookup answered HTTP 500',
    });
    behaviour = answer(500, { error: 'database down' });
    const withDefault = await plan({ extra: { handoffConfig: { transferDestination: '+14155550133' } } });
    expect(withDefault.result).toMatchObject({ ok: true, plan: { chain: ['+14155550133'] } });
  });

  it('refusal: an answer without a destination is lookup_failed', async () => {
    behaviour = answer(200, { destination: null });
    expect((await plan()).result).toMatchObject({
      ok: false,
      refusal: 'lookup_failed',
      detail: 'skill "Account owner": the lookup named no destination',
    });
  });

  it('a destination the policy refuses is refused, whatever the lookup said', async () => {
    behaviour = answer(200, { destination: '+19005550199' });
    expect((await plan()).result).toMatchObject({ ok: false, refusal: 'destination_not_allowed' });
  });

  it('replay: the receiver refuses a recorded request sent again past its tolerance, and a changed body', async () => {
    behaviour = answer(200, { destination: '+14155550177' });
    await plan();
    const first = seen[0]!;
    expect(first.check).toBe('ok');
    const replay = (body: string) =>
      fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [LOOKUP_TIMESTAMP_HEADER]: String(first.headers[LOOKUP_TIMESTAMP_HEADER]),
          [LOOKUP_SIGNATURE_HEADER]: String(first.headers[LOOKUP_SIGNATURE_HEADER]),
        },
        body,
      });
    // The same bytes six minutes later: stale.
    const later = receiverNowSec() + 360;
    receiverNowSec = () => later;
    expect((await replay(first.raw)).status).toBe(401);
    expect(seen[1]?.check).toBe('stale');
    // Within the tolerance but with another body: the MAC does not match.
    receiverNowSec = () => Math.floor(Date.now() / 1000);
    expect((await replay(first.raw.replace('Account owner', 'Escalate'))).status).toBe(401);
    expect(seen[2]?.check).toBe('mismatch');
  });

  it('a daemon whose clock is off is refused by the receiver: a failed lookup, never a hang', async () => {
    behaviour = answer(200, { destination: '+14155550177' });
    const { result } = await plan({ nowMs: () => Date.now() - 3_600_000 });
    expect(seen[0]?.check).toBe('stale');
    expect(result).toMatchObject({ ok: false, refusal: 'lookup_failed' });
  });

  it('no LOOKUP_SIGNING_SECRET: nothing is sent unsigned; lookup_failed', async () => {
    const { result } = await plan({ secret: undefined });
    expect(seen).toEqual([]);
    expect(result).toMatchObject({ ok: false, refusal: 'lookup_failed' });
  });

  it('a skill with a fixed destination is not looked up', async () => {
    const config = agent({
      skills: [
        {
          name: 'Account owner',
          description: 'x',
          skillType: 'transfer',
          executionConfig: { destination: '+14155550111', lookup: { url } },
        },
      ],
    });
    const lookups = new DestinationLookups({ secret: SECRET, log: silentLogger() });
    expect(await lookups.resolve(config, SKILL, record)).toEqual(SKILL);
    expect(seen).toEqual([]);
  });
});
