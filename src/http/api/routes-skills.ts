import { z } from 'zod';
import type { AgentDraft } from '../../agent-repository/types.js';
import type { ApiDeps } from './deps.js';
import { ApiError } from './errors.js';
import { type AnyRoute, route } from './route.js';
import { agentNotFound, revisionTag } from './routes-agents.js';
import { agentParams, queryInt, skillBody } from './schemas.js';

function skillList(id: string, draft: AgentDraft) {
  return {
    id,
    revision: draft.revision,
    unpublishedChanges: draft.unpublishedChanges,
    skills: draft.agent.skills.map((skill, index) => ({ index, ...skill })),
  };
}

/**
 * Transfer skills on the draft (flowyte skills). A skill is deleted by name — its `name`
 * (case-insensitive) or its `toolName`, in the path — or by position, `?index=`.
 */
export function skillRoutes(deps: ApiDeps): AnyRoute[] {
  const remove = async (id: string, ref: { name: string } | { index: number }) => {
    const { draft, removed } = await deps.agents.removeSkill(id, ref);
    return {
      status: 200,
      body: { id, revision: draft.revision, removed, skills: skillList(id, draft).skills },
      headers: { etag: revisionTag(draft.revision) },
    };
  };
  return [
    route({
      method: 'GET',
      path: '/v1/agents/{id}/skills',
      scope: 'skills:read',
      operationId: 'listSkills',
      summary: "The draft's transfer skills, with their positions and LLM tool names",
      params: agentParams,
      responses: { 200: 'The skills', 404: 'agent_not_found' },
      handle: async ({ params }) => {
        const draft = await deps.agents.getDraft(params.id);
        if (draft === undefined) throw agentNotFound(params.id);
        return {
          status: 200,
          body: skillList(params.id, draft),
          headers: { etag: revisionTag(draft.revision) },
        };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/agents/{id}/skills',
      scope: 'skills:write',
      operationId: 'addSkill',
      summary: 'Add a transfer skill to the draft',
      params: agentParams,
      body: skillBody,
      responses: {
        201: 'The skill as saved (destinations normalized, tool name derived)',
        404: 'agent_not_found',
        422: 'validation_failed (fields relative to the skill, e.g. executionConfig.destination)',
      },
      handle: async ({ params, body }) => {
        const { draft, index } = await deps.agents.addSkill(params.id, body);
        return {
          status: 201,
          body: { id: params.id, revision: draft.revision, index, skill: draft.agent.skills[index] },
          headers: { etag: revisionTag(draft.revision) },
        };
      },
    }),
    route({
      method: 'DELETE',
      path: '/v1/agents/{id}/skills/{skill}',
      scope: 'skills:write',
      operationId: 'deleteSkillByName',
      summary: 'Remove a skill from the draft by its name (case-insensitive) or tool name',
      params: agentParams.extend({ skill: z.string().min(1).max(128) }),
      responses: { 200: 'The removed skill and the remaining ones', 404: 'agent_not_found, skill_not_found' },
      handle: ({ params }) => remove(params.id, { name: params.skill }),
    }),
    route({
      method: 'DELETE',
      path: '/v1/agents/{id}/skills',
      scope: 'skills:write',
      operationId: 'deleteSkillByIndex',
      summary: 'Remove a skill from the draft by position (`?index=`, from 0) or name (`?name=`)',
      params: agentParams,
      query: z.strictObject({
        index: queryInt(0, 10_000).optional(),
        name: z.string().min(1).max(128).optional(),
      }),
      responses: {
        200: 'The removed skill and the remaining ones',
        404: 'agent_not_found, skill_not_found',
        422: 'neither or both of index and name',
      },
      handle: ({ params, query }) => {
        if ((query.index === undefined) === (query.name === undefined)) {
          throw new ApiError(422, 'validation_failed', 'give exactly one of index and name', {
            field: 'index',
          });
        }
        return remove(
          params.id,
          query.index !== undefined ? { index: query.index } : { name: query.name ?? '' },
        );
      },
    }),
  ];
}
