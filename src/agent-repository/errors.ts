import type { ConfigIssue } from '../config/config-error.js';
import { DaemonError } from '../domain/errors.js';

/** One refused input field: where (`handoffConfig.transferRules[1].destination`) and why. */
export interface FieldIssue {
  /** Dotted path with `[index]`, relative to the object that was sent. */
  readonly field: string;
  readonly message: string;
}

/**
 * An input (a PATCH, a skill, a request body) was refused. Lists every problem at once, each
 * with its field (STYLE.md 9); `field` is the first one. Never retryable: the input must change.
 */
export class ValidationError extends DaemonError {
  readonly issues: readonly FieldIssue[];
  readonly field: string | undefined;

  constructor(issues: readonly FieldIssue[], message?: string) {
    const text =
      message ??
      issues
        .map((issue) => (issue.field === '' ? issue.message : `${issue.field}: ${issue.message}`))
        .join('; ');
    super('validation_failed', text === '' ? 'invalid input' : text);
    this.name = 'ValidationError';
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
    this.field = issues[0]?.field;
  }
}

/** Configuration issues (paths relative to the agent) as field issues. */
export function fromConfigIssues(issues: readonly ConfigIssue[]): FieldIssue[] {
  return issues.map((issue) => ({ field: issue.path, message: issue.message }));
}

/**
 * Codes the agent repository raises, besides `validation_failed`:
 * - `agent_not_found`: no agent with this id.
 * - `agent_not_published`: the agent (or that version) was never published.
 * - `revision_conflict`: the draft changed since the revision the caller read (retryable).
 * - `number_in_use`: publishing would route an inbound number another published agent routes.
 * - `skill_not_found`: no skill with that name or index in the draft.
 */
export type AgentErrorCode =
  | 'agent_not_found'
  | 'agent_not_published'
  | 'revision_conflict'
  | 'number_in_use'
  | 'skill_not_found';

/** A repository refusal with the field it concerns (for API errors), when there is one. */
export class AgentError extends DaemonError {
  readonly field: string | undefined;

  constructor(code: AgentErrorCode, message: string, options: { field?: string; retryable?: boolean } = {}) {
    super(code, message, { retryable: options.retryable ?? false });
    this.name = 'AgentError';
    this.field = options.field;
  }
}
