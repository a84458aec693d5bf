/**
 * The fault API of the standalone simulator, under `/sim/` beside the control API. JSON in and
 * out; every body is validated and a bad one is a 400 naming the field.
 *
 * - `GET    /sim/faults` → `[{ id, rule, hits, remaining }]`
 * - `POST   /sim/faults` (a fault rule, as in docs/simulator.md "Faults on demand") → 201 `{ id, rule, hits, remaining }`
 * - `DELETE /sim/faults/{id}` → 204 (404 if there is none); `DELETE /sim/faults` → 204, every rule removed
 * - `POST   /sim/adversary` `{ seed, mode, calls?, lossy?, humans?, agentConnectTimeoutMs? }` →
 *   201: the next `calls` (1) calls placed each get the plan of seed `seed + k` (k from 0) for
 *   their carrier, installed before the carrier sees the call; the previous call's faults still
 *   unused are removed then
 * - `GET    /sim/adversary` → `{ pending, applied: [{ callSid, plan }] }`
 * - `DELETE /sim/adversary` → 204: nothing more is applied, the current plan's faults are removed
 */
import { z } from 'zod';
import {
  type AdversityPlan,
  type AppliedAdversity,
  adversityFor,
  applyAdversity,
} from './adversary/adversary.js';
import { ADVERSARY_CARRIERS, ADVERSARY_MODES, type AdversaryCarrier } from './adversary/table.js';
import type { SimCall } from './endpoints/caller.js';
import {
  CALLER_HANGUP_PHASES,
  type FaultHandle,
  type FaultRule,
  type Faults,
  HANGUP_PHASES,
} from './faults.js';
import type { SimHttpRequest, SimHttpResponse } from './front-end.js';
import type { RouteHandler } from './http-server.js';
import type { Network } from './network.js';

const times = z.number().int().min(1).max(1_000_000).optional();
const ms = z.number().int().min(0).max(600_000);
const match = z
  .object({
    kind: z.string().min(1).optional(),
    event: z.string().min(1).optional(),
    callSid: z.string().min(1).optional(),
    /** A substring of the URL (RegExps are for in-process use). */
    url: z.string().min(1).optional(),
  })
  .strict()
  .optional();
const restPath = { method: z.enum(['GET', 'POST', 'DELETE']).optional(), path: z.string().min(1) };

export const faultRuleSchema: z.ZodType<FaultRule> = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('callback.duplicate'),
      match,
      copies: z.number().int().min(1).max(10).optional(),
      times,
    })
    .strict(),
  z.object({ type: z.literal('callback.delay'), match, delayMs: ms, times }).strict(),
  z.object({ type: z.literal('callback.reorder'), match, holdMs: ms.optional(), times }).strict(),
  z.object({ type: z.literal('callback.drop'), match, times }).strict(),
  z
    .object({
      type: z.literal('rest.error'),
      ...restPath,
      status: z.number().int().min(400).max(599),
      code: z.number().int().optional(),
      applied: z.boolean().optional(),
      after: z.number().int().min(0).max(1000).optional(),
      body: z.string().min(1).max(200).optional(),
      times,
    })
    .strict(),
  z.object({ type: z.literal('rest.slow'), ...restPath, delayMs: ms, times }).strict(),
  z.object({ type: z.literal('webhook.slow'), match, delayMs: ms, times }).strict(),
  z.object({ type: z.literal('webhook.timeout'), match, afterMs: ms.optional(), times }).strict(),
  z.object({ type: z.literal('webhook.unreachable'), match, times }).strict(),
  z
    .object({
      type: z.literal('media.drop'),
      callSid: z.string().min(1).optional(),
      afterFrames: z.number().int().min(0).optional(),
      times,
    })
    .strict(),
  z
    .object({
      type: z.literal('human.hangup'),
      address: z.string().min(1).optional(),
      phase: z.enum(HANGUP_PHASES),
      afterMs: ms.optional(),
      times,
    })
    .strict(),
  z
    .object({
      type: z.literal('caller.hangup'),
      carrier: z.string().min(1).optional(),
      to: z.string().min(1).optional(),
      phase: z.enum(CALLER_HANGUP_PHASES),
      afterMs: ms.optional(),
      times,
    })
    .strict(),
]);

const adversarySchema = z
  .object({
    seed: z.number().int().min(0).max(0xffffffff),
    mode: z.enum(ADVERSARY_MODES),
    calls: z.number().int().min(1).max(10_000).default(1),
    lossy: z.boolean().default(false),
    humans: z.array(z.string().min(1)).default([]),
    agentConnectTimeoutMs: ms.optional(),
  })
  .strict();

function reply(status: number, body?: unknown): SimHttpResponse {
  return body === undefined
    ? { status, headers: {}, body: '' }
    : { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** A 400 whose message names every bad field (`match.kind: Expected string…`). */
function badRequest(error: z.ZodError): SimHttpResponse {
  const message = error.issues
    .map((i) => `${i.path.length === 0 ? '(body)' : i.path.join('.')}: ${i.message}`)
    .join('; ');
  return reply(400, { error: 'bad_request', message, issues: error.issues });
}

function parseJson(req: SimHttpRequest): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

function view(h: FaultHandle) {
  return { id: h.id, rule: h.rule, hits: h.hits, remaining: h.remaining };
}

const isAdversaryCarrier = (c: string): c is AdversaryCarrier =>
  (ADVERSARY_CARRIERS as readonly string[]).includes(c);

/** Applies seeded plans to the next calls placed. */
class AdversaryQueue {
  readonly #faults: Faults;
  readonly #network: Network;
  #request: z.infer<typeof adversarySchema> | undefined;
  #next = 0;
  #current: AppliedAdversity | undefined;
  readonly applied: Array<{ readonly call: SimCall; readonly plan: AdversityPlan }> = [];

  constructor(faults: Faults, network: Network) {
    this.#faults = faults;
    this.#network = network;
    network.onCall((call) => this.#onCall(call));
  }

  get pending(): number {
    return this.#request === undefined ? 0 : this.#request.calls - this.#next;
  }

  start(request: z.infer<typeof adversarySchema>): void {
    this.#request = request;
    this.#next = 0;
  }

  stop(): void {
    this.#request = undefined;
    this.#current?.remove();
    this.#current = undefined;
  }

  #onCall(call: SimCall): void {
    const request = this.#request;
    const carrier = call.leg.carrier;
    if (request === undefined || this.#next >= request.calls || !isAdversaryCarrier(carrier)) return;
    const plan = adversityFor(request.seed + this.#next, {
      carrier,
      mode: request.mode,
      lossy: request.lossy,
      ...(request.agentConnectTimeoutMs === undefined
        ? {}
        : { agentConnectTimeoutMs: request.agentConnectTimeoutMs }),
    });
    this.#next++;
    this.#current?.remove();
    this.#current = applyAdversity({ faults: this.#faults, network: this.#network }, plan, {
      humans: request.humans,
    });
    this.applied.push({ call, plan });
  }
}

export function faultApi(faults: Faults, network: Network): RouteHandler {
  const adversary = new AdversaryQueue(faults, network);
  return async (req) => {
    const p = req.pathname.split('/').filter(Boolean);
    if (p[0] !== 'sim' || (p[1] !== 'faults' && p[1] !== 'adversary')) return undefined;
    const body = req.method === 'POST' ? parseJson(req) : { ok: true as const, value: {} };
    if (!body.ok) return reply(400, { error: 'bad_request', message: '(body): not JSON' });
    if (p[1] === 'faults') {
      if (p.length === 2 && req.method === 'GET') return reply(200, faults.list().map(view));
      if (p.length === 2 && req.method === 'DELETE') {
        faults.clear();
        return reply(204);
      }
      if (p.length === 2 && req.method === 'POST') {
        const rule = faultRuleSchema.safeParse(body.value);
        if (!rule.success) return badRequest(rule.error);
        return reply(201, view(faults.add(rule.data)));
      }
      if (p.length === 3 && req.method === 'DELETE') {
        const id = Number(p[2]);
        return Number.isInteger(id) && faults.remove(id)
          ? reply(204)
          : reply(404, { error: 'no_such_fault' });
      }
      return undefined;
    }
    if (p.length !== 2) return undefined;
    if (req.method === 'GET') {
      return reply(200, {
        pending: adversary.pending,
        applied: adversary.applied.map((a) => ({ callSid: a.call.sid, plan: a.plan })),
      });
    }
    if (req.method === 'DELETE') {
      adversary.stop();
      return reply(204);
    }
    if (req.method === 'POST') {
      const request = adversarySchema.safeParse(body.value);
      if (!request.success) return badRequest(request.error);
      adversary.start(request.data);
      return reply(201, {
        pending: adversary.pending,
        seeds: [request.data.seed, request.data.seed + request.data.calls - 1],
      });
    }
    return undefined;
  };
}
