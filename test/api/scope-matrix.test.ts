import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ApiScope } from '../../src/config/api-keys.js';
import { ALL_BUT_KEY, type ApiApp, bearer, ONE_SCOPE_KEY, startApiApp } from './support.js';

interface Case {
  readonly name: string;
  readonly scope: ApiScope;
  /** Status with the scope (the request is valid). */
  readonly ok: number;
  readonly request: (ctx: { callId: string }) => InjectOptions;
  /** Puts the app in the state the request needs. */
  readonly setup?: (h: ApiApp) => Promise<{ callId: string }>;
}

const skill = {
  name: 'Spanish desk',
  description: 'Transfer callers who prefer Spanish.',
  skillType: 'transfer',
  executionConfig: { destination: '+14155550122' },
};

const liveCall = async (h: ApiApp) => ({ callId: await h.incomingCall() });
const transferring = async (h: ApiApp) => {
  const callId = await h.incomingCall();
  const res = await h.app.http.inject({
    method: 'POST',
    url: `/v1/calls/${callId}/transfer`,
    headers: bearer(ONE_SCOPE_KEY['calls:write']),
    payload: {},
  });
  expect(res.statusCode).toBe(202);
  return { callId };
};

/** Every /v1 route (except the public OpenAPI document), a valid request for it, and its scope. */
const CASES: readonly Case[] = [
  {
    name: 'GET /v1/agents',
    scope: 'agents:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/agents' }),
  },
  {
    name: 'GET /v1/agents/{id}',
    scope: 'agents:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/agents/front-desk' }),
  },
  {
    name: 'PATCH /v1/agents/{id}',
    scope: 'agents:write',
    ok: 200,
    request: () => ({
      method: 'PATCH',
      url: '/v1/agents/front-desk',
      payload: { handoffConfig: { warm: true } },
    }),
  },
  {
    name: 'POST /v1/agents/{id}/publish',
    scope: 'agents:write',
    ok: 200,
    request: () => ({ method: 'POST', url: '/v1/agents/front-desk/publish' }),
  },
  {
    name: 'GET /v1/agents/{id}/tools',
    scope: 'agents:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/agents/front-desk/tools' }),
  },
  {
    name: 'GET /v1/agents/{id}/skills',
    scope: 'skills:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/agents/front-desk/skills' }),
  },
  {
    name: 'POST /v1/agents/{id}/skills',
    scope: 'skills:write',
    ok: 201,
    request: () => ({ method: 'POST', url: '/v1/agents/front-desk/skills', payload: skill }),
  },
  {
    name: 'DELETE /v1/agents/{id}/skills/{skill}',
    scope: 'skills:write',
    ok: 200,
    request: () => ({ method: 'DELETE', url: '/v1/agents/front-desk/skills/Transfer%20to%20billing' }),
  },
  {
    name: 'DELETE /v1/agents/{id}/skills?index=',
    scope: 'skills:write',
    ok: 200,
    request: () => ({ method: 'DELETE', url: '/v1/agents/front-desk/skills?index=0' }),
  },
  {
    name: 'GET /v1/agents/{id}/calls',
    scope: 'calls:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/agents/front-desk/calls?sinceMs=0' }),
  },
  {
    name: 'GET /v1/calls/{id}',
    scope: 'calls:read',
    ok: 200,
    setup: liveCall,
    request: ({ callId }) => ({ method: 'GET', url: `/v1/calls/${callId}` }),
  },
  {
    name: 'POST /v1/calls/{id}/transfer',
    scope: 'calls:write',
    ok: 202,
    setup: liveCall,
    request: ({ callId }) => ({
      method: 'POST',
      url: `/v1/calls/${callId}/transfer`,
      payload: { rule: 'Billing' },
    }),
  },
  {
    name: 'POST /v1/calls/{id}/transfer/cancel',
    scope: 'calls:write',
    ok: 202,
    setup: transferring,
    request: ({ callId }) => ({ method: 'POST', url: `/v1/calls/${callId}/transfer/cancel` }),
  },
  {
    name: 'POST /v1/calls',
    scope: 'calls:write',
    ok: 202,
    request: () => ({
      method: 'POST',
      url: '/v1/calls',
      payload: { agentId: 'front-desk', to: '+14155550111' },
    }),
  },
  {
    name: 'GET /v1/console/info',
    scope: 'calls:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/console/info' }),
  },
  {
    name: 'GET /v1/console/calls',
    scope: 'calls:read',
    ok: 200,
    setup: liveCall,
    request: () => ({ method: 'GET', url: '/v1/console/calls' }),
  },
  {
    name: 'GET /v1/console/calls/{id}',
    scope: 'calls:read',
    ok: 200,
    setup: liveCall,
    request: ({ callId }) => ({ method: 'GET', url: `/v1/console/calls/${callId}` }),
  },
  {
    name: 'GET /v1/console/agents',
    scope: 'calls:read',
    ok: 200,
    request: () => ({ method: 'GET', url: '/v1/console/agents?window=day' }),
  },
  {
    // This app runs without the simulator: a permitted request is refused for that, not for its key.
    name: 'POST /v1/console/try',
    scope: 'calls:write',
    ok: 404,
    request: () => ({ method: 'POST', url: '/v1/console/try', payload: { scenario: 'warm-whisper' } }),
  },
];

describe('scope matrix: every route × a key with / without its scope / no key / a bad key', () => {
  for (const c of CASES) {
    it(`${c.name} needs ${c.scope}`, async () => {
      const h = await startApiApp();
      try {
        const ctx = c.setup === undefined ? { callId: '' } : await c.setup(h);
        const send = (headers: Record<string, string>) =>
          h.app.http.inject({ ...c.request(ctx), headers: { ...c.request(ctx).headers, ...headers } });

        const none = await send({});
        expect(none.statusCode).toBe(401);
        expect(none.json().error.code).toBe('unauthorized');
        expect(none.headers['www-authenticate']).toBe('Bearer');
        const bad = await send(bearer('not-a-known-key-0123456789'));
        expect(bad.statusCode).toBe(401);
        const malformed = await send({ authorization: `Basic ${ONE_SCOPE_KEY[c.scope]}` });
        expect(malformed.statusCode).toBe(401);
        const without = await send(bearer(ALL_BUT_KEY[c.scope]));
        expect(without.statusCode).toBe(403);
        expect(without.json().error).toMatchObject({ code: 'forbidden' });
        expect(without.json().error.message).toContain(c.scope);

        const withScope = await send(bearer(ONE_SCOPE_KEY[c.scope]));
        expect(withScope.statusCode, withScope.body).toBe(c.ok);
      } finally {
        await h.close();
      }
    });
  }

  it('the OpenAPI document is public and lists every route with its scope', async () => {
    const h = await startApiApp();
    try {
      const res = await h.app.http.inject({ method: 'GET', url: '/v1/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json() as {
        openapi: string;
        paths: Record<string, Record<string, { 'x-required-scope': string; security: unknown[] }>>;
      };
      expect(doc.openapi).toBe('3.1.0');
      const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.entries(ops).map(
          ([method, op]) => `${method.toUpperCase()} ${path} ${op['x-required-scope']}`,
        ),
      );
      for (const c of CASES) {
        const [method, path] = c.name.replace(/\?index=$/, '').split(' ');
        expect(listed).toContain(`${method} ${path} ${c.scope}`);
      }
      expect(listed).toHaveLength(CASES.length);
      const op = doc.paths['/v1/calls/{id}/transfer']?.['post'];
      expect(op?.security).toEqual([{ bearerAuth: ['calls:write'] }]);
    } finally {
      await h.close();
    }
  });
});
