import type { AgentsConfig } from '../config/agent-types.js';
import type { PublishedAgent } from '../runtime/agent-directory.js';
import type { SkillRef } from './draft.js';
import type { AgentDraft, AgentRepository, AgentSummary, PublishOutcome, SeedReport } from './types.js';

/**
 * An {@link AgentRepository} that seeds itself from the agents file before its first use, so a
 * composition root can build it synchronously. A failed seed (Redis away) is retried by the next
 * call rather than remembered.
 */
export class SeedingAgentRepository implements AgentRepository {
  readonly #inner: AgentRepository;
  readonly #config: AgentsConfig;
  readonly #onSeeded: (report: SeedReport) => void;
  #seeding: Promise<SeedReport> | undefined;

  constructor(
    inner: AgentRepository,
    config: AgentsConfig,
    onSeeded: (report: SeedReport) => void = () => undefined,
  ) {
    this.#inner = inner;
    this.#config = config;
    this.#onSeeded = onSeeded;
  }

  async ready(): Promise<void> {
    await this.seeded();
  }

  /** Seeds once (concurrent callers share the attempt); resolves with what the seed did. */
  seeded(): Promise<SeedReport> {
    this.#seeding ??= this.#inner.seed(this.#config).then(
      (report) => {
        this.#onSeeded(report);
        return report;
      },
      (err: unknown) => {
        this.#seeding = undefined;
        throw err;
      },
    );
    return this.#seeding;
  }

  async list(): Promise<readonly AgentSummary[]> {
    await this.ready();
    return this.#inner.list();
  }
  async getDraft(agentId: string): Promise<AgentDraft | undefined> {
    await this.ready();
    return this.#inner.getDraft(agentId);
  }
  async patchDraft(
    agentId: string,
    patch: unknown,
    options?: { readonly expectedRevision?: number },
  ): Promise<AgentDraft> {
    await this.ready();
    return this.#inner.patchDraft(agentId, patch, options);
  }
  async publish(agentId: string): Promise<PublishOutcome> {
    await this.ready();
    return this.#inner.publish(agentId);
  }
  async getPublished(agentId: string, version?: number): Promise<PublishedAgent | undefined> {
    await this.ready();
    return this.#inner.getPublished(agentId, version);
  }
  async get(agentId: string, version?: number): Promise<PublishedAgent | undefined> {
    await this.ready();
    return this.#inner.get(agentId, version);
  }
  async byNumber(calledNumber: string): Promise<PublishedAgent | undefined> {
    await this.ready();
    return this.#inner.byNumber(calledNumber);
  }
  async addSkill(
    agentId: string,
    skill: unknown,
  ): Promise<{ readonly draft: AgentDraft; readonly index: number }> {
    await this.ready();
    return this.#inner.addSkill(agentId, skill);
  }
  async removeSkill(agentId: string, ref: SkillRef): ReturnType<AgentRepository['removeSkill']> {
    await this.ready();
    return this.#inner.removeSkill(agentId, ref);
  }
  seed(config: AgentsConfig): Promise<SeedReport> {
    return this.#inner.seed(config);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}
