/** The `plivo` section of a simulator scenario file (sim/scenario.ts): credentials, options, numbers. */
import { z } from 'zod';
import type { PlivoNumberConfig } from './options.js';

const ms = z.number().int().nonnegative();

const method = z.enum(['GET', 'POST']);

/** A Plivo number's application (options.ts `PlivoNumberConfig`). */
const plivoNumberSchema: z.ZodType<PlivoNumberConfig> = z
  .object({
    answerUrl: z.url(),
    answerMethod: method.optional(),
    hangupUrl: z.url().optional(),
    hangupMethod: method.optional(),
    fallbackUrl: z.url().optional(),
    fallbackMethod: method.optional(),
  })
  .strict();

/** The Plivo front-end's options (options.ts) other than credentials, all optional. */
const plivoOptionsSchema = z
  .object({
    webhookTimeoutMs: ms,
    streamStopEvent: z.boolean(),
    extraHeadersSeparator: z.enum([',', ';']),
    strictExtraHeaders: z.boolean(),
    l16ByteOrder: z.enum(['le', 'be']),
    dtmfEvents: z.boolean(),
    clearAcksCheckpoints: z.boolean(),
    streamStatusCallbacks: z.boolean(),
    transferStatus: z.number().int().min(200).max(299),
    createStatus: z.number().int().min(200).max(299),
    ringTimeoutStatus: z.enum(['no-answer', 'timeout']),
    declinedStatus: z.enum(['busy', 'no-answer', 'failed']),
    dialCallbackOnUnanswered: z.boolean(),
    callbackActions: z
      .object({
        dialAnswer: z.string().min(1),
        dialHangup: z.string().min(1),
        conferenceEnter: z.string().min(1),
        conferenceExit: z.string().min(1),
      })
      .partial()
      .strict(),
    hangupExtras: z.boolean(),
    dialActionOnTransfer: z.boolean(),
    dialTimeoutSeconds: z.number().int().positive(),
    allowInsecureStreams: z.boolean(),
    onMediaDrop: z.enum(['next-element', 'hangup']),
    callerIdPolicy: z.enum(['any', 'owned']),
    verifiedCallerIds: z.array(z.string()),
    sayMsPerChar: ms,
    playDurationMs: ms,
  })
  .partial()
  .strict();

export const plivoScenarioSchema = z
  .object({
    /** `MA` or `SA` and 18 characters; the front-end's default when absent. */
    authId: z
      .string()
      .regex(/^(MA|SA)[A-Z0-9]{18}$/)
      .optional(),
    authToken: z.string().min(1).optional(),
    options: plivoOptionsSchema.default({}),
    numbers: z.record(z.string().regex(/^\+?[0-9]{6,15}$/), plivoNumberSchema).default({}),
  })
  .strict()
  .default({ options: {}, numbers: {} });

export type PlivoScenario = z.output<typeof plivoScenarioSchema>;
