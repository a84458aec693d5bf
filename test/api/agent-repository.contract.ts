import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError, type AgentRepository, ValidationError } from '../../src/agent-repository/index.js';
import type { AgentDirectory } from '../../src/runtime/agent-directory.js';
import { agentsConfig } from './fixtures.js';

/** Makes a fresh, empty repository; `second` opens another one on the same data when the backend is shared. */
export interface RepositoryHarness {
  make(): Promise<AgentRepository>;
  /** Another repository over the same data (another worker), or undefined for one-process backends. */
  another?(): Promise<AgentRepository>;
  cleanup(): Promise<void>;
}

async function refusal(p: Promise<unknown>): Promise<AgentError | ValidationError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AgentError || err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** One contract over every AgentRepository backend. */
export function agentRepositoryContract(name: string, harness: RepositoryHarness): void {
  describe(name, () => {
    let repo: AgentRepository;
    beforeEach(async () => {
      repo = await harness.make();
      await repo.seed(agentsConfig());
    });
    afterEach(async () => {
      await repo.close();
      await harness.cleanup();
    });

    it('seeds the agents file as published version 1, found by number and by id', async () => {
      const dir: AgentDirectory = repo;
      const byNumber = await dir.byNumber('+14155550100');
      expect(byNumber?.agent.id).toBe('front-desk');
      expect(byNumber?.version).toBe(1);
      expect((await dir.get('clinic', 1))?.agent.handoffConfig.transferDestination).toBe('+14155550210');
      expect(await dir.byNumber('+14155550999')).toBeUndefined();
      expect(await dir.get('nobody')).toBeUndefined();
      expect(await dir.get('clinic', 7)).toBeUndefined();
      const list = await repo.list();
      expect(list.map((a) => [a.id, a.publishedVersion, a.unpublishedChanges])).toEqual([
        ['clinic', 1, false],
        ['front-desk', 1, false],
      ]);
    });

    it('reads inbound numbers the way carriers send them (no plus, national)', async () => {
      expect((await repo.byNumber('14155550100'))?.agent.id).toBe('front-desk');
      expect((await repo.byNumber('(415) 555-0200'))?.agent.id).toBe('clinic');
    });

    it('does not overwrite an agent already in the store when seeding again', async () => {
      await repo.patchDraft('clinic', { name: 'Edited clinic' });
      await repo.publish('clinic');
      const report = await repo.seed(agentsConfig('ws://127.0.0.1:9/other'));
      expect(report.created).toEqual([]);
      expect(report.kept).toEqual(['front-desk', 'clinic']);
      expect((await repo.get('clinic'))?.agent.name).toBe('Edited clinic');
      expect((await repo.get('clinic'))?.version).toBe(2);
    });

    it('takes handoffConfig.mode and warm as one setting: the field a PATCH names wins', async () => {
      await repo.patchDraft('front-desk', { handoffConfig: { warm: true } });
      const agentic = await repo.patchDraft('front-desk', { handoffConfig: { mode: 'agentic' } });
      expect(agentic.agent.handoffConfig).toMatchObject({ mode: 'agentic', warm: false });
      const warm = await repo.patchDraft('front-desk', { handoffConfig: { warm: true } });
      expect(warm.agent.handoffConfig).toMatchObject({ mode: 'warm', warm: true });
      const cold = await repo.patchDraft('front-desk', { handoffConfig: { mode: 'cold' } });
      expect(cold.agent.handoffConfig).toMatchObject({ mode: 'cold', warm: false });
    });

    it('deep-merges a PATCH into the draft and normalizes numbers on save', async () => {
      const draft = await repo.patchDraft('front-desk', {
        numbers: ['(415) 555-0101', '415.555.0100'],
        handoffConfig: { warm: true, transferDestination: '415 555 0134' },
        callControl: { onNoResponseAction: 'transfer' },
      });
      expect(draft.agent.numbers).toEqual(['+14155550101', '+14155550100']);
      expect(draft.agent.handoffConfig.warm).toBe(true);
      expect(draft.agent.handoffConfig.transferDestination).toBe('+14155550134');
      // Untouched siblings survive the merge.
      expect(draft.agent.handoffConfig.transferRules.map((r) => r.label)).toEqual(['Billing']);
      expect(draft.agent.callControl).toEqual({ onNoResponseAction: 'transfer', noResponseTimeoutSec: 10 });
      expect(draft.revision).toBe(2);
      expect(draft.unpublishedChanges).toBe(true);
      expect(draft.publishedVersion).toBe(1);
    });

    it('removes a field with null (RFC 7396) and replaces arrays whole', async () => {
      await repo.patchDraft('front-desk', {
        afterHours: { timezone: 'America/New_York', schedule: { mon: [['09:00', '17:00']] } },
      });
      const cleared = await repo.patchDraft('front-desk', {
        afterHours: null,
        handoffConfig: {
          transferRules: [{ label: 'Sales', when: 'caller wants a quote', destination: '+14155550150' }],
        },
      });
      expect(cleared.agent.afterHours).toBeUndefined();
      expect(cleared.agent.handoffConfig.transferRules).toEqual([
        { label: 'Sales', when: 'caller wants a quote', destination: ['+14155550150'] },
      ]);
    });

    it('refuses an invalid PATCH with every problem and its field, and changes nothing', async () => {
      const err = await refusal(
        repo.patchDraft('front-desk', {
          handoffConfig: {
            transferRules: [{ label: 'Billing', when: 'x', destination: '+1555' }],
            ringTimeoutSec: 2,
          },
          numbers: ['not a number'],
          transferRule: [],
        }),
      );
      expect(err).toBeInstanceOf(ValidationError);
      const fields = (err as ValidationError).issues.map((i) => i.field);
      expect(fields).toEqual(
        expect.arrayContaining([
          'handoffConfig.transferRules[0].destination',
          'handoffConfig.ringTimeoutSec',
          'numbers[0]',
          '',
        ]),
      );
      expect((err as ValidationError).issues.find((i) => i.field === '')?.message).toMatch(/transferRule/);
      expect((await repo.getDraft('front-desk'))?.revision).toBe(1);
    });

    it('refuses changing the id and patching an unknown agent', async () => {
      const idErr = await refusal(repo.patchDraft('front-desk', { id: 'other' }));
      expect([idErr.code, (idErr as ValidationError).field]).toEqual(['validation_failed', 'id']);
      const missing = await refusal(repo.patchDraft('nobody', { name: 'x' }));
      expect([missing.code, (missing as AgentError).field]).toEqual(['agent_not_found', 'id']);
      expect(await repo.getDraft('nobody')).toBeUndefined();
      expect((await refusal(repo.publish('nobody'))).code).toBe('agent_not_found');
    });

    it('keeps draft edits away from calls until published; old versions stay readable', async () => {
      await repo.patchDraft('front-desk', { handoffConfig: { transferDestination: '+14155550199' } });
      expect((await repo.get('front-desk'))?.agent.handoffConfig.transferDestination).toBe('+14155550133');
      expect((await repo.byNumber('+14155550100'))?.version).toBe(1);

      const published = await repo.publish('front-desk');
      expect([published.version, published.created]).toEqual([2, true]);
      expect((await repo.get('front-desk'))?.agent.handoffConfig.transferDestination).toBe('+14155550199');
      expect((await repo.byNumber('+14155550100'))?.version).toBe(2);
      // A call that started on version 1 keeps it.
      expect((await repo.get('front-desk', 1))?.agent.handoffConfig.transferDestination).toBe('+14155550133');
      expect((await repo.getDraft('front-desk'))?.unpublishedChanges).toBe(false);
    });

    it('publishing an unchanged draft creates no new version', async () => {
      const again = await repo.publish('front-desk');
      expect([again.version, again.created]).toEqual([1, false]);
      await repo.patchDraft('front-desk', { name: 'Front desk' }); // same value: no new revision
      expect((await repo.getDraft('front-desk'))?.revision).toBe(1);
    });

    it('moves inbound numbers on publish and refuses a number another published agent routes', async () => {
      await repo.patchDraft('clinic', { numbers: ['+14155550100'] });
      const err = await refusal(repo.publish('clinic'));
      expect([err.code, (err as AgentError).field]).toEqual(['number_in_use', 'numbers[0]']);
      expect((await repo.byNumber('+14155550100'))?.agent.id).toBe('front-desk');

      await repo.patchDraft('front-desk', { numbers: ['+14155550101'] });
      await repo.publish('front-desk');
      expect(await repo.byNumber('+14155550100')).toBeUndefined();
      expect((await repo.byNumber('+14155550101'))?.agent.id).toBe('front-desk');
      await repo.publish('clinic');
      expect((await repo.byNumber('+14155550100'))?.agent.id).toBe('clinic');
      expect(await repo.byNumber('+14155550200')).toBeUndefined();
    });

    it('adds, lists and removes skills on the draft', async () => {
      const added = await repo.addSkill('front-desk', {
        name: 'Account owner',
        description: 'Transfer an existing customer to the rep who owns the account.',
        skillType: 'transfer',
        executionConfig: { destination: '(415) 555-0160' },
        requiresConfirmation: true,
        stakes: 'high',
      });
      expect(added.index).toBe(1);
      const skill = added.draft.agent.skills[1];
      expect(skill?.toolName).toBe('account_owner');
      expect(skill?.executionConfig.destination).toEqual(['+14155550160']);

      const dup = await refusal(
        repo.addSkill('front-desk', { name: 'account owner', description: 'x', skillType: 'transfer' }),
      );
      expect([dup.code, (dup as ValidationError).field]).toEqual(['validation_failed', 'name']);
      const bad = await refusal(
        repo.addSkill('front-desk', {
          name: 'Lookup',
          description: 'x',
          skillType: 'lookup',
          executionConfig: { destination: 'nope' },
        }),
      );
      expect((bad as ValidationError).issues.map((i) => i.field)).toEqual(
        expect.arrayContaining(['skillType', 'executionConfig.destination']),
      );

      const byTool = await repo.removeSkill('front-desk', { name: 'transfer_to_billing' });
      expect(byTool.removed.name).toBe('Transfer to billing');
      // The remaining skill moved to index 0; its derived tool name is unchanged.
      expect(byTool.draft.agent.skills.map((s) => s.toolName)).toEqual(['account_owner']);
      const byIndex = await repo.removeSkill('front-desk', { index: 0 });
      expect(byIndex.removed.name).toBe('Account owner');
      const none = await refusal(repo.removeSkill('front-desk', { index: 0 }));
      expect([none.code, (none as AgentError).field]).toEqual(['skill_not_found', 'index']);
      const noName = await refusal(repo.removeSkill('front-desk', { name: 'Ghost' }));
      expect([noName.code, (noName as AgentError).field]).toEqual(['skill_not_found', 'name']);
      // Published skills are untouched until publish.
      expect((await repo.get('front-desk'))?.agent.skills).toHaveLength(1);
    });

    it('renaming a skill renames its derived tool', async () => {
      await repo.patchDraft('front-desk', {
        skills: [{ name: 'Billing desk', description: 'Billing questions.', skillType: 'transfer' }],
      });
      expect((await repo.getDraft('front-desk'))?.agent.skills[0]?.toolName).toBe('billing_desk');
    });

    it('checks the expected revision', async () => {
      const draft = await repo.patchDraft('clinic', { name: 'Clinic' }, { expectedRevision: 1 });
      expect(draft.revision).toBe(2);
      const stale = await refusal(repo.patchDraft('clinic', { name: 'Clinic 2' }, { expectedRevision: 1 }));
      expect([stale.code, (stale as AgentError).field]).toEqual(['revision_conflict', 'revision']);
    });

    it('applies concurrent patches of different fields both', async () => {
      await Promise.all([
        repo.patchDraft('clinic', { name: 'Concurrent' }),
        repo.patchDraft('clinic', { handoffConfig: { warm: true } }),
        repo.patchDraft('clinic', { callControl: { noResponseTimeoutSec: 30 } }),
      ]);
      const draft = await repo.getDraft('clinic');
      expect(draft?.agent.name).toBe('Concurrent');
      expect(draft?.agent.handoffConfig.warm).toBe(true);
      expect(draft?.agent.callControl.noResponseTimeoutSec).toBe(30);
      expect(draft?.revision).toBe(4);
    });

    it('shares drafts and versions between workers when the backend is shared', async () => {
      if (harness.another === undefined) return;
      const other = await harness.another();
      try {
        await repo.patchDraft('clinic', { name: 'From worker A' });
        await repo.publish('clinic');
        expect((await other.get('clinic'))?.agent.name).toBe('From worker A');
        expect((await other.get('clinic'))?.version).toBe(2);
        const seeded = await other.seed(agentsConfig());
        expect(seeded.created).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });
}
