import { z } from 'zod';
import type { Timers } from '../../lib/time.js';
import type { CallRecord } from '../../runtime/call-record.js';
import type { StoredCall } from '../../store/types.js';
import type { LiveFeed } from './console-feed.js';
import { agentWindowStats, consoleCall, consoleRow } from './console-view.js';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';
import { type AnyRoute, route } from './route.js';
import { callParams, queryInt } from './schemas.js';

/** A scenario the simulator can play through the daemon (the demo's and the playground's). */
export interface TryScenario {
  readonly id: string;
  readonly title: string;
}

/**
 * "Try it": present only when the daemon runs beside the carrier simulator (`npm run demo --
 * --console`, `npm run playground`). `place` starts a simulated caller dialing the agent.
 */
export interface TryIt {
  readonly scenarios: readonly TryScenario[];
  place(scenarioId: string): Promise<{ readonly callId: string }>;
}

/** What the operator console's routes read, beside the API's own deps. */
export interface ConsoleDeps {
  /** The store's calls: records with their versions, every worker's. */
  readonly calls: {
    get(callId: string): Promise<StoredCall<CallRecord> | null>;
    listActive(options: { readonly limit: number }): Promise<readonly StoredCall<CallRecord>[]>;
  };
  readonly feed: LiveFeed;
  /** For the stream's keep-alive. */
  readonly timers: Timers;
  readonly tryIt?: TryIt;
}

/** The charts' windows: how far back, and in how many slices. */
export const CONSOLE_WINDOWS = {
  hour: { spanMs: 3_600_000, buckets: 12 },
  day: { spanMs: 86_400_000, buckets: 24 },
} as const;

/** Recently ended calls listed beside the live ones, per agent at most. */
const RECENT_PER_AGENT = 50;

const tryBody = z.strictObject({
  scenario: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9-]+$/, 'must be a scenario id (a-z, 0-9, -)'),
});

function notAvailable(): ApiError {
  return new ApiError(404, 'simulator_not_running', 'test calls need the daemon to run with the simulator');
}

/** The operator console's reads (calls:read) and its test call (calls:write). */
export function consoleRoutes(deps: ApiDeps, c: ConsoleDeps): AnyRoute[] {
  const now = deps.now ?? Date.now;
  return [
    route({
      method: 'GET',
      path: '/v1/console/info',
      scope: 'calls:read',
      operationId: 'consoleInfo',
      summary: 'What the console can show: whether test calls can be placed, and through which scenarios',
      responses: { 200: 'The console settings' },
      handle: async () => ({
        status: 200,
        body: { simulator: c.tryIt !== undefined, scenarios: c.tryIt?.scenarios ?? [], nowMs: now() },
      }),
    }),
    route({
      method: 'GET',
      path: '/v1/console/calls',
      scope: 'calls:read',
      operationId: 'consoleCalls',
      summary: 'Live calls on every worker, and recently ended ones (no phone numbers)',
      query: z.strictObject({
        limit: queryInt(1, 500).optional().describe('Ended calls listed (default 50)'),
      }),
      responses: { 200: 'Live and recent calls' },
      handle: async ({ query }) => {
        const limit = query.limit ?? 50;
        const live = await c.calls.listActive({ limit: 500 });
        const agents = await deps.agents.list();
        const ended: CallRecord[] = [];
        for (const a of agents) {
          ended.push(...(await deps.calls.listEnded(a.id, { limit: Math.min(limit, RECENT_PER_AGENT) })));
        }
        ended.sort((x, y) => (y.endedAtMs ?? 0) - (x.endedAtMs ?? 0));
        return {
          status: 200,
          body: {
            live: live.map((s) => consoleRow(s.record, s.version)),
            recent: ended.slice(0, limit).map((r) => consoleRow(r, 0)),
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/console/calls/{id}',
      scope: 'calls:read',
      operationId: 'consoleCall',
      summary: "One call's timeline for the console: phone numbers masked, failure reasons in words",
      params: callParams,
      responses: { 200: 'The call', 404: 'call_not_found' },
      handle: async ({ params }) => {
        const stored = await c.calls.get(params.id);
        const bound = stored?.record.boundTo;
        const call = bound === undefined ? stored : ((await c.calls.get(bound)) ?? stored);
        if (call === null) throw new ApiError(404, 'call_not_found', 'no such call', { field: 'id' });
        return { status: 200, body: consoleCall(call.record, call.version) };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/console/agents',
      scope: 'calls:read',
      operationId: 'consoleAgents',
      summary: 'Per agent over the last hour or day: transfer and success rates, outcomes, time to human',
      query: z.strictObject({
        window: z
          .enum(['hour', 'day'])
          .optional()
          .describe('hour (12 slices) or day (24 slices); default hour'),
      }),
      responses: { 200: 'Figures per agent' },
      handle: async ({ query }) => {
        const w = CONSOLE_WINDOWS[query.window ?? 'hour'];
        const untilMs = now() + 1;
        const sinceMs = untilMs - w.spanMs;
        const agents = await deps.agents.list();
        const out = [];
        for (const a of agents) {
          const ended = await deps.calls.listEnded(a.id, { sinceMs, limit: 5000 });
          out.push(agentWindowStats(a.id, ended, { sinceMs, untilMs, bucketCount: w.buckets }));
        }
        return {
          status: 200,
          body: {
            window: { name: query.window ?? 'hour', sinceMs, untilMs, bucketMs: w.spanMs / w.buckets },
            agents: out,
          },
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/console/try',
      scope: 'calls:write',
      operationId: 'consoleTryCall',
      summary:
        'Place a test call through a simulator scenario (only when the daemon runs with the simulator)',
      body: tryBody,
      responses: { 202: 'The call was placed', 404: 'simulator_not_running, scenario_not_found' },
      handle: async ({ body }) => {
        const tryIt = c.tryIt;
        if (tryIt === undefined) throw notAvailable();
        if (!tryIt.scenarios.some((s) => s.id === body.scenario)) {
          throw new ApiError(404, 'scenario_not_found', `no scenario ${JSON.stringify(body.scenario)}`, {
            field: 'scenario',
          });
        }
        const placed = await tryIt.place(body.scenario);
        return { status: 202, body: { callId: placed.callId, scenario: body.scenario } };
      },
    }),
  ];
}
