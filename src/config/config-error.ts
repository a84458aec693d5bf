import { DaemonError } from '../domain/errors.js';

/** One configuration problem: where (`PORT`, `agents[0].handoffConfig.warm`) and what. */
export interface ConfigIssue {
  /** Environment variable name, or a dotted path with `[index]` into the agents file. */
  readonly path: string;
  readonly message: string;
}

/**
 * Configuration was refused. Lists every problem at once (STYLE.md 9); `message` has one line
 * per issue, `path: message`. Never retryable: the input has to change.
 */
export class ConfigError extends DaemonError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { source?: string; cause?: unknown } = {}) {
    const head =
      options.source === undefined ? 'invalid configuration' : `invalid configuration in ${options.source}`;
    const lines = issues.map((issue) =>
      issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`,
    );
    super('config_invalid', `${head}:\n${lines.map((line) => `  ${line}`).join('\n')}`, {
      cause: options.cause,
    });
    this.name = 'ConfigError';
    this.issues = Object.freeze(issues.map((issue) => Object.freeze({ ...issue })));
  }
}

/** Formats a zod-style path (`['agents', 0, 'id']`) as `agents[0].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Deep-freezes plain objects and arrays (configuration values are never mutated after parsing). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
