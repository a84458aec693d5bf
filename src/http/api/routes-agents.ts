import { z } from 'zod';
import type { AgentDraft } from '../../agent-repository/types.js';
import type { AgentConfig } from '../../config/agent-types.js';
import { toolSchemasFor } from '../../transfer/tools.js';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';
import { type AnyRoute, route } from './route.js';
import { agentParams, versionQuery } from './schemas.js';

/** `"rev-3"`: the draft's revision as an entity tag; `If-Match` takes it back. */
export function revisionTag(revision: number): string {
  return `"rev-${revision}"`;
}

/** `If-Match: "rev-3"` (or `3`) → 3; absent → undefined; anything else is a 422 on `If-Match`. */
export function expectedRevision(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header[0] : header)?.trim() ?? '';
  const match = /^(?:W\/)?"?(?:rev-)?(\d{1,12})"?$/.exec(text);
  if (match?.[1] === undefined) {
    throw new ApiError(422, 'validation_failed', 'If-Match must be a revision tag such as "rev-3"', {
      field: 'If-Match',
    });
  }
  return Number(match[1]);
}

export function agentNotFound(id: string): ApiError {
  return new ApiError(404, 'agent_not_found', `no agent ${JSON.stringify(id)}`, { field: 'id' });
}

async function published(
  deps: ApiDeps,
  id: string,
  version: number | undefined,
): Promise<{ agent: AgentConfig; version: number }> {
  const found = await deps.agents.getPublished(id, version);
  if (found !== undefined) return found;
  if ((await deps.agents.getDraft(id)) === undefined) throw agentNotFound(id);
  throw new ApiError(
    404,
    'agent_not_published',
    version === undefined
      ? `agent ${JSON.stringify(id)} was never published`
      : `agent ${JSON.stringify(id)} has no version ${version}`,
    { field: version === undefined ? 'id' : 'version' },
  );
}

/** What the API shows for `agent.headers` values: they often carry the bot's credentials. */
export const REDACTED = '[redacted]';

/** The configuration as the API shows it: header values redacted. */
export function agentOut(agent: AgentConfig): AgentConfig {
  const headers = Object.fromEntries(Object.keys(agent.agent.headers).map((name) => [name, REDACTED]));
  return { ...agent, agent: { ...agent.agent, headers } };
}

/** A PATCH may not write the redaction marker back as a header value. */
function checkNoRedacted(body: Record<string, unknown>): void {
  const agent = body['agent'];
  const headers =
    agent !== null && typeof agent === 'object' ? (agent as Record<string, unknown>)['headers'] : undefined;
  if (headers === null || typeof headers !== 'object') return;
  for (const [name, value] of Object.entries(headers)) {
    if (value === REDACTED) {
      throw new ApiError(
        422,
        'validation_failed',
        `send the header's real value, or leave agent.headers.${name} out`,
        {
          field: `agent.headers.${name}`,
        },
      );
    }
  }
}

function agentView(id: string, draft: AgentDraft, pub: { agent: AgentConfig; version: number } | undefined) {
  return {
    id,
    revision: draft.revision,
    publishedVersion: draft.publishedVersion,
    unpublishedChanges: draft.unpublishedChanges,
    draft: agentOut(draft.agent),
    published: pub === undefined ? null : { version: pub.version, agent: agentOut(pub.agent) },
  };
}

/** Agents: read, edit the draft (merge patch), publish, and the LLM tools of a published version. */
export function agentRoutes(deps: ApiDeps): AnyRoute[] {
  const getAgent = async (id: string, version?: number) => {
    const draft = await deps.agents.getDraft(id);
    if (draft === undefined) throw agentNotFound(id);
    const pub =
      version === undefined ? await deps.agents.getPublished(id) : await published(deps, id, version);
    return { status: 200, body: agentView(id, draft, pub), headers: { etag: revisionTag(draft.revision) } };
  };
  return [
    route({
      method: 'GET',
      path: '/v1/agents',
      scope: 'agents:read',
      operationId: 'listAgents',
      summary: 'List agents with their draft revision and published version',
      query: z.strictObject({}),
      responses: { 200: 'The agents' },
      handle: async () => ({ status: 200, body: { agents: await deps.agents.list() } }),
    }),
    route({
      method: 'GET',
      path: '/v1/agents/{id}',
      scope: 'agents:read',
      operationId: 'getAgent',
      summary: 'An agent: its draft and its published version (the latest, or `?version=`)',
      params: agentParams,
      query: versionQuery,
      responses: {
        200: 'The agent; `ETag` is the draft revision',
        404: 'agent_not_found, agent_not_published',
      },
      handle: ({ params, query }) => getAgent(params.id, query.version),
    }),
    route({
      method: 'PATCH',
      path: '/v1/agents/{id}',
      scope: 'agents:write',
      operationId: 'patchAgent',
      summary: 'Edit the draft (JSON Merge Patch: objects merge, null removes a field, arrays replace)',
      description:
        'Calls keep using the published version until `POST /v1/agents/{id}/publish`. The merged draft is ' +
        'validated as a whole agent: numbers are normalized to E.164, every problem is listed with its field. ' +
        '`agent.headers` values are shown as "[redacted]"; to change one, send its new value.',
      params: agentParams,
      body: z
        .record(z.string(), z.unknown())
        .describe('Any subset of the agent configuration (docs/configuration.md).'),
      headers: {
        'If-Match':
          'Optional draft revision (`"rev-3"`) the change is based on: 409 revision_conflict otherwise',
      },
      responses: {
        200: 'The agent after the change',
        404: 'agent_not_found',
        409: 'revision_conflict',
        422: 'validation_failed (each issue with its field)',
      },
      handle: async ({ params, body, headers }) => {
        const rev = expectedRevision(headers['if-match']);
        checkNoRedacted(body);
        await deps.agents.patchDraft(params.id, body, rev === undefined ? {} : { expectedRevision: rev });
        return getAgent(params.id);
      },
    }),
    route({
      method: 'POST',
      path: '/v1/agents/{id}/publish',
      scope: 'agents:write',
      operationId: 'publishAgent',
      summary: 'Publish the draft as the next version (new calls use it; calls in progress keep theirs)',
      params: agentParams,
      responses: {
        200: 'The published version (`created: false` when the draft had no change)',
        404: 'agent_not_found',
        409: 'number_in_use (field numbers[i]), revision_conflict',
      },
      handle: async ({ params }) => {
        const outcome = await deps.agents.publish(params.id);
        return {
          status: 200,
          body: {
            id: params.id,
            version: outcome.version,
            created: outcome.created,
            agent: agentOut(outcome.agent),
          },
        };
      },
    }),
    route({
      method: 'GET',
      path: '/v1/agents/{id}/tools',
      scope: 'agents:read',
      operationId: 'getAgentTools',
      summary: 'The transfer tools (OpenAI function-calling shape) the published version offers its LLM',
      params: agentParams,
      query: versionQuery,
      responses: { 200: 'The tool schemas', 404: 'agent_not_found, agent_not_published' },
      handle: async ({ params, query }) => {
        const pub = await published(deps, params.id, query.version);
        return {
          status: 200,
          body: { id: params.id, version: pub.version, tools: toolSchemasFor(pub.agent) },
        };
      },
    }),
  ];
}
