import type { AgentBackend, AgentRow, BackendPublishResult } from './backend.js';

interface MemoryAgent extends AgentRow {
  readonly versions: Map<number, string>;
  readonly numbers: readonly string[];
}

/** One process's agents, for the in-memory store (nothing survives a restart). */
export class MemoryAgentBackend implements AgentBackend {
  readonly #agents = new Map<string, MemoryAgent>();
  readonly #numbers = new Map<string, string>();

  async load(agentId: string): Promise<AgentRow | null> {
    const a = this.#agents.get(agentId);
    return a === undefined
      ? null
      : { draft: a.draft, revision: a.revision, version: a.version, publishedRevision: a.publishedRevision };
  }

  async ids(): Promise<readonly string[]> {
    return [...this.#agents.keys()].sort();
  }

  async create(agentId: string, draft: string): Promise<boolean> {
    if (this.#agents.has(agentId)) return false;
    this.#agents.set(agentId, {
      draft,
      revision: 1,
      version: 0,
      publishedRevision: 0,
      versions: new Map(),
      numbers: [],
    });
    return true;
  }

  async saveDraft(agentId: string, expectedRevision: number, draft: string): Promise<number | null> {
    const a = this.#agents.get(agentId);
    if (a === undefined || a.revision !== expectedRevision) return null;
    this.#agents.set(agentId, { ...a, draft, revision: a.revision + 1 });
    return a.revision + 1;
  }

  async publish(
    agentId: string,
    expectedRevision: number,
    published: string,
    numbers: readonly string[],
  ): Promise<BackendPublishResult> {
    const a = this.#agents.get(agentId);
    if (a === undefined) return { ok: false, reason: 'missing' };
    if (a.revision !== expectedRevision) return { ok: false, reason: 'conflict' };
    if (a.publishedRevision === a.revision) return { ok: true, version: a.version, created: false };
    for (const number of numbers) {
      const owner = this.#numbers.get(number);
      if (owner !== undefined && owner !== agentId)
        return { ok: false, reason: 'number_in_use', number, owner };
    }
    for (const number of a.numbers) if (this.#numbers.get(number) === agentId) this.#numbers.delete(number);
    for (const number of numbers) this.#numbers.set(number, agentId);
    const version = a.version + 1;
    a.versions.set(version, published);
    this.#agents.set(agentId, { ...a, version, publishedRevision: a.revision, numbers: [...numbers] });
    return { ok: true, version, created: true };
  }

  async published(agentId: string, version?: number): Promise<{ version: number; json: string } | null> {
    const a = this.#agents.get(agentId);
    if (a === undefined) return null;
    const wanted = version ?? a.version;
    const json = a.versions.get(wanted);
    return json === undefined ? null : { version: wanted, json };
  }

  async ownerOf(e164: string): Promise<string | null> {
    return this.#numbers.get(e164) ?? null;
  }

  async close(): Promise<void> {}
}
