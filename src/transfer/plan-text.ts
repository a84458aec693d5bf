/**
 * Reasons and whisper text for transfer plans. The fallback whisper is what the human hears when
 * the agent's summary does not arrive in time (nixflex: "a short whisper … either the static
 * `transfer_whisper` you configured, or an AI-generated 1–2 sentence summary").
 */
import type { HandoffConfig } from '../config/agent-types.js';
import type { CallerMessage, TransferTrigger, WhisperPlan } from './plan-types.js';

/** Longest fallback whisper, in characters: it is spoken to a person waiting to take a call. */
export const MAX_FALLBACK_WHISPER_LENGTH = 300;

/** The reason recorded when neither the trigger nor the configuration gives one. */
export function defaultReason(trigger: TransferTrigger): string {
  switch (trigger.type) {
    case 'tag':
    case 'tool':
      return 'the agent asked for a transfer';
    case 'rule':
    case 'skill':
    case 'default':
      return 'the caller needs a person';
    case 'api':
      return 'an operator asked for a transfer';
    case 'silence':
      return 'the caller stopped responding';
  }
}

/** The caller message the carrier speaks (the bot does not speak it itself), if any. */
export function carrierAnnouncement(plan: { readonly callerMessage?: CallerMessage }): string | undefined {
  const message = plan.callerMessage;
  return message?.voice === 'carrier' ? message.text : undefined;
}

/** `Incoming transfer: caller asks about an invoice, charge, or refund.` */
export function fallbackWhisperText(reason: string): string {
  const text = reason
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/[.!?;:,\s]+$/, '');
  const sentence = text === '' ? 'Incoming transfer.' : `Incoming transfer: ${text}.`;
  return sentence.length <= MAX_FALLBACK_WHISPER_LENGTH
    ? sentence
    : `${sentence.slice(0, MAX_FALLBACK_WHISPER_LENGTH - 4).trimEnd()}...`;
}

/**
 * The warm whisper: configured static text first, then a summary the agent already wrote, else
 * ask the agent (bounded by `summaryTimeoutMs`) with the reason template as fallback.
 */
export function buildWhisper(
  handoff: HandoffConfig,
  reason: string,
  summary: string | undefined,
): WhisperPlan {
  if (handoff.whisper !== null) return { kind: 'static', text: handoff.whisper };
  if (summary !== undefined && summary.trim() !== '') return { kind: 'static', text: summary.trim() };
  return { kind: 'summary', timeoutMs: handoff.summaryTimeoutMs, fallbackText: fallbackWhisperText(reason) };
}
