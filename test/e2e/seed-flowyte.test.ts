import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLookupSignature } from '../../src/lib/lookup-signature.js';
import { useE2e } from './fixture.js';
import { waitForRecord } from './harness.js';
import { runSeed, seedAgent } from './seed-support.js';

/**
 * flowyte (seeds 000 and 001), end to end on every carrier: the page's `handoffConfig` and
 * transfer skill as written (the default destination, `+14155550100`, is the simulator's inbound
 * number, so it is changed), published as an agent; the skill's tool with the caller's
 * confirmation gives a warm transfer whose whisper is the agent's summary (Exotel: warm runs as
 * cold, the whisper played to the callee). The page's tip, a dynamic destination, comes from a
 * signed lookup webhook served here.
 */

const WARM_SUMMARY = 'Caller disputes a March invoice and wants a refund.';
const OWNER = '+14155550177';
const SECRET = 'e2e-lookup-secret-0123456789';
const WRITE_KEY = 'e2e-writer-key-0123456789';

/** The page's PATCH body and skill, verbatim but for the default number. */
const FLOWYTE = {
  handoffConfig: {
    warm: true,
    transferDestination: '+14155550130',
    transferRules: [
      {
        label: 'Billing',
        when: 'caller asks about an invoice, charge, or refund',
        destination: '+14155550111',
      },
      { label: 'Spanish line', when: 'caller prefers Spanish', destination: '+14155550122' },
    ],
  },
  skills: [
    {
      name: 'Transfer to billing',
      description:
        'Transfer the caller to a billing specialist when they ask about an invoice, charge, or refund.',
      skillType: 'transfer',
      executionConfig: { destination: '+14155550111' },
      requiresConfirmation: true,
      stakes: 'medium',
    },
  ],
};

const TALKS = { type: 'answer', afterMs: 300, speak: { type: 'tone', hz: 660 } } as const;

let lookup: Server;
let lookupUrl: string;
const lookupChecks: string[] = [];

beforeAll(async () => {
  lookup = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const check = verifyLookupSignature({
        secret: SECRET,
        timestamp: req.headers['x-patchthrough-timestamp'] as string | undefined,
        signature: req.headers['x-patchthrough-signature'] as string | undefined,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        nowSec: Math.floor(Date.now() / 1000),
      });
      lookupChecks.push(check);
      res.statusCode = check === 'ok' ? 200 : 401;
      res.end(JSON.stringify(check === 'ok' ? { destination: OWNER } : { error: check }));
    });
  });
  await new Promise<void>((resolve) => lookup.listen(0, '127.0.0.1', resolve));
  lookupUrl = `http://127.0.0.1:${(lookup.address() as AddressInfo).port}/owner`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => lookup.close(() => resolve()));
});

/** The page's configuration, cold, with the tip's dynamic destination: a skill with a lookup. */
function withLookup(): Record<string, unknown> {
  return {
    ...FLOWYTE,
    handoffConfig: { ...FLOWYTE.handoffConfig, warm: false },
    skills: [
      ...FLOWYTE.skills,
      {
        name: 'Account owner',
        description: 'Transfer an existing customer to the rep who owns their account.',
        skillType: 'transfer',
        executionConfig: { lookup: { url: lookupUrl, timeoutMs: 2000 } },
      },
    ],
    destinationPolicy: { allow: ['+1415555*'] },
  };
}

describe.each(['twilio', 'plivo', 'exotel'] as const)('flowyte (seeds 000, 001) on %s', (carrier) => {
  // The whisper and the rings cost no wall time on virtual time; the lookup's signature is
  // checked against the system clock, so the lookups stay on real time and Redis.
  describe('virtual time', () => {
    const e2e = useE2e(carrier, { virtualTime: true });

    it('the transfer skill, confirmed: warm, the agent’s summary whispered to the specialist', async () => {
      const h = await runSeed(e2e, {
        script: [
          { say: 300 },
          { toolCall: { name: 'transfer_to_billing', arguments: { confirmed: true } } },
          { say: 100 },
        ],
        summary: WARM_SUMMARY,
        agent: seedAgent(FLOWYTE),
      });
      const billing = h.sim.network.addHuman('+14155550111', TALKS);
      const call = await e2e.placeCall(h);
      // Exotel says the whisper before it bridges, and tells nothing at the bridge: the transfer is
      // connected once the whisper's budget (80 ms a character) has passed.
      const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 30_000);
      expect(connected.transfers).toMatchObject([
        { mode: carrier === 'exotel' ? 'cold' : 'warm', trigger: 'skill', outcome: 'connected' },
      ]);
      // Exotel's playback of a long whisper takes a while (60 ms a character) before the bridge.
      await h.sim.waitFor(
        () => call.heard.from('party:').length > 0 && billing.heard.from('party:').length > 0,
        12_000,
      );
      const whisper = billing.heard.first('say');
      // Exotel runs warm as cold: the summary is not asked for, the reason's template stands in.
      expect(whisper?.text).toBe(
        carrier === 'exotel'
          ? 'Incoming transfer: Transfer the caller to a billing specialist when they ask about an invoice, charge, or refund.'
          : WARM_SUMMARY,
      );
      // Heard first (the end may share a 20 ms frame with the join).
      expect(whisper!.startMs).toBeLessThan(billing.heard.first('party:')!.startMs);
      expect(call.heard.from('say')).toEqual([]);
      call.hangup();
      expect((await waitForRecord(h, call.sid, (r) => r.phase === 'ended')).endedReason).toBe('transferred');
    });
  });

  describe('Redis', () => {
    const e2e = useE2e(carrier);

    it('a dynamic destination from the signed lookup webhook', async () => {
      lookupChecks.length = 0;
      const h = await runSeed(e2e, {
        script: [{ say: 300 }, { transfer: { skill: 'Account owner' } }, { say: 100 }],
        env: { LOOKUP_SIGNING_SECRET: SECRET },
        agent: seedAgent(withLookup()),
      });
      const owner = h.sim.network.addHuman(OWNER, TALKS);
      const call = await e2e.placeCall(h);
      const connected = await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
      expect(lookupChecks).toEqual(['ok']);
      expect(connected.transfers).toMatchObject([{ mode: 'cold', trigger: 'skill', outcome: 'connected' }]);
      await h.sim.waitFor(() => owner.heard.from('party:').length > 0, 5000);
      call.hangup();
    });

    it.runIf(carrier === 'twilio')('the API names the skill: its lookup is asked too', async () => {
      lookupChecks.length = 0;
      const h = await runSeed(e2e, {
        script: [{ say: 300 }],
        env: {
          LOOKUP_SIGNING_SECRET: SECRET,
          PATCHTHROUGH_API_KEYS: `${WRITE_KEY}:calls:read+calls:write`,
        },
        agent: seedAgent(withLookup()),
      });
      const owner = h.sim.network.addHuman(OWNER, TALKS);
      const call = await e2e.placeCall(h);
      await h.sim.waitFor(() => call.heard.from('stream:').length > 0, 5000);
      const res = await h.app.http.inject({
        method: 'POST',
        url: `/v1/calls/${call.sid}/transfer`,
        headers: { authorization: `Bearer ${WRITE_KEY}` },
        payload: { skill: 'Account owner' },
      });
      expect(res.statusCode, res.body).toBe(202);
      await waitForRecord(h, call.sid, (r) => r.phase === 'human', 15_000);
      expect(lookupChecks).toEqual(['ok']);
      await h.sim.waitFor(() => owner.heard.from('party:').length > 0, 5000);
      call.hangup();
    });
  });
});
