/**
 * Where an agent repository keeps its data: a few primitive, atomic operations that the Redis
 * and memory backends implement alike. All the logic (merging, validation, versions) lives in
 * repository.ts on top of these.
 */

/** One agent's row. */
export interface AgentRow {
  /** The draft in stored form (JSON text, see `storedDraft`). */
  readonly draft: string;
  /** Draft revision, 1 after create, +1 per saved change. */
  readonly revision: number;
  /** Latest published version; 0 when never published. */
  readonly version: number;
  /** The draft revision that version froze; 0 when never published. */
  readonly publishedRevision: number;
}

export type BackendPublishResult =
  | { readonly ok: true; readonly version: number; readonly created: boolean }
  | { readonly ok: false; readonly reason: 'missing' | 'conflict' }
  | { readonly ok: false; readonly reason: 'number_in_use'; readonly number: string; readonly owner: string };

export interface AgentBackend {
  load(agentId: string): Promise<AgentRow | null>;
  ids(): Promise<readonly string[]>;
  /** Creates the agent with this draft at revision 1 unless it exists; true when created. */
  create(agentId: string, draft: string): Promise<boolean>;
  /** Saves the draft if the revision is still `expectedRevision`; the new revision, or null. */
  saveDraft(agentId: string, expectedRevision: number, draft: string): Promise<number | null>;
  /**
   * Atomically: checks the revision, refuses inbound numbers routed by another agent, stores
   * `published` as the next version and moves the agent's numbers in the number index. When the
   * revision was already published, returns that version with `created: false`.
   */
  publish(
    agentId: string,
    expectedRevision: number,
    published: string,
    numbers: readonly string[],
  ): Promise<BackendPublishResult>;
  /** A published version's JSON; the latest when `version` is omitted. */
  published(
    agentId: string,
    version?: number,
  ): Promise<{ readonly version: number; readonly json: string } | null>;
  /** The agent whose published version routes this E.164 number. */
  ownerOf(e164: string): Promise<string | null>;
  close(): Promise<void>;
}
