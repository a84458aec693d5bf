/**
 * The LiveKit transport's vocabulary (docs/livekit.md): RPC method names and their payloads, the
 * data-packet topic, the participant attributes mirroring the current transfer, room names and
 * dispatch metadata. Pure.
 */
import { z } from 'zod';
import type { LivekitAgentConfig } from '../../config/agent-types.js';
import {
  agentToolCallSchema,
  agentTransferSchema,
  type DaemonControl,
  describeIssues,
} from '../control-events.js';

/** Daemon → agent control bodies (control-events.ts), as reliable data packets on this topic; agent → daemon too. */
export const EVENTS_TOPIC = 'patchthrough.events';
/** LiveKit Agents publishes what the agent says as text streams on this topic. */
export const TRANSCRIPTION_TOPIC = 'lk.transcription';
/** LiveKit Agents' state attribute (`initializing`, `listening`, `thinking`, `speaking`). */
export const AGENT_STATE_ATTRIBUTE = 'lk.agent.state';

/** The daemon's RPC methods (called by the agent). */
export const RPC_TRANSFER = 'patchthrough.transfer';
export const RPC_TOOL_CALL = 'patchthrough.tool_call';
export const RPC_HANGUP = 'patchthrough.hangup';
/** The agent's RPC method the daemon calls for the whisper summary. */
export const RPC_SUMMARIZE = 'patchthrough.summarize';
/**
 * The agent's RPC method the daemon calls as it leaves the room, `{ reason }`. The agent need not
 * have it: any answer, "unsupported method" included, comes back over the same reliable, ordered
 * data channel as the data packets sent before it, so it proves the agent got them.
 */
export const RPC_LEAVING = 'patchthrough.leaving';

/** The daemon participant's attributes mirroring the current transfer (an agent that restarts reads them). */
export const ATTR_TRANSFER_ID = 'patchthrough.transfer_id';
export const ATTR_TRANSFER_STATUS = 'patchthrough.transfer_status';
export const ATTR_TRANSFER_OUTCOME = 'patchthrough.transfer_outcome';
/** The transfer the caller came back from (`resume`). */
export const ATTR_RESUMED = 'patchthrough.resumed_transfer_id';

/** `patchthrough.transfer`: the body of the WebSocket `transfer` event; `event` may be left out. */
export function parseTransferPayload(payload: string) {
  const body = jsonObject(payload);
  if (body === undefined) return { ok: false as const, message: 'the payload must be a JSON object' };
  const parsed = agentTransferSchema.safeParse({ ...body, event: 'transfer' });
  return parsed.success
    ? { ok: true as const, value: parsed.data }
    : { ok: false as const, message: describeIssues(parsed.error) };
}

/** `patchthrough.tool_call`: `{ id?, name, arguments? }`; without an id the RPC's own is used. */
export function parseToolCallPayload(payload: string, fallbackId: string) {
  const body = jsonObject(payload);
  if (body === undefined) return { ok: false as const, message: 'the payload must be a JSON object' };
  const parsed = agentToolCallSchema.safeParse({ id: fallbackId, ...body, event: 'tool_call' });
  return parsed.success
    ? { ok: true as const, value: parsed.data }
    : { ok: false as const, message: describeIssues(parsed.error) };
}

const hangupPayloadSchema = z.object({ reason: z.string().max(500).optional() });

/** `patchthrough.hangup`: `{ reason? }`, or an empty payload. */
export function parseHangupPayload(payload: string) {
  const body = payload.trim() === '' ? {} : jsonObject(payload);
  if (body === undefined) return { ok: false as const, message: 'the payload must be a JSON object' };
  const parsed = hangupPayloadSchema.safeParse(body);
  return parsed.success
    ? { ok: true as const, value: parsed.data }
    : { ok: false as const, message: describeIssues(parsed.error) };
}

const summaryAnswerSchema = z.union([
  z.string().trim().min(1).max(4000),
  z.object({ text: z.string().trim().min(1).max(4000) }).transform((a) => a.text),
]);

/** The agent's answer to `patchthrough.summarize`: plain text, or JSON `{ text }`. */
export function parseSummaryAnswer(answer: string): string | undefined {
  const body = jsonObject(answer);
  const parsed = summaryAnswerSchema.safeParse(body ?? answer);
  return parsed.success ? parsed.data : undefined;
}

/** An agent's data packet on {@link EVENTS_TOPIC}: a JSON object with a string `event`. */
export function parseEventPacket(payload: Uint8Array): { readonly event: string } | undefined {
  if (payload.length > 64 * 1024) return undefined;
  const body = jsonObject(Buffer.from(payload).toString('utf8'));
  return body !== undefined && typeof body['event'] === 'string'
    ? (body as { readonly event: string })
    : undefined;
}

/** The attributes mirroring a control message, or `undefined` when it changes none. */
export function attributesFor(message: DaemonControl): Record<string, string> | undefined {
  switch (message.event) {
    case 'transfer_status':
      return {
        [ATTR_TRANSFER_ID]: message.transferId,
        [ATTR_TRANSFER_STATUS]: message.status,
        [ATTR_TRANSFER_OUTCOME]: message.outcome ?? '',
      };
    case 'resume':
      return { [ATTR_RESUMED]: message.transferId, [ATTR_TRANSFER_OUTCOME]: message.outcome };
    default:
      return undefined;
  }
}

/** RFC 4733 event numbers for DTMF keys (what SIP and LiveKit's `publishDtmf` carry). */
export function dtmfCode(digit: string): number | undefined {
  if (/^[0-9]$/.test(digit)) return Number(digit);
  if (digit === '*') return 10;
  if (digit === '#') return 11;
  if (/^[A-D]$/.test(digit)) return 12 + digit.charCodeAt(0) - 65;
  return undefined;
}

/**
 * The room of one call's agent link: `${prefix}${callId}`, plus the leg for a briefing room. Only
 * letters, digits, `_` and `-`: never a phone number (call ids are the daemon's own).
 */
export function roomName(
  config: Pick<LivekitAgentConfig, 'roomPrefix'>,
  callId: string,
  parameters?: Readonly<Record<string, string>>,
): string {
  const safe = (text: string): string => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 96);
  const base = `${config.roomPrefix}${safe(callId)}`;
  return parameters?.['role'] === 'briefing' && parameters['legId'] !== undefined
    ? `${base}-briefing-${safe(parameters['legId'])}`
    : base;
}

/**
 * The dispatch (and room) metadata: the call's custom parameters as JSON — the configured
 * `metadata`, then the link's parameters, then the daemon's own keys, which win.
 */
export function dispatchMetadata(
  config: Pick<LivekitAgentConfig, 'metadata'>,
  own: Readonly<Record<string, string>>,
  parameters?: Readonly<Record<string, string>>,
): string {
  return JSON.stringify({ ...config.metadata, ...parameters, ...own });
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
