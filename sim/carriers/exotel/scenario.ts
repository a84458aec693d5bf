/** The `exotel` section of a simulator scenario file (sim/scenario.ts): credentials, options, numbers. */
import { z } from 'zod';
import type { ExotelApplet, ExotelNumberConfig } from './options.js';

const ms = z.number().int().nonnegative();

/** One applet of an Exotel flow (options.ts `ExotelApplet`). */
const exotelAppletSchema: z.ZodType<ExotelApplet> = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('voicebot'), id: z.string().min(1), url: z.url(), next: z.string().optional() })
    .strict(),
  z
    .object({
      type: z.literal('passthru'),
      id: z.string().min(1),
      url: z.url(),
      sync: z.boolean().optional(),
      next: z.string().optional(),
      onRedirect: z.string().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('connect'),
      id: z.string().min(1),
      dialWhom: z.union([
        z.object({ numbers: z.array(z.string().min(1)).min(1) }).strict(),
        z.object({ url: z.url() }).strict(),
      ]),
      programmable: z.boolean().optional(),
      ringTimeoutSec: z.number().int().positive().optional(),
      callerId: z.string().min(1).optional(),
      eventsUrl: z.url().optional(),
      eventsContentType: z.enum(['multipart', 'json']).optional(),
      next: z.string().optional(),
      onNoAnswer: z.string().optional(),
    })
    .strict(),
  z.object({ type: z.literal('hangup'), id: z.string().min(1) }).strict(),
]);

/** A flow whose ids are unique and whose transitions name applets of the same flow. */
const exotelFlowSchema = z
  .array(exotelAppletSchema)
  .min(1)
  .superRefine((flow, ctx) => {
    const ids = new Set<string>();
    flow.forEach((applet, i) => {
      if (ids.has(applet.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate applet id '${applet.id}'` });
      ids.add(applet.id);
    });
    flow.forEach((applet, i) => {
      for (const key of ['next', 'onRedirect', 'onNoAnswer'] as const) {
        const target = key in applet ? (applet as Record<string, unknown>)[key] : undefined;
        if (typeof target === 'string' && !ids.has(target))
          ctx.addIssue({
            code: 'custom',
            path: [i, key],
            message: `no applet with id '${target}' in this flow`,
          });
      }
    });
  });

const exotelNumberSchema: z.ZodType<ExotelNumberConfig> = z
  .object({
    flow: exotelFlowSchema,
    statusCallback: z.url().optional(),
    statusCallbackContentType: z.enum(['multipart', 'json']).optional(),
  })
  .strict();

/** The Exotel front-end's options (options.ts) other than credentials, all optional. */
const exotelOptionsSchema = z
  .object({
    webhookTimeoutMs: ms,
    mediaFrameMs: z.number().int().positive(),
    enforceChunkRules: z.boolean(),
    clearEchoesMarks: z.boolean(),
    dynamicUrlFormat: z.enum(['json', 'text']),
    dialWhomList: z.enum(['first', 'sequential']),
    connectRingTimeoutSec: z.number().int().positive(),
    sayMsPerChar: ms,
    playDurationMs: ms,
    maxAppletsPerCall: z.number().int().positive(),
    allowInsecureStreams: z.boolean(),
  })
  .partial()
  .strict();

export const exotelScenarioSchema = z
  .object({
    accountSid: z.string().min(1).optional(),
    apiKey: z.string().min(1).optional(),
    apiToken: z.string().min(1).optional(),
    /** The daemon's webhook secret the flows' URLs carry (docs/exotel.md). */
    daemonWebhookSecret: z.string().min(1).optional(),
    /** The app id under which the daemon's flow is registered for its outbound calls (docs/exotel.md). */
    daemonOutboundAppId: z.string().min(1).optional(),
    options: exotelOptionsSchema.default({}),
    /** ExoPhones (matched exactly as dialed, e.g. `+918045550100`) and the flow each runs. */
    numbers: z.record(z.string().min(1), exotelNumberSchema).default({}),
  })
  .strict()
  .default({ options: {}, numbers: {} });

export type ExotelScenario = z.output<typeof exotelScenarioSchema>;
