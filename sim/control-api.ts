/**
 * The simulator's own HTTP control API under `/sim/`, for the standalone simulator: place a
 * call, hang it up, press digits, add a human, read a call's log. JSON in and out.
 *
 * - `POST /sim/calls` `{ carrier?, from, to, audio?, hangupAfterMs? }` → 201 `{ sid, carrier }`:
 *   a caller dials a number of `carrier` (`twilio`, the default, `plivo` or `exotel`); `sid` is
 *   the carrier's id of the call (Twilio `CA…`, Plivo's CallUUID, Exotel's CallSid)
 * - `POST /sim/calls/{sid}/hangup` → 200
 * - `POST /sim/calls/{sid}/digits` `{ digits }` → 200
 * - `GET  /sim/calls/{sid}` → the call's log and what its party heard
 * - `POST /sim/humans` `{ address, behaviour }` → 200
 * - `GET  /sim/log` → every log entry
 */
import { z } from 'zod';
import type { SimHttpRequest, SimHttpResponse } from './front-end.js';
import type { RouteHandler } from './http-server.js';
import type { SimLog } from './log.js';
import type { Network } from './network.js';
import { audioSpecSchema, carrierSchema, humanBehaviourSchema } from './scenario.js';

const placeCallSchema = z.object({
  carrier: carrierSchema.default('twilio'),
  from: z.string().min(1),
  to: z.string().min(1),
  audio: audioSpecSchema.optional(),
  hangupAfterMs: z.number().int().nonnegative().optional(),
});

function reply(status: number, body: unknown): SimHttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function parseJson(req: SimHttpRequest): unknown {
  try {
    return req.body.length === 0 ? {} : JSON.parse(req.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function controlApi(network: Network, log: SimLog): RouteHandler {
  return async (req) => {
    const p = req.pathname.split('/').filter(Boolean);
    if (p[0] !== 'sim') return undefined;
    if (req.method === 'GET' && p[1] === 'log' && p.length === 2) return reply(200, log.entries);
    if (req.method === 'POST' && p[1] === 'humans' && p.length === 2) {
      const body = z
        .object({ address: z.string().min(1), behaviour: humanBehaviourSchema })
        .safeParse(parseJson(req));
      if (!body.success) return reply(400, { error: 'bad_request', issues: body.error.issues });
      network.addHuman(body.data.address, body.data.behaviour);
      return reply(200, { address: body.data.address });
    }
    if (p[1] !== 'calls') return undefined;
    if (req.method === 'POST' && p.length === 2) {
      const body = placeCallSchema.safeParse(parseJson(req));
      if (!body.success) return reply(400, { error: 'bad_request', issues: body.error.issues });
      const { audio, hangupAfterMs, ...rest } = body.data;
      const call = await network.placeCall({
        ...rest,
        ...(audio === undefined ? {} : { audio }),
        ...(hangupAfterMs === undefined ? {} : { hangupAfterMs }),
      });
      return reply(201, { sid: call.sid, carrier: rest.carrier });
    }
    const call = network.calls.find((c) => c.sid === p[2]);
    if (!call) return reply(404, { error: 'no_such_call' });
    if (req.method === 'GET' && p.length === 3) return reply(200, log.forCall(call.sid));
    if (req.method === 'POST' && p[3] === 'hangup') {
      call.hangup();
      return reply(200, { sid: call.sid });
    }
    if (req.method === 'POST' && p[3] === 'digits') {
      const body = z.object({ digits: z.string().regex(/^[0-9*#A-D]+$/) }).safeParse(parseJson(req));
      if (!body.success) return reply(400, { error: 'bad_request', issues: body.error.issues });
      void call.pressDigits(body.data.digits);
      return reply(200, { sid: call.sid });
    }
    return undefined;
  };
}
