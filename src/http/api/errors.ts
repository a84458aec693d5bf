import { AgentError, ValidationError } from '../../agent-repository/errors.js';
import { DaemonError } from '../../domain/errors.js';

/** One API error as sent: `{ error: { code, message, field?, issues? } }`. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly field?: string;
    readonly issues?: readonly { readonly field: string; readonly message: string }[];
  };
}

/** An error with its HTTP status; everything the API refuses becomes one of these. */
export class ApiError extends DaemonError {
  readonly status: number;
  readonly field: string | undefined;
  readonly issues: readonly { readonly field: string; readonly message: string }[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: {
      field?: string | undefined;
      issues?: readonly { field: string; message: string }[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(code, message, { retryable: status === 429 || status === 503 || status === 409 });
    this.name = 'ApiError';
    this.status = status;
    this.field = options.field;
    this.issues = options.issues;
    this.headers = options.headers ?? {};
  }

  body(): ApiErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
        ...(this.issues === undefined ? {} : { issues: this.issues }),
      },
    };
  }
}

/** HTTP status of each error code the API can meet. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  validation_failed: 422,
  agent_not_found: 404,
  agent_not_published: 404,
  skill_not_found: 404,
  call_not_found: 404,
  revision_conflict: 409,
  number_in_use: 409,
  store_unavailable: 503,
  store_closed: 503,
};

/** Any thrown value → an {@link ApiError}; unknown failures are a 500 that says nothing more. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ValidationError) {
    return new ApiError(422, err.code, err.message, { field: err.field, issues: err.issues });
  }
  if (err instanceof DaemonError) {
    const status = STATUS_BY_CODE[err.code];
    if (status !== undefined) {
      return new ApiError(status, err.code, err.message, {
        field: err instanceof AgentError ? err.field : undefined,
      });
    }
  }
  return new ApiError(500, 'internal_error', 'the request failed; see the daemon log');
}
