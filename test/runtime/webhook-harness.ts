import type { CarrierEvent, WebhookError, WebhookKind } from '../../providers/types.js';
import { silentLogger } from '../../src/log.js';
import type { AgentDirectory } from '../../src/runtime/agent-directory.js';
import type { CallInput } from '../../src/runtime/call-reducer.js';
import { LegReplies } from '../../src/runtime/replies.js';
import { type WebhookBodyReader, WebhookHandler } from '../../src/runtime/webhooks.js';
import {
  AGENT,
  CALL_ID,
  type Dispatched,
  FakeCarrier,
  FakeEngine,
  LEG0,
  OUR_NUMBER,
  RECORDS,
  type RecordName,
  T1,
  webhookRequest,
} from './shell-fakes.js';

/**
 * One webhook handler per test over the shell fakes: a fake carrier adapter (signature verdict
 * and parsed event given by the test), a fake engine recording every dispatch with its dedupe
 * key, a fake agent directory answering for OUR_NUMBER.
 */

export interface Setup {
  /** The call's saved record, under CALL_ID; none: the call is unknown. */
  readonly record?: RecordName | undefined;
  readonly signatureValid?: boolean;
  readonly accepting?: boolean;
  readonly capabilities?: ConstructorParameters<typeof FakeCarrier>[0];
}

export function harness(setup: Setup = {}) {
  const carrier = new FakeCarrier(setup.capabilities);
  carrier.signatureValid = setup.signatureValid ?? true;
  const engine = new FakeEngine();
  if (setup.record !== undefined) engine.records.set(CALL_ID, RECORDS[setup.record]());
  const rejects: string[] = [];
  const lookups: string[] = [];
  const agents: AgentDirectory = {
    byNumber: async (n) => {
      lookups.push(n);
      return n === OUR_NUMBER ? { agent: AGENT, version: 1 } : undefined;
    },
    get: async () => ({ agent: AGENT, version: 1 }),
  };
  const handler = new WebhookHandler({
    engine,
    agents,
    adapters: new Map([['twilio', carrier.adapter]]),
    legReplies: new LegReplies(),
    media: (callId) => ({ callId }),
    log: silentLogger(),
    onReject: (_carrier, reason) => rejects.push(reason),
    accepting: () => setup.accepting ?? true,
    publicUrl: 'https://pt.test',
  });
  const send = async (kind: WebhookKind, event: CarrierEvent | WebhookError, body?: WebhookBodyReader) => {
    carrier.event = event;
    return handler.handle('twilio', kind, webhookRequest(), {}, body);
  };
  return { carrier, engine, handler, rejects, send, lookups };
}

/** A dispatch as a row states it: the input and the dedupe key it must carry. */
export type Want = Pick<Dispatched, 'input' | 'dedupeKey'>;

export const event = (
  e: Extract<CallInput, { type: 'transfer.event' }>['event'],
  bind?: string,
): CallInput => ({
  type: 'transfer.event',
  transferId: T1,
  event: e,
  ...(bind === undefined ? {} : { bind: { legId: LEG0, carrierLegId: bind } }),
});

export const leg = { callId: CALL_ID, transferId: T1, legId: LEG0 } as const;
export const room = {
  callId: CALL_ID,
  transferId: T1,
  room: `xfer-${T1}`,
  carrierConferenceId: 'CF1',
} as const;
