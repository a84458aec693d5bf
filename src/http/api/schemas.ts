import { z } from 'zod';
import { AGENT_ID_PATTERN } from '../../config/agent-schema.js';
import { TRANSFER_MODE_NAMES } from '../../transfer/modes.js';

/** Path `{id}` of an agent. */
export const agentParams = z.object({
  id: z.string().regex(AGENT_ID_PATTERN, 'must be 1–64 letters, digits, _ or -'),
});

/** The daemon's call ids are the carrier's (Twilio `CA…`, Plivo UUIDs, Exotel sids). */
export const CALL_ID = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must be 1–128 of A-Z a-z 0-9 _ . : -');

export const callParams = z.object({ id: CALL_ID });

/** A whole number from a query string (`?sinceMs=…`). */
export function queryInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number between ${min} and ${max}`);
}

export const versionQuery = z.strictObject({ version: queryInt(1, 1_000_000_000).optional() });

/** A transfer skill as `POST /v1/agents/{id}/skills` takes it (flowyte skills). Checked again in full on save. */
export const skillBody = z
  .object({
    name: z.string().describe('Unique in the agent; the LLM tool name is derived from it.'),
    description: z.string().describe('What the agent reads to decide when to use it.'),
    skillType: z.literal('transfer'),
    executionConfig: z
      .object({
        destination: z
          .union([z.string(), z.array(z.string())])
          .optional()
          .describe('Phone number(s) or SIP URI(s); unset = looked up at call time.'),
      })
      .optional(),
    requiresConfirmation: z.boolean().optional(),
    stakes: z.enum(['low', 'medium', 'high']).optional(),
    toolName: z.string().optional(),
  })
  .loose();

export const transferBody = z
  .strictObject({
    type: z
      .literal('transfer', { error: "must be 'transfer' (VoiceDock's call control)" })
      .optional()
      .describe(
        "VoiceDock's body as written: with it, `message` is spoken to the caller before the transfer.",
      ),
    callerMessage: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Spoken to the caller before the transfer starts (agent.speaksMessages: in the agent’s voice).',
      ),
    destination: z.string().min(1).max(256).optional().describe('A phone number or SIP URI; policy-checked.'),
    rule: z.string().min(1).max(64).optional().describe('A handoffConfig.transferRules label.'),
    skill: z.string().min(1).max(64).optional().describe('A transfer skill name or tool name.'),
    message: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Why, as the human hears it in a warm whisper; with `type: "transfer"` (VoiceDock), spoken to the caller instead.',
      ),
    mode: z
      .enum(TRANSFER_MODE_NAMES)
      .optional()
      .describe(
        `A transfer mode (${TRANSFER_MODE_NAMES.join(', ')}); overrides the agent's (handoffConfig.mode).`,
      ),
  })
  .refine((b) => [b.destination, b.rule, b.skill].filter((x) => x !== undefined).length <= 1, {
    message: 'give at most one of destination, rule and skill',
    path: ['destination'],
  })
  .refine((b) => b.type === undefined || b.callerMessage === undefined, {
    message: 'with type "transfer" (VoiceDock), give the caller\'s message as message',
    path: ['callerMessage'],
  });

export const outboundBody = z.strictObject({
  agentId: z.string().regex(AGENT_ID_PATTERN, 'must be 1–64 letters, digits, _ or -'),
  to: z.string().min(1).max(256).describe('The lead: a phone number (E.164 or national) or SIP URI.'),
  from: z.string().min(1).max(64).optional().describe("Caller ID; default the agent's outboundNumber."),
  lead: z
    .strictObject({
      outbound_number_id: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe('Seed 003: the number the lead is called from (and transfers dial from).'),
    })
    .optional()
    .describe(
      'Seed 003 lead. Without outbound_number_id the lead is still called (from `from` or the ' +
        "agent's outboundNumber), but connect_to_live_agent answers missing_outbound_number_id.",
    ),
});

/** `Idempotency-Key`: a retried request with the same key is applied once. */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
