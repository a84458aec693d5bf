import { z } from 'zod';
import { destinationString, parseDestination } from '../../phone/destination.js';
import { isDestinationAllowed } from '../../phone/policy.js';
import { agentCallStats, callSummary, publicCallView } from './call-view.js';
import type { ApiTransferTrigger, TransferRefusal } from './calls-port.js';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';
import { type AnyRoute, type ApiReply, route } from './route.js';
import { agentNotFound } from './routes-agents.js';
import { agentParams, callParams, IDEMPOTENCY_KEY, outboundBody, queryInt, transferBody } from './schemas.js';

/** How many ended calls the transfer figures are computed over, at most. */
export const MAX_STATS_CALLS = 5000;

/** 409: the call's state refuses (already transferring, over); 422: the request itself. */
function refusalStatus(refusal: TransferRefusal): number {
  return refusal === 'transfer_in_progress' || refusal === 'call_not_active' ? 409 : 422;
}

/** Which request field a refusal is about. */
function refusalField(refusal: TransferRefusal, trigger: ApiTransferTrigger): string | undefined {
  if (refusal === 'invalid_destination' || refusal === 'destination_not_allowed') {
    return trigger.rule !== undefined ? 'rule' : trigger.skill !== undefined ? 'skill' : 'destination';
  }
  return undefined;
}

function idempotencyKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers['idempotency-key'];
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(text)) {
    throw new ApiError(422, 'validation_failed', 'Idempotency-Key must be 1–128 of A-Z a-z 0-9 _ . : -', {
      field: 'Idempotency-Key',
    });
  }
  return text;
}

/**
 * The request as a trigger. VoiceDock's body (`{ "type": "transfer", "destination", "message" }`)
 * names the caller's message `message`; the native body names it `callerMessage`.
 */
function apiTrigger(body: z.output<typeof transferBody>): ApiTransferTrigger {
  const { type, message, ...rest } = body;
  if (type === undefined) return { type: 'api', ...rest, ...(message === undefined ? {} : { message }) };
  return { type: 'api', ...rest, ...(message === undefined ? {} : { callerMessage: message }) };
}

function callNotFound(): ApiError {
  return new ApiError(404, 'call_not_found', 'no such call', { field: 'id' });
}

/** Calls: one call's record and timeline, an agent's calls and transfer rate, API-initiated transfers. */
export function callRoutes(deps: ApiDeps): AnyRoute[] {
  const now = deps.now ?? Date.now;
  const idemHeader = { 'Idempotency-Key': 'Optional: a retried request with the same key is applied once' };
  return [
    route({
      method: 'GET',
      path: '/v1/agents/{id}/calls',
      scope: 'calls:read',
      operationId: 'listAgentCalls',
      summary: "An agent's calls (outcome, endedReason) and its transfer rate and transfer success rate",
      description:
        'Ended calls in the window (newest first, at most `limit` listed; the figures count up to ' +
        `${MAX_STATS_CALLS}), plus the agent's calls in progress. transferRate = calls with a transfer ` +
        'attempt / ended calls; transferSuccessRate = calls whose transfer connected / calls with an attempt; ' +
        'bridgeUnconfirmed = calls not counted connected with a transfer whose caller or human hung up after the ' +
        'human answered, the carrier not reporting whether they had been bridged (Exotel).',
      params: agentParams,
      query: z.strictObject({
        sinceMs: queryInt(0, 8_640_000_000_000_000)
          .optional()
          .describe('Window start, epoch ms (default: all retained calls)'),
        limit: queryInt(1, 1000).optional().describe('Calls listed (default 100)'),
      }),
      responses: { 200: 'Calls and figures', 404: 'agent_not_found' },
      handle: async ({ params, query }) => {
        if ((await deps.agents.getDraft(params.id)) === undefined) throw agentNotFound(params.id);
        const limit = query.limit ?? 100;
        const ended = await deps.calls.listEnded(params.id, {
          limit: MAX_STATS_CALLS,
          ...(query.sinceMs === undefined ? {} : { sinceMs: query.sinceMs }),
        });
        const active = (await deps.calls.listActive(1000)).filter((r) => r.agentId === params.id);
        return {
          status: 200,
          body: {
            agentId: params.id,
            window: { sinceMs: query.sinceMs ?? null, untilMs: now() },
            stats: { ...agentCallStats(ended), truncated: ended.length >= MAX_STATS_CALLS },
            calls: ended.slice(0, limit).map(callSummary),
            active: active.map(callSummary),
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/calls/{id}',
      scope: 'calls:read',
      operationId: 'getCall',
      summary: 'One call: record, transfers, refusals and timeline (numbers included)',
      params: callParams,
      responses: { 200: 'The call', 404: 'call_not_found' },
      handle: async ({ params }) => {
        const record = await deps.calls.get(params.id);
        if (record === undefined) throw callNotFound();
        return { status: 200, body: publicCallView(record) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/calls/{id}/transfer',
      scope: 'calls:write',
      operationId: 'transferCall',
      summary: 'Transfer a live call (VoiceDock call control): to a destination, a rule or a skill',
      description:
        'Goes through the same planner as every trigger, with the version of the agent the call started on: ' +
        'a destination must be named by the configuration or allowed by its destinationPolicy. With none of ' +
        'destination, rule and skill, the default transferDestination is used.',
      params: callParams,
      body: transferBody,
      headers: idemHeader,
      responses: {
        202: 'Accepted: the transfer runs; follow it with GET /v1/calls/{id}',
        200: 'A retried request (same Idempotency-Key): nothing new happened',
        404: 'call_not_found',
        409: 'transfer_in_progress, call_not_active',
        422: 'invalid_destination, destination_not_allowed, after_hours, missing_transfer_number, missing_outbound_number, validation_failed',
      },
      handle: async ({ params, body, headers }): Promise<ApiReply> => {
        const trigger = apiTrigger(body);
        const key = idempotencyKey(headers);
        const result = await deps.calls.requestTransfer(
          params.id,
          trigger,
          key === undefined ? {} : { idempotencyKey: key },
        );
        switch (result.status) {
          case 'not_found':
            throw callNotFound();
          case 'accepted':
            return { status: 202, body: { callId: params.id, transferId: result.transferId } };
          case 'duplicate':
            return {
              status: 200,
              body: { callId: params.id, transferId: result.transferId, duplicate: true },
            };
          case 'refused':
            throw new ApiError(refusalStatus(result.refusal), result.refusal, result.detail, {
              field: refusalField(result.refusal, trigger),
            });
        }
      },
    }),
    route({
      method: 'POST',
      path: '/v1/calls/{id}/transfer/cancel',
      scope: 'calls:write',
      operationId: 'cancelTransfer',
      summary: 'Cancel the running transfer: dialed legs are hung up and the caller is back with the AI',
      params: callParams,
      headers: idemHeader,
      responses: { 202: 'Canceled', 404: 'call_not_found', 409: 'no_transfer_in_progress' },
      handle: async ({ params, headers }): Promise<ApiReply> => {
        const key = idempotencyKey(headers);
        const result = await deps.calls.cancelTransfer(
          params.id,
          key === undefined ? {} : { idempotencyKey: key },
        );
        if (result.status === 'not_found') throw callNotFound();
        if (result.status === 'canceled') {
          return {
            status: 202,
            body: { callId: params.id, transferId: result.transferId, outcome: 'canceled' },
          };
        }
        const why =
          result.outcome === null
            ? `the call is ${result.phase}`
            : `the transfer already ended: ${result.outcome}`;
        throw new ApiError(409, 'no_transfer_in_progress', `nothing to cancel: ${why}`);
      },
    }),
    route({
      method: 'POST',
      path: '/v1/calls',
      scope: 'calls:write',
      operationId: 'startOutboundCall',
      summary: "An outbound call from an agent to a lead (from: the agent's outboundNumber unless given)",
      description:
        "The lead must pass the agent's destination policy (like every number the daemon dials). " +
        'Without `from` and without an outboundNumber on the agent: 422 missing_outbound_number.',
      body: outboundBody,
      responses: {
        202: 'The call was placed',
        404: 'agent_not_found, agent_not_published',
        422: 'missing_outbound_number, invalid_destination, destination_not_allowed, carrier_not_configured, outbound_not_configured, validation_failed',
        501: 'not_implemented: outbound calls are not available',
        502: 'carrier_error: the carrier refused the call',
      },
      handle: async ({ body }): Promise<ApiReply> => {
        const pub = await deps.agents.getPublished(body.agentId);
        if (pub === undefined) {
          if ((await deps.agents.getDraft(body.agentId)) === undefined) {
            throw new ApiError(404, 'agent_not_found', `no agent ${JSON.stringify(body.agentId)}`, {
              field: 'agentId',
            });
          }
          throw new ApiError(404, 'agent_not_published', 'the agent was never published', {
            field: 'agentId',
          });
        }
        const agent = pub.agent;
        const lead = parseDestination(body.to, deps.defaultRegion);
        if (!lead.ok)
          throw new ApiError(422, 'invalid_destination', `to is not a valid destination (${lead.reason})`, {
            field: 'to',
          });
        const to = destinationString(lead.destination);
        const decision = isDestinationAllowed(agent, lead.destination);
        if (!decision.allowed) {
          throw new ApiError(
            422,
            'destination_not_allowed',
            `to is not allowed for this agent (${decision.reason})`,
            {
              field: 'to',
            },
          );
        }
        // Seed 003: the lead is called from its outbound_number_id.
        const leadNumber = body.lead?.outbound_number_id;
        if (leadNumber !== undefined && body.from !== undefined) {
          throw new ApiError(422, 'validation_failed', 'give from or lead.outbound_number_id, not both', {
            field: 'lead.outbound_number_id',
          });
        }
        const fromText = leadNumber ?? body.from ?? agent.outboundNumber;
        if (fromText === undefined) {
          throw new ApiError(422, 'missing_outbound_number', "give from, or set the agent's outboundNumber", {
            field: 'from',
          });
        }
        const from = parseDestination(fromText, deps.defaultRegion);
        if (!from.ok || from.destination.kind !== 'pstn') {
          const field = leadNumber === undefined ? 'from' : 'lead.outbound_number_id';
          throw new ApiError(422, 'validation_failed', `${field} must be a phone number`, { field });
        }
        const result = await deps.calls.startOutbound({
          agentId: agent.id,
          agentVersion: pub.version,
          carrier: agent.carrier,
          to,
          from: from.destination.e164,
          ...(body.lead === undefined
            ? {}
            : {
                lead: leadNumber === undefined ? {} : { outboundNumberId: from.destination.e164 },
              }),
        });
        if (result.status === 'started') {
          return {
            status: 202,
            body: { callId: result.callId, agentId: agent.id, agentVersion: pub.version },
          };
        }
        if (result.status === 'not_implemented') throw new ApiError(501, 'not_implemented', result.detail);
        throw new ApiError(result.status === 'failed' ? 502 : 422, result.code, result.detail);
      },
    }),
  ];
}
