/** The `twilio` section of a simulator scenario file (sim/scenario.ts): credentials, options, numbers. */
import { z } from 'zod';

const ms = z.number().int().nonnegative();

const twilioNumberSchema = z.object({
  voiceUrl: z.url(),
  voiceMethod: z.enum(['GET', 'POST']).optional(),
  statusCallback: z.url().optional(),
  statusCallbackMethod: z.enum(['GET', 'POST']).optional(),
});

/** The Twilio front-end's options (options.ts), all optional. */
const twilioOptionsSchema = z
  .object({
    webhookTimeoutMs: ms,
    onApplicationError: z.enum(['say-and-hangup', 'hangup']),
    initiatedCallStatus: z.enum(['initiated', 'queued']),
    ringTimeoutBufferMs: ms,
    dialTimeoutSeconds: z.number().int().min(5).max(600),
    conferenceDialCallStatus: z.enum(['answered', 'completed']),
    declinedCallStatus: z.enum(['busy', 'no-answer', 'failed']),
    whisperHangupDialStatus: z.enum(['completed', 'no-answer']),
    dialActionOnRedirect: z.boolean(),
    clearEchoesMarks: z.boolean(),
    signStreamUpgrade: z.boolean(),
    rejectStreamUrlQuery: z.boolean(),
    allowInsecureStreams: z.boolean(),
    onMediaDrop: z.enum(['next-verb', 'hangup']),
    streamStatusCallbacks: z.boolean(),
    conferenceStartMinParticipants: z.number().int().min(1),
    sayMsPerChar: ms,
    playDurationMs: ms,
    callerIdPolicy: z.enum(['owned', 'any']),
    verifiedCallerIds: z.array(z.string()),
  })
  .partial()
  .strict();

export const twilioScenarioSchema = z
  .object({
    accountSid: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/)
      .optional(),
    authToken: z.string().min(1).optional(),
    options: twilioOptionsSchema.default({}),
    numbers: z.record(z.string(), twilioNumberSchema).default({}),
  })
  .default({ options: {}, numbers: {} });

export type TwilioScenario = z.output<typeof twilioScenarioSchema>;
