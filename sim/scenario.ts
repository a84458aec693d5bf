/**
 * The standalone simulator's scenario file (JSON or YAML), validated with every problem listed.
 * See docs/simulator.md for an example.
 */
import { z } from 'zod';
import type { AudioSpec } from './audio.js';
import type { HumanBehaviour } from './endpoints/human.js';

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
      /** Any Twilio front-end option (see providers/twilio/simulator/options.ts). */
      options: z.record(z.string(), z.unknown()).default({}),
      numbers: z.record(z.string(), twilioNumberSchema).default({}),
    })
    .default({ options: {}, numbers: {} }),
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
