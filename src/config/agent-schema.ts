/**
 * zod schema of one agent's configuration (docs/configuration.md). Destinations are normalized
 * while parsing (E.164 / canonical SIP), so every bad number is reported with its path in the
 * same pass as every other problem. Cross-field checks (duplicates) live in agents.ts.
 */
import { z } from 'zod';
import { CARRIER_ADAPTERS } from '../../providers/index.js';
import { isKnownRegion, normalizeDestination, parseDestination } from '../phone/destination.js';
import { parseAllowPattern } from '../phone/policy.js';
import { agentTransportSpec, agentTransportSpecs } from './agent-transports.js';
import { HANDOFF_MODES, WEEKDAYS } from './agent-types.js';
import { canonicalTimeZone, parseClock } from './schedule.js';
import { SEED_SHAPES } from './seed-shapes.js';

/** LLM function names (OpenAI's limit). */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Agent ids appear in API paths and Redis keys. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** One destination (phone number or SIP URI) → its canonical string. */
export function destinationSchema(region: string) {
  return z.string({ error: 'expected a phone number or SIP URI' }).transform((value, ctx) => {
    const result = normalizeDestination(value, region);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.message, input: value });
    return z.NEVER;
  });
}

/** One destination or an ordered non-empty list → a canonical list (the fallback chain). */
export function destinationListSchema(region: string) {
  return z
    .union([z.string(), z.array(z.string()).min(1, 'must list at least one destination')], {
      error: 'expected a destination or a non-empty list of destinations',
    })
    .transform((value, ctx) => {
      const list = typeof value === 'string' ? [value] : value;
      const out: string[] = [];
      list.forEach((item, index) => {
        const result = normalizeDestination(item, region);
        if (result.ok) out.push(result.value);
        else if (typeof value === 'string')
          ctx.issues.push({ code: 'custom', message: result.message, input: item });
        else ctx.issues.push({ code: 'custom', message: result.message, input: item, path: [index] });
      });
      return out;
    });
}

/** A phone number only (inbound numbers, outbound number, caller ID) → E.164. */
export function phoneNumberSchema(region: string) {
  return z.string({ error: 'expected a phone number' }).transform((value, ctx) => {
    const result = parseDestination(value, region);
    if (result.ok && result.destination.kind === 'pstn') return result.destination.e164;
    const message = result.ok
      ? `${JSON.stringify(value)} is a SIP URI; a phone number is needed here`
      : result.message;
    ctx.issues.push({ code: 'custom', message, input: value });
    return z.NEVER;
  });
}

function urlSchema(protocols: readonly string[], what: string) {
  return z.string({ error: `expected a ${what} URL` }).refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')})`,
  );
}

const clockSchema = z
  .string()
  .refine((value) => parseClock(value) !== undefined, 'must be a local time HH:MM between 00:00 and 24:00');

const rangeSchema = z
  .tuple([clockSchema, clockSchema], { error: "expected an open range ['HH:MM', 'HH:MM']" })
  .refine(
    ([start, end]) => (parseClock(start) ?? 0) < (parseClock(end) ?? 0),
    'the range must end after it starts (ranges do not cross midnight; split them at 24:00)',
  );

const daySchema = z.array(rangeSchema);

function afterHoursSchema(region: string) {
  return z.strictObject({
    timezone: z
      .string({ error: 'expected an IANA time zone such as America/New_York' })
      .transform((value, ctx) => {
        const zone = canonicalTimeZone(value);
        if (zone !== undefined) return zone;
        ctx.issues.push({
          code: 'custom',
          message: `${JSON.stringify(value)} is not a known IANA time zone`,
          input: value,
        });
        return z.NEVER;
      }),
    schedule: z.strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, daySchema.optional()]))),
    closedDates: z.array(z.iso.date({ error: 'expected a date YYYY-MM-DD' })).default([]),
    allowHumanTransfer: z.boolean().default(false),
    number: destinationSchema(region).optional(),
  });
}

const headerNameSchema = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'is not a valid header name');
const headerValueSchema = z.string().regex(/^[^\r\n\0]*$/, 'must not contain line breaks');

/** One DTMF key a human may press during a briefing. */
const digitSchema = z.string().regex(/^[0-9*#]$/, 'must be one DTMF key: 0-9, * or #');

function handoffSchema(region: string) {
  return z
    .strictObject({
      mode: z.enum(HANDOFF_MODES).optional(),
      warm: z.boolean().optional(),
      whisper: z.string().trim().min(1).max(1000).nullable().default(null),
      transferDestination: destinationSchema(region).optional(),
      transferRules: z
        .array(
          z.strictObject({
            label: z.string().trim().min(1).max(64),
            when: z.string().trim().min(1).max(500),
            destination: destinationListSchema(region),
            callerMessage: callerMessageSchema.optional(),
          }),
        )
        .default([]),
      ringTimeoutSec: z.number().int().min(5).max(120).optional(),
      summaryTimeoutMs: z.number().int().min(0).max(60_000).default(2500),
      holdAudio: urlSchema(['http:', 'https:'], 'http(s)').optional(),
      callerId: z
        .string({ error: "expected 'caller', 'agent' or a phone number" })
        .transform((value, ctx) => {
          if (value === 'caller' || value === 'agent') return value;
          const result = parseDestination(value, region);
          if (result.ok && result.destination.kind === 'pstn') return result.destination.e164;
          const why = result.ok ? 'a SIP URI cannot be a caller ID' : result.message;
          ctx.issues.push({
            code: 'custom',
            message: `must be 'caller', 'agent' or a phone number: ${why}`,
            input: value,
          });
          return z.NEVER;
        })
        .default('caller'),
      handoffWaitMs: z.number().int().min(0).max(30_000).default(4000),
      machineDetection: z.boolean().default(false),
      whisperVoice: z.enum(['carrier', 'agent']).default('carrier'),
      sendDigits: z
        .record(
          z.string(),
          z
            .string()
            .regex(/^[0-9#*w]{1,32}$/, 'must be keys 0-9, #, * and w (a half-second pause), at most 32'),
        )
        .transform((map, ctx) => {
          const out: Record<string, string> = {};
          for (const [key, digits] of Object.entries(map)) {
            const result = normalizeDestination(key, region);
            if (result.ok) out[result.value] = digits;
            else ctx.issues.push({ code: 'custom', message: result.message, input: key, path: [key] });
          }
          return out;
        })
        .default({}),
      briefingTimeoutSec: z.number().int().min(5).max(300).default(30),
      waitForHumanSpeechMs: z.number().int().min(0).max(10_000).default(0),
      acceptDigit: digitSchema.default('1'),
      declineDigit: digitSchema.default('2'),
    })
    .superRefine((h, ctx) => {
      // `warm: true` is an alias of `mode: warm`; `warm: false` (the default) leaves `mode` to say.
      if (h.warm === true && h.mode !== undefined && h.mode !== 'warm') {
        ctx.addIssue({
          code: 'custom',
          path: ['mode'],
          message: `says ${h.mode} while warm is true; warm: true is an alias of mode: warm (give one of them)`,
        });
      }
      if (h.acceptDigit === h.declineDigit) {
        ctx.addIssue({ code: 'custom', path: ['declineDigit'], message: 'must differ from acceptDigit' });
      }
    })
    .transform(({ warm, mode, ...rest }) => {
      const resolved = mode ?? (warm === true ? 'warm' : 'cold');
      return { ...rest, mode: resolved, warm: resolved === 'warm' };
    });
}

/** What the caller hears before a transfer starts (VoiceDock `message`). */
const callerMessageSchema = z.string().trim().min(1).max(1000);

/** flowyte's dynamic destination: a webhook asked at call time (src/runtime/destination-lookup.ts). */
const lookupSchema = z.strictObject({
  url: urlSchema(['http:', 'https:'], 'http(s)'),
  timeoutMs: z.number().int().min(100).max(10_000).default(2000),
});

const toolsSchema = z
  .strictObject({
    connectToLiveAgent: z
      .strictObject({ description: z.string().trim().min(1).max(1024).optional() })
      .optional(),
    endCall: z.strictObject({ description: z.string().trim().min(1).max(1024).optional() }).optional(),
  })
  .prefault({});

const mappedFromSchema = z.strictObject({
  shapes: z.array(z.enum(SEED_SHAPES)),
  fields: z.array(z.strictObject({ from: z.string(), to: z.string() })),
  unused: z.array(z.string()).default([]),
});

function skillSchema(region: string) {
  return z.strictObject({
    name: z.string().trim().min(1).max(64),
    description: z.string().trim().min(1).max(1024),
    skillType: z.literal('transfer', { error: "only 'transfer' skills are supported" }),
    executionConfig: z
      .strictObject({
        destination: destinationListSchema(region).optional(),
        lookup: lookupSchema.optional(),
      })
      .prefault({}),
    requiresConfirmation: z.boolean().default(false),
    stakes: z.enum(['low', 'medium', 'high']).default('medium'),
    toolName: z
      .string()
      .regex(TOOL_NAME_PATTERN, 'must be 1–64 of a-z A-Z 0-9 _ - (an LLM function name)')
      .optional(),
  });
}

function policySchema(region: string) {
  return z.strictObject({
    allow: z
      .array(
        z.string().transform((value, ctx) => {
          const result = parseAllowPattern(value, region);
          if (result.ok) return result.pattern;
          ctx.issues.push({ code: 'custom', message: result.message, input: value });
          return z.NEVER;
        }),
      )
      .default([]),
    countries: z.array(regionSchema).default([]),
  });
}

/** ISO 3166-1 alpha-2 code libphonenumber knows; lower case accepted and upper-cased. */
export const regionSchema = z
  .string({ error: 'expected an ISO 3166-1 alpha-2 country code such as US' })
  .transform((value, ctx) => {
    const code = value.trim().toUpperCase();
    if (isKnownRegion(code)) return code;
    ctx.issues.push({
      code: 'custom',
      message: `${JSON.stringify(value)} is not a known ISO country code`,
      input: value,
    });
    return z.NEVER;
  });

/**
 * `agent.livekit` (docs/livekit.md): the LiveKit server, the agent to dispatch into each call's
 * room, the room names' prefix and extra dispatch metadata. The API key pair comes from the
 * environment (`LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET`), never from here.
 */
const livekitSchema = z.strictObject({
  url: urlSchema(['wss:', 'ws:', 'https:', 'http:'], 'LiveKit server'),
  agentName: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1–128 letters, digits, _ . or -')
    .optional(),
  roomPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{0,32}$/, 'must be at most 32 letters, digits, _ or -')
    .default('patchthrough-'),
  metadata: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keys must be 1–64 letters, digits, _ . or -'),
      z.string().max(1000),
    )
    .refine((map) => Object.keys(map).length <= 32, 'at most 32 entries')
    .default({}),
});

/** `agent.livekit` goes with `transport: livekit` (and only with it); `agent.url` is then optional. */
function livekitCheck(
  agent: { transport: string; url?: string | undefined; livekit?: { url: string } | undefined },
  ctx: z.RefinementCtx,
): void {
  if (agent.transport === 'livekit') {
    if (agent.livekit === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['livekit'],
        message: 'is required with transport: livekit ({ url, agentName?, roomPrefix?, metadata? })',
      });
    } else if (agent.url !== undefined && agent.url !== agent.livekit.url) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'differs from livekit.url: give the LiveKit server once, in livekit.url',
      });
    }
    return;
  }
  if (agent.livekit !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['livekit'], message: 'is only read with transport: livekit' });
  }
  if (agent.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected a URL' });
}

/** `agent.transport` must be a known kind, and `agent.url` use one of that kind's schemes. */
function transportUrlCheck(agent: { transport: string; url: string }, ctx: z.RefinementCtx): void {
  const spec = agentTransportSpec(agent.transport);
  if (spec === undefined) {
    const kinds = agentTransportSpecs().map((k) => k.kind);
    ctx.addIssue({ code: 'custom', path: ['transport'], message: `must be one of: ${kinds.join(', ')}` });
    return;
  }
  let scheme: string | undefined;
  try {
    scheme = new URL(agent.url).protocol;
  } catch {
    scheme = undefined;
  }
  if (scheme === undefined || !spec.urlSchemes.includes(scheme)) {
    ctx.addIssue({
      code: 'custom',
      path: ['url'],
      message: `must be a ${spec.urlDescription} URL (${spec.urlSchemes.map((p) => `${p}//`).join(' or ')})`,
    });
  }
}

/** One of `names` (default: the registered carriers, providers/index.ts); default the first (Twilio). */
function carrierSchema(names: readonly string[] = CARRIER_ADAPTERS.map((f) => f.carrier)) {
  return z
    .string()
    .refine((name) => names.includes(name), `must be one of ${names.join(', ')}`)
    .default(names[0] ?? '');
}

/** Schema of one agent; national numbers are read in `region`; `carriers`: the carriers it may name. */
export function agentSchema(region: string, carriers?: readonly string[]) {
  return z.strictObject({
    id: z.string().regex(AGENT_ID_PATTERN, 'must be 1–64 letters, digits, _ or -'),
    name: z.string().trim().min(1).max(200).optional(),
    numbers: z.array(phoneNumberSchema(region)).default([]),
    outboundNumber: phoneNumberSchema(region).optional(),
    carrier: carrierSchema(carriers),
    agent: z
      .strictObject({
        transport: z.string().default('websocket'),
        url: z.string({ error: 'expected a URL' }).optional(),
        livekit: livekitSchema.optional(),
        audio: z
          .strictObject({
            encoding: z.enum(['mulaw', 'pcm16']).default('mulaw'),
            sampleRate: z.literal([8000, 16000, 24000]).default(8000),
          })
          .prefault({}),
        headers: z.record(headerNameSchema, headerValueSchema).default({}),
        connectTimeoutMs: z.number().int().min(500).max(30_000).default(5000),
        waitAudio: z
          .strictObject({
            sound: z.enum(['comfort_noise', 'none']).default('comfort_noise'),
            afterMs: z.number().int().min(200).max(10_000).default(1000),
          })
          .prefault({}),
        speaksMessages: z.boolean().default(false),
      })
      .superRefine(livekitCheck)
      .transform(({ url, livekit, ...rest }) =>
        livekit === undefined ? { ...rest, url: url ?? '' } : { ...rest, url: url ?? livekit.url, livekit },
      )
      .superRefine(transportUrlCheck),
    handoffConfig: handoffSchema(region).prefault({}),
    skills: z.array(skillSchema(region)).default([]),
    callControl: z
      .strictObject({
        onNoResponseAction: z.enum(['transfer', 'hangup', 'none']).default('none'),
        noResponseTimeoutSec: z.number().int().min(1).max(600).default(10),
      })
      .prefault({}),
    afterHours: afterHoursSchema(region).optional(),
    destinationPolicy: policySchema(region).prefault({}),
    tools: toolsSchema,
    mappedFrom: mappedFromSchema.optional(),
  });
}

/** What {@link agentSchema} produces, before tool names and the display-name default are added. */
export type ParsedAgent = z.output<ReturnType<typeof agentSchema>>;
