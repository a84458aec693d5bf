import { z } from 'zod';
import { WebhookError, type WebhookParams } from '../types.js';

/**
 * Zod helpers every carrier's webhook parser shares: the daemon's own ids in callback URLs, and
 * how a failed check is reported. Carrier ids and statuses stay in each carrier's folder.
 */

/** A string of 1-10 decimal digits (durations, sequence numbers, SIP codes). */
export const DIGITS = z.string().regex(/^\d{1,10}$/, 'expected decimal digits');

/** The daemon's own ids in callback URLs. */
export const OWN_ID = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'expected 1-128 characters of [A-Za-z0-9_.:-]');

/** The query fields the daemon puts in every callback URL it builds (all optional). */
export const OWN_IDS_QUERY = {
  callId: OWN_ID.optional(),
  transferId: OWN_ID.optional(),
  legId: OWN_ID.optional(),
  seq: DIGITS.optional(),
};

/** The ids naming the leg a placed dial belongs to. */
export interface LegIds {
  readonly callId: string;
  readonly transferId: string;
  readonly legId: string;
}

/** The leg a callback URL names, or the first id it lacks. */
export function requireLegIds(q: {
  readonly callId?: string | undefined;
  readonly transferId?: string | undefined;
  readonly legId?: string | undefined;
}): LegIds | WebhookError {
  if (q.callId === undefined) return missing('query.callId');
  if (q.transferId === undefined) return missing('query.transferId');
  if (q.legId === undefined) return missing('query.legId');
  return { callId: q.callId, transferId: q.transferId, legId: q.legId };
}

export function missing(field: string): WebhookError {
  return new WebhookError(field, `${field}: required`);
}

/**
 * The first problem, named by its field (`root` when the problem is the whole input). Messages
 * never echo the value (it may be a phone number).
 */
export function validate<T>(
  schema: z.ZodType<T>,
  input: WebhookParams,
  prefix: string,
  root = '',
): T | WebhookError {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = prefix + (issue?.path.map(String).join('.') || root);
  return new WebhookError(field, `${field}: ${issue?.message ?? 'invalid'}`);
}
