import type { AgentConfig, AgentsConfig } from '../config/agent-types.js';
import { normalizeInboundNumber } from '../phone/destination.js';
import type { PublishedAgent } from '../runtime/agent-directory.js';
import type { AgentBackend, AgentRow } from './backend.js';
import {
  type AgentRules,
  type JsonObject,
  patchedDraft,
  type SkillRef,
  storedDraft,
  validateDraft,
  withoutSkill,
  withSkill,
} from './draft.js';
import { AgentError, ValidationError } from './errors.js';
import type { AgentDraft, AgentRepository, AgentSummary, PublishOutcome, SeedReport } from './types.js';

export interface StoredAgentRepositoryOptions {
  /** ISO region national numbers are read in (the agents file's, else `DEFAULT_REGION`). */
  readonly defaultRegion: string;
  /** The carriers an agent may name; default the registered ones (providers/index.ts). */
  readonly carriers?: readonly string[];
  /** Published versions kept parsed in memory (they never change). Default 256. */
  readonly cacheSize?: number;
}

/** How often an edit is re-applied after another writer saved the draft first. */
const MAX_EDIT_ATTEMPTS = 8;

/** The repository logic over any {@link AgentBackend} (Redis or memory). */
export class StoredAgentRepository implements AgentRepository {
  readonly #backend: AgentBackend;
  readonly #region: AgentRules;
  readonly #cacheSize: number;
  /** `${id}@${version}` → parsed published agent. Versions are immutable, so never stale. */
  readonly #cache = new Map<string, PublishedAgent>();

  constructor(backend: AgentBackend, options: StoredAgentRepositoryOptions) {
    this.#backend = backend;
    this.#region = options;
    this.#cacheSize = options.cacheSize ?? 256;
  }

  async list(): Promise<readonly AgentSummary[]> {
    const out: AgentSummary[] = [];
    for (const id of await this.#backend.ids()) {
      const draft = await this.getDraft(id);
      if (draft === undefined) continue;
      const { agent, ...rest } = draft;
      out.push({ id, name: agent.name, ...rest });
    }
    return out;
  }

  async getDraft(agentId: string): Promise<AgentDraft | undefined> {
    const row = await this.#backend.load(agentId);
    return row === null ? undefined : this.#view(row, validateDraft(JSON.parse(row.draft), this.#region));
  }

  patchDraft(
    agentId: string,
    patch: unknown,
    options: { readonly expectedRevision?: number } = {},
  ): Promise<AgentDraft> {
    return this.#edit(agentId, options.expectedRevision, (draft) => ({
      agent: patchedDraft(agentId, draft, patch, this.#region),
      extra: {},
    })).then((r) => r.draft);
  }

  async publish(agentId: string): Promise<PublishOutcome> {
    for (let attempt = 0; attempt < MAX_EDIT_ATTEMPTS; attempt++) {
      const row = await this.#load(agentId);
      const agent = validateDraft(JSON.parse(row.draft), this.#region);
      const result = await this.#backend.publish(agentId, row.revision, JSON.stringify(agent), agent.numbers);
      if (result.ok) {
        const published = this.#remember(agentId, result.version, agent);
        return { ...published, created: result.created };
      }
      if (result.reason === 'missing') throw notFound(agentId);
      if (result.reason === 'number_in_use') {
        const index = agent.numbers.indexOf(result.number);
        throw new AgentError(
          'number_in_use',
          `numbers[${index}] is routed by published agent ${JSON.stringify(result.owner)}`,
          { field: `numbers[${index}]` },
        );
      }
    }
    throw conflict();
  }

  async getPublished(agentId: string, version?: number): Promise<PublishedAgent | undefined> {
    if (version !== undefined) {
      const cached = this.#cache.get(`${agentId}@${version}`);
      if (cached !== undefined) return cached;
    }
    const found = await this.#backend.published(agentId, version);
    if (found === null) return undefined;
    const cached = this.#cache.get(`${agentId}@${found.version}`);
    if (cached !== undefined) return cached;
    return this.#remember(agentId, found.version, validateDraft(JSON.parse(found.json), this.#region));
  }

  get(agentId: string, version?: number): Promise<PublishedAgent | undefined> {
    return this.getPublished(agentId, version);
  }

  async byNumber(calledNumber: string): Promise<PublishedAgent | undefined> {
    const e164 = normalizeInboundNumber(calledNumber, this.#region.defaultRegion);
    if (e164 === undefined) return undefined;
    const owner = await this.#backend.ownerOf(e164);
    return owner === null ? undefined : this.getPublished(owner);
  }

  async addSkill(agentId: string, skill: unknown): Promise<{ draft: AgentDraft; index: number }> {
    const r = await this.#edit(agentId, undefined, (draft) => {
      const { agent, index } = withSkill(draft, skill, this.#region);
      return { agent, extra: { index } };
    });
    return { draft: r.draft, index: r.extra.index };
  }

  async removeSkill(
    agentId: string,
    ref: SkillRef,
  ): Promise<{ draft: AgentDraft; removed: AgentConfig['skills'][number] }> {
    const r = await this.#edit(agentId, undefined, (draft, current) => {
      const { agent, removed } = withoutSkill(draft, current, ref, this.#region);
      return { agent, extra: { removed } };
    });
    return { draft: r.draft, removed: r.extra.removed };
  }

  async seed(config: AgentsConfig): Promise<SeedReport> {
    const created: string[] = [];
    const kept: string[] = [];
    const unpublished: { id: string; code: string; message: string }[] = [];
    for (const agent of config.agents) {
      const isNew = await this.#backend.create(agent.id, JSON.stringify(storedDraft(agent)));
      (isNew ? created : kept).push(agent.id);
      const row = await this.#backend.load(agent.id);
      // A seeded agent not yet published (a worker stopped between the two steps, or a number
      // clash) is published now; publish is idempotent per revision, so racing workers agree.
      if (row === null || row.version !== 0) continue;
      try {
        await this.publish(agent.id);
      } catch (err) {
        if (!(err instanceof AgentError || err instanceof ValidationError)) throw err;
        unpublished.push({ id: agent.id, code: err.code, message: err.message });
      }
    }
    return { created, kept, unpublished };
  }

  async ready(): Promise<void> {}

  close(): Promise<void> {
    return this.#backend.close();
  }

  async #load(agentId: string): Promise<AgentRow> {
    const row = await this.#backend.load(agentId);
    if (row === null) throw notFound(agentId);
    return row;
  }

  /** Load → change → compare-and-set the draft, re-applying the change after a concurrent save. */
  async #edit<X>(
    agentId: string,
    expectedRevision: number | undefined,
    change: (draft: JsonObject, current: AgentConfig) => { agent: AgentConfig; extra: X },
  ): Promise<{ draft: AgentDraft; extra: X }> {
    for (let attempt = 0; attempt < MAX_EDIT_ATTEMPTS; attempt++) {
      const row = await this.#load(agentId);
      if (expectedRevision !== undefined && row.revision !== expectedRevision) {
        throw new AgentError(
          'revision_conflict',
          `the draft is at revision ${row.revision}, not ${expectedRevision}`,
          {
            field: 'revision',
          },
        );
      }
      const draft = JSON.parse(row.draft) as JsonObject;
      const { agent, extra } = change(draft, validateDraft(draft, this.#region));
      const text = JSON.stringify(storedDraft(agent));
      if (text === row.draft) return { draft: this.#view(row, agent), extra };
      const revision = await this.#backend.saveDraft(agentId, row.revision, text);
      if (revision !== null) return { draft: this.#view({ ...row, draft: text, revision }, agent), extra };
    }
    throw conflict();
  }

  #view(row: AgentRow, agent: AgentConfig): AgentDraft {
    return {
      agent,
      revision: row.revision,
      publishedVersion: row.version === 0 ? null : row.version,
      unpublishedChanges: row.version === 0 || row.publishedRevision !== row.revision,
    };
  }

  #remember(agentId: string, version: number, agent: AgentConfig): PublishedAgent {
    const published: PublishedAgent = Object.freeze({ agent, version });
    const key = `${agentId}@${version}`;
    this.#cache.delete(key);
    this.#cache.set(key, published);
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    return published;
  }
}

function notFound(agentId: string): AgentError {
  return new AgentError('agent_not_found', `no agent ${JSON.stringify(agentId)}`, { field: 'id' });
}

function conflict(): AgentError {
  return new AgentError('revision_conflict', 'the draft kept changing; try again', { retryable: true });
}
