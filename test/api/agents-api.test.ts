import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALL_KEY, type ApiApp, bearer, startApiApp } from './support.js';

const auth = bearer(ALL_KEY);

describe('agents API: draft vs published, validation errors naming the field', () => {
  let h: ApiApp;
  beforeEach(async () => {
    h = await startApiApp();
  });
  afterEach(async () => {
    await h.close();
  });

  const inject = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers = {},
  ) =>
    h.app.http.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it('shows the draft and the published version; PATCH edits only the draft until publish', async () => {
    const before = await inject('GET', '/v1/agents/front-desk');
    expect(before.statusCode).toBe(200);
    expect(before.headers.etag).toBe('"rev-1"');
    expect(before.json()).toMatchObject({
      id: 'front-desk',
      revision: 1,
      publishedVersion: 1,
      unpublishedChanges: false,
    });

    const patched = await inject('PATCH', '/v1/agents/front-desk', {
      handoffConfig: {
        warm: true,
        transferDestination: '(415) 555-0177',
        transferRules: [
          { label: 'Spanish line', when: 'caller prefers Spanish', destination: '415-555-0122' },
        ],
      },
    });
    expect(patched.statusCode).toBe(200);
    const body = patched.json();
    expect(body.draft.handoffConfig.transferDestination).toBe('+14155550177');
    expect(body.draft.handoffConfig.transferRules[0].destination).toEqual(['+14155550122']);
    expect(body.published.agent.handoffConfig.transferDestination).toBe('+14155550133');
    expect(body).toMatchObject({ revision: 2, publishedVersion: 1, unpublishedChanges: true });

    const tools1 = (await inject('GET', '/v1/agents/front-desk/tools')).json();
    expect(tools1.version).toBe(1);
    const transferCall = tools1.tools.find(
      (t: { function: { name: string } }) => t.function.name === 'transfer_call',
    );
    expect(transferCall.function.parameters.properties.destination.enum).toEqual(['Billing', 'default']);

    const published = await inject('POST', '/v1/agents/front-desk/publish');
    expect(published.json()).toMatchObject({ id: 'front-desk', version: 2, created: true });
    const tools2 = (await inject('GET', '/v1/agents/front-desk/tools')).json();
    expect(tools2.version).toBe(2);
    expect(
      tools2.tools.find((t: { function: { name: string } }) => t.function.name === 'transfer_call').function
        .parameters.properties.destination.enum,
    ).toEqual(['Spanish line', 'default']);
    // Version 1 stays readable.
    const v1 = await inject('GET', '/v1/agents/front-desk?version=1');
    expect(v1.json().published.version).toBe(1);
    expect((await inject('GET', '/v1/agents/front-desk/tools?version=1')).json().version).toBe(1);
    expect((await inject('GET', '/v1/agents/front-desk?version=9')).json().error).toMatchObject({
      code: 'agent_not_published',
      field: 'version',
    });
    const list = (await inject('GET', '/v1/agents')).json();
    expect(
      list.agents.map((a: { id: string; publishedVersion: number }) => [a.id, a.publishedVersion]),
    ).toEqual([
      ['clinic', 1],
      ['front-desk', 2],
    ]);
  });

  it('names the field of every problem in a refused PATCH and changes nothing', async () => {
    const res = await inject('PATCH', '/v1/agents/front-desk', {
      handoffConfig: { transferRules: [{ label: 'Billing', when: 'x', destination: '+1555' }] },
      afterHours: { timezone: 'Mars/Olympus', schedule: {} },
    });
    expect(res.statusCode).toBe(422);
    const { error } = res.json();
    expect(error.code).toBe('validation_failed');
    expect(error.field).toBe('handoffConfig.transferRules[0].destination');
    expect(error.issues.map((i: { field: string }) => i.field)).toEqual([
      'handoffConfig.transferRules[0].destination',
      'afterHours.timezone',
    ]);
    expect((await inject('GET', '/v1/agents/front-desk')).json().revision).toBe(1);
  });

  it("takes a seed's own shape in a PATCH; GET shows the native form with where it came from", async () => {
    // VoiceDock's assistant and nixflex's fields, as their pages write them.
    const patched = await inject('PATCH', '/v1/agents/front-desk', {
      transfer_type: 'warm',
      transfer_whisper: null,
      llm_config: {
        model: 'gpt-4o-mini',
        tools: [
          {
            type: 'transfer_call',
            destinations: [
              {
                type: 'number',
                number: '+14155550177',
                description: 'Escalations',
                message: 'One moment, please.',
              },
            ],
          },
          { type: 'end_call' },
        ],
      },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const got = (await inject('GET', '/v1/agents/front-desk')).json();
    expect(got.draft).not.toHaveProperty('transfer_type');
    expect(got.draft).not.toHaveProperty('llm_config');
    expect(got.draft.handoffConfig).toMatchObject({ warm: true, whisper: null });
    expect(got.draft.handoffConfig.transferRules).toEqual([
      {
        label: '+14155550177',
        when: 'Escalations',
        destination: ['+14155550177'],
        callerMessage: 'One moment, please.',
      },
    ]);
    expect(got.draft.tools).toEqual({ endCall: {} });
    expect(got.draft.mappedFrom).toEqual({
      shapes: ['nixflex', 'voicedock'],
      fields: [
        { from: 'transfer_type', to: 'handoffConfig.warm' },
        { from: 'transfer_whisper', to: 'handoffConfig.whisper' },
        { from: 'llm_config.tools[0].destinations[0]', to: 'handoffConfig.transferRules[0]' },
        { from: 'llm_config.tools[1]', to: 'tools.endCall' },
      ],
      unused: ['llm_config.model'],
    });
    // The native form is a valid PATCH of itself: nothing changes.
    const again = await inject('PATCH', '/v1/agents/front-desk', got.draft);
    expect(again.json().revision).toBe(got.revision);
  });

  it("hints at the right field for another shape's name, and refuses a seed field's bad value", async () => {
    const res = await inject('PATCH', '/v1/agents/front-desk', {
      handoffConfig: { transfer_type: 'warm' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.issues).toEqual([
      {
        field: 'handoffConfig.transfer_type',
        message:
          '"transfer_type" is nixflex\'s name, not read under handoffConfig; did you mean transfer_type at the agent\'s top level, or handoffConfig.warm?',
      },
    ]);
    const bad = await inject('PATCH', '/v1/agents/front-desk', { transfer_type: 'blind' });
    expect(bad.json().error).toMatchObject({ code: 'validation_failed', field: 'transfer_type' });
    expect((await inject('GET', '/v1/agents/front-desk')).json().revision).toBe(1);
  });

  it('refuses bad input with 4xx codes that name the field', async () => {
    const badId = await inject('GET', '/v1/agents/bad%20id');
    expect([badId.statusCode, badId.json().error.field]).toEqual([422, 'id']);
    const unknown = await inject('GET', '/v1/agents/nobody');
    expect([unknown.statusCode, unknown.json().error.code, unknown.json().error.field]).toEqual([
      404,
      'agent_not_found',
      'id',
    ]);
    const notObject = await inject('PATCH', '/v1/agents/front-desk', [1, 2]);
    expect([notObject.statusCode, notObject.json().error.code, notObject.json().error.field]).toEqual([
      400,
      'body_not_object',
      'body',
    ]);
    const badJson = await h.app.http.inject({
      method: 'PATCH',
      url: '/v1/agents/front-desk',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect([badJson.statusCode, badJson.json().error.code]).toEqual([400, 'invalid_json']);
    const idChange = await inject('PATCH', '/v1/agents/front-desk', { id: 'other' });
    expect(idChange.json().error.field).toBe('id');
    const badQuery = await inject('GET', '/v1/agents/front-desk/calls?sinceMs=yesterday');
    expect([badQuery.statusCode, badQuery.json().error.field]).toEqual([422, 'sinceMs']);
    const extraQuery = await inject('GET', '/v1/agents/front-desk?verison=1');
    expect(extraQuery.statusCode).toBe(422);
    const noRoute = await inject('GET', '/v1/nothing-here');
    expect([noRoute.statusCode, noRoute.json().error.code]).toEqual([404, 'route_not_found']);
  });

  it('checks If-Match against the draft revision', async () => {
    const ok = await inject('PATCH', '/v1/agents/clinic', { name: 'Clinic' }, { 'if-match': '"rev-1"' });
    expect([ok.statusCode, ok.headers.etag]).toEqual([200, '"rev-2"']);
    const stale = await inject('PATCH', '/v1/agents/clinic', { name: 'Clinic 2' }, { 'if-match': '"rev-1"' });
    expect([stale.statusCode, stale.json().error.code, stale.json().error.field]).toEqual([
      409,
      'revision_conflict',
      'revision',
    ]);
    const garbage = await inject('PATCH', '/v1/agents/clinic', { name: 'x' }, { 'if-match': 'yesterday' });
    expect([garbage.statusCode, garbage.json().error.field]).toEqual([422, 'If-Match']);
  });

  it('refuses publishing a number another published agent routes, naming numbers[i]', async () => {
    await inject('PATCH', '/v1/agents/clinic', { numbers: ['+14155550200', '+14155550100'] });
    const res = await inject('POST', '/v1/agents/clinic/publish');
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'number_in_use', field: 'numbers[1]' });
  });

  it('adds, lists and deletes skills (by name, tool name or index), with field errors', async () => {
    const added = await inject('POST', '/v1/agents/front-desk/skills', {
      name: 'Transfer to sales',
      description: 'Transfer callers who want a quote.',
      skillType: 'transfer',
      executionConfig: { destination: '(415) 555-0150' },
      requiresConfirmation: true,
      stakes: 'high',
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({
      index: 1,
      skill: {
        toolName: 'transfer_to_sales',
        executionConfig: { destination: ['+14155550150'] },
        stakes: 'high',
      },
    });
    const missing = await inject('POST', '/v1/agents/front-desk/skills', {
      name: 'x',
      skillType: 'transfer',
    });
    expect([missing.statusCode, missing.json().error.field]).toEqual([422, 'description']);
    const badDest = await inject('POST', '/v1/agents/front-desk/skills', {
      name: 'Bad',
      description: 'x',
      skillType: 'transfer',
      executionConfig: { destination: ['+14155550150', 'call me maybe'] },
    });
    expect([badDest.statusCode, badDest.json().error.field]).toEqual([422, 'executionConfig.destination[1]']);
    const dup = await inject('POST', '/v1/agents/front-desk/skills', {
      name: 'TRANSFER TO SALES',
      description: 'x',
      skillType: 'transfer',
    });
    expect([dup.statusCode, dup.json().error.field]).toEqual([422, 'name']);

    const listed = (await inject('GET', '/v1/agents/front-desk/skills')).json();
    expect(listed.skills.map((s: { index: number; toolName: string }) => [s.index, s.toolName])).toEqual([
      [0, 'transfer_to_billing'],
      [1, 'transfer_to_sales'],
    ]);
    const byTool = await inject('DELETE', '/v1/agents/front-desk/skills/transfer_to_sales');
    expect(byTool.json().removed.name).toBe('Transfer to sales');
    const ghost = await inject('DELETE', '/v1/agents/front-desk/skills/Ghost');
    expect([ghost.statusCode, ghost.json().error.code]).toEqual([404, 'skill_not_found']);
    const both = await inject('DELETE', '/v1/agents/front-desk/skills?index=0&name=x');
    expect([both.statusCode, both.json().error.field]).toEqual([422, 'index']);
    const outOfRange = await inject('DELETE', '/v1/agents/front-desk/skills?index=3');
    expect([outOfRange.statusCode, outOfRange.json().error.field]).toEqual([404, 'index']);
    const byIndex = await inject('DELETE', '/v1/agents/front-desk/skills?index=0');
    expect(byIndex.json()).toMatchObject({ removed: { name: 'Transfer to billing' }, skills: [] });
    // The published version still has its skill until publish.
    const tools = (await inject('GET', '/v1/agents/front-desk/tools')).json();
    expect(tools.tools.map((t: { function: { name: string } }) => t.function.name)).toContain(
      'transfer_to_billing',
    );
  });
});

describe('agents API: secrets in agent.headers', () => {
  it('shows header values redacted and refuses the marker written back', async () => {
    const h = await startApiApp();
    try {
      const auth = bearer(ALL_KEY);
      const set = await h.app.http.inject({
        method: 'PATCH',
        url: '/v1/agents/clinic',
        headers: auth,
        payload: { agent: { headers: { Authorization: 'Bearer bot-secret-1' } } },
      });
      expect(set.statusCode).toBe(200);
      expect(set.json().draft.agent.headers).toEqual({ Authorization: '[redacted]' });
      expect(set.body).not.toContain('bot-secret-1');
      const published = await h.app.http.inject({
        method: 'POST',
        url: '/v1/agents/clinic/publish',
        headers: auth,
      });
      expect(published.body).not.toContain('bot-secret-1');
      // The runtime gets the real value.
      expect((await h.app.agents.get('clinic'))?.agent.agent.headers['Authorization']).toBe(
        'Bearer bot-secret-1',
      );
      const back = await h.app.http.inject({
        method: 'PATCH',
        url: '/v1/agents/clinic',
        headers: auth,
        payload: { name: 'Clinic', agent: { headers: { Authorization: '[redacted]' } } },
      });
      expect([back.statusCode, back.json().error.field]).toEqual([422, 'agent.headers.Authorization']);
    } finally {
      await h.close();
    }
  });
});
