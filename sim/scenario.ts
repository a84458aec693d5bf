/**
 * The standalone simulator's scenario file (JSON or YAML), validated with every problem listed:
 * the Twilio, Plivo and Exotel front-ends' credentials, options and numbers, humans, and calls.
 * See docs/simulator.md for an example per carrier.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { ExotelApplet, ExotelNumberConfig } from '../providers/exotel/simulator/options.js';
import type { PlivoNumberConfig } from '../providers/plivo/simulator/options.js';
import type { AudioSpec } from './audio.js';
import type { HumanBehaviour } from './endpoints/human.js';
import { SimError } from './errors.js';
import type { Simulator, SimulatorOptions } from './simulator.js';

/** The carriers a scenario configures and a call can be placed on (each front-end's `carrier`). */
export const CARRIERS = ['twilio', 'plivo', 'exotel'] as const;
export const carrierSchema = z.enum(CARRIERS);

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

const method = z.enum(['GET', 'POST']);

/** A Plivo number's application (providers/plivo/simulator/options.ts `PlivoNumberConfig`). */
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

/** The Plivo front-end's options (providers/plivo/simulator/options.ts) other than credentials, all optional. */
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

/** One applet of an Exotel flow (providers/exotel/simulator/options.ts `ExotelApplet`). */
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

/** The Exotel front-end's options (providers/exotel/simulator/options.ts) other than credentials, all optional. */
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

export const scenarioSchema = z
  .object({
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
    plivo: z
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
      .default({ options: {}, numbers: {} }),
    exotel: z
      .object({
        accountSid: z.string().min(1).optional(),
        apiKey: z.string().min(1).optional(),
        apiToken: z.string().min(1).optional(),
        options: exotelOptionsSchema.default({}),
        /** ExoPhones (matched exactly as dialed, e.g. `+918045550100`) and the flow each runs. */
        numbers: z.record(z.string().min(1), exotelNumberSchema).default({}),
      })
      .strict()
      .default({ options: {}, numbers: {} }),
    keepAudio: z.boolean().default(true),
    humans: z.record(z.string(), humanBehaviourSchema).default({}),
    unknownNumber: humanBehaviourSchema.optional(),
    calls: z
      .array(
        z.object({
          carrier: carrierSchema.default('twilio'),
          from: z.string().min(1),
          to: z.string().min(1),
          /** Place the call this long after start. */
          atMs: ms.default(0),
          audio: audioSpecSchema.optional(),
          hangupAfterMs: ms.optional(),
        }),
      )
      .default([]),
  })
  .strict();

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

/** The options `startSimulator` takes for a scenario: every carrier's credentials and options. */
export function simulatorOptions(scenario: Scenario): SimulatorOptions {
  const { twilio, plivo, exotel } = scenario;
  const defined = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  return {
    host: scenario.host,
    port: scenario.port,
    network: defined({ keepAudio: scenario.keepAudio, unknownNumber: scenario.unknownNumber }),
    twilio: { ...twilio.options, ...defined({ accountSid: twilio.accountSid, authToken: twilio.authToken }) },
    plivo: { ...plivo.options, ...defined({ authId: plivo.authId, authToken: plivo.authToken }) },
    exotel: {
      ...exotel.options,
      ...defined({ accountSid: exotel.accountSid, apiKey: exotel.apiKey, apiToken: exotel.apiToken }),
    },
  };
}

/**
 * Configures a started simulator as `scenario` says: every carrier's numbers, the humans, and
 * the calls on their schedule. Returns a function that cancels the calls not placed yet.
 */
export function configureScenario(sim: Simulator, scenario: Scenario): () => void {
  for (const [number, config] of Object.entries(scenario.twilio.numbers))
    sim.twilio.configureNumber(number, config);
  for (const [number, config] of Object.entries(scenario.plivo.numbers))
    sim.plivo.configureNumber(number, config);
  for (const [number, config] of Object.entries(scenario.exotel.numbers))
    sim.exotel.configureNumber(number, config);
  for (const [address, behaviour] of Object.entries(scenario.humans))
    sim.network.addHuman(address, behaviour);
  const timers = scenario.calls.map((c) =>
    setTimeout(() => {
      void sim.network
        .placeCall({
          carrier: c.carrier,
          from: c.from,
          to: c.to,
          ...(c.audio === undefined ? {} : { audio: c.audio }),
          ...(c.hangupAfterMs === undefined ? {} : { hangupAfterMs: c.hangupAfterMs }),
        })
        .catch((err: unknown) =>
          sim.log.add({}, { type: 'sim.error', code: 'sim.place_call', message: String(err) }),
        );
    }, c.atMs),
  );
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}
