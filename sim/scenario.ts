/**
 * The standalone simulator's scenario file (JSON or YAML), validated with every problem listed.
 * See docs/simulator.md for an example.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AudioSpec } from './audio.js';
import type { HumanBehaviour } from './endpoints/human.js';
import { SimError } from './errors.js';

const ms = z.number().int().nonnegative();

export const audioSpecSchema: z.ZodType<AudioSpec> = z.union([
  z.object({
    type: z.literal('tone'),
    hz: z.number().positive().optional(),
    amplitude: z.number().min(0).max(1).optional(),
    durationMs: ms.optional(),
  }),
  z.object({ type: z.literal('silence'), durationMs: ms.optional() }),
]);

export const humanBehaviourSchema: z.ZodType<HumanBehaviour> = z.union([
  z.object({
    type: z.literal('answer'),
    afterMs: ms.optional(),
    ringAfterMs: ms.optional(),
    hangupAfterMs: ms.optional(),
    hangupDuringWhisper: z.union([z.boolean(), z.object({ afterMs: ms })]).optional(),
    speak: audioSpecSchema.optional(),
    speakAfterMs: ms.optional(),
  }),
  z.object({ type: z.literal('busy'), afterMs: ms.optional() }),
  z.object({ type: z.literal('no-answer'), ringAfterMs: ms.optional() }),
  z.object({ type: z.literal('fail'), afterMs: ms.optional(), sipCode: z.number().int().optional() }),
  z.object({ type: z.literal('reject'), afterMs: ms.optional() }),
]);

const twilioNumberSchema = z.object({
  voiceUrl: z.url(),
  voiceMethod: z.enum(['GET', 'POST']).optional(),
  statusCallback: z.url().optional(),
  statusCallbackMethod: z.enum(['GET', 'POST']).optional(),
});

/** The Twilio front-end's options (providers/twilio/simulator/options.ts), all optional. */
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

export const scenarioSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(4010),
  twilio: z
    .object({
      accountSid: z
        .string()
        .regex(/^AC[0-9a-f]{32}$/)
        .optional(),
      authToken: z.string().min(1).optional(),
      options: twilioOptionsSchema.default({}),
      numbers: z.record(z.string(), twilioNumberSchema).default({}),
    })
    .default({ options: {}, numbers: {} }),
  keepAudio: z.boolean().default(true),
  humans: z.record(z.string(), humanBehaviourSchema).default({}),
  unknownNumber: humanBehaviourSchema.optional(),
  calls: z
    .array(
      z.object({
        carrier: z.string().default('twilio'),
        from: z.string().min(1),
        to: z.string().min(1),
        /** Place the call this long after start. */
        atMs: ms.default(0),
        audio: audioSpecSchema.optional(),
        hangupAfterMs: ms.optional(),
      }),
    )
    .default([]),
});

export type Scenario = z.infer<typeof scenarioSchema>;

/** Parses a scenario from JSON or YAML text; throws `sim.bad_scenario` listing every problem. */
export function parseScenario(text: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new SimError('sim.bad_scenario', `scenario is neither JSON nor YAML: ${String(cause)}`, { cause });
  }
  const result = scenarioSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SimError('sim.bad_scenario', `invalid scenario:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}
