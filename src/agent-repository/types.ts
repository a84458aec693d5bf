import type { AgentConfig, AgentsConfig, TransferSkill } from '../config/agent-types.js';
import type { AgentDirectory, PublishedAgent } from '../runtime/agent-directory.js';
import type { SkillRef } from './draft.js';

export type { PublishedAgent } from '../runtime/agent-directory.js';
export type { SkillRef } from './draft.js';

/**
 * An agent's draft (flowyte "draft vs published"): what the API edits. Calls never see it until
 * it is published.
 */
export interface AgentDraft {
  /** The draft, parsed and normalized (numbers E.164, tool names filled in). */
  readonly agent: AgentConfig;
  /** +1 on every saved change; a PATCH may name the revision it read (`If-Match`). */
  readonly revision: number;
  /** The latest published version; null when never published. */
  readonly publishedVersion: number | null;
  /** True when the draft was saved since the last publish (or was never published). */
  readonly unpublishedChanges: boolean;
}

/** One agent in a listing. */
export interface AgentSummary {
  readonly id: string;
  readonly name: string;
  readonly revision: number;
  readonly publishedVersion: number | null;
  readonly unpublishedChanges: boolean;
}

/** What `publish` did. */
export interface PublishOutcome extends PublishedAgent {
  /** False when the draft had no change since the last publish (the version is the current one). */
  readonly created: boolean;
}

/** What seeding from the agents file did, by agent id. */
export interface SeedReport {
  /** Not in the store before: created from the file and published as version 1. */
  readonly created: readonly string[];
  /** Already in the store: left as they are (the store wins over the file). */
  readonly kept: readonly string[];
  /** Created but not publishable (e.g. an inbound number another published agent routes). */
  readonly unpublished: readonly { readonly id: string; readonly code: string; readonly message: string }[];
}

/**
 * Agent configurations kept in the store, draft vs published (flowyte). Edits change the draft;
 * `publish` freezes it as a new version. Calls resolve agents through the {@link AgentDirectory}
 * side (`byNumber`, `get`), which only ever returns published versions; a call keeps the version
 * it started with, because published versions are never changed or deleted.
 *
 * Errors: `AgentError` (`agent_not_found`, `agent_not_published`, `revision_conflict`,
 * `number_in_use`, `skill_not_found`) and `ValidationError` (`validation_failed`, every problem
 * with its field).
 */
export interface AgentRepository extends AgentDirectory {
  list(): Promise<readonly AgentSummary[]>;
  getDraft(agentId: string): Promise<AgentDraft | undefined>;
  /**
   * JSON Merge Patch (RFC 7396) of the draft: objects merge, `null` removes a field (back to its
   * default), arrays replace. Validated as a whole agent; numbers are normalized on save.
   */
  patchDraft(
    agentId: string,
    patch: unknown,
    options?: { readonly expectedRevision?: number },
  ): Promise<AgentDraft>;
  /** Freezes the draft as the next version (or returns the current one when nothing changed). */
  publish(agentId: string): Promise<PublishOutcome>;
  /** A published version; the latest when `version` is omitted. */
  getPublished(agentId: string, version?: number): Promise<PublishedAgent | undefined>;
  /** Appends a transfer skill to the draft; issues name fields relative to the skill. */
  addSkill(agentId: string, skill: unknown): Promise<{ readonly draft: AgentDraft; readonly index: number }>;
  removeSkill(
    agentId: string,
    ref: SkillRef,
  ): Promise<{ readonly draft: AgentDraft; readonly removed: TransferSkill }>;
  /**
   * Seeds agents from the agents file: an agent that is not in the store is created and published
   * as version 1; an agent already in the store is left untouched (the store wins).
   */
  seed(config: AgentsConfig): Promise<SeedReport>;
  /** Resolves once the repository can serve (a seeding repository has seeded). */
  ready(): Promise<void>;
  close(): Promise<void>;
}
