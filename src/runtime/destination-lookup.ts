/**
 * flowyte's dynamic destination: a transfer skill without a fixed destination asks the user's
 * lookup webhook (`executionConfig.lookup`) at call time. The call's context is POSTed as JSON,
 * signed with `LOOKUP_SIGNING_SECRET` (src/lib/lookup-signature.ts); the answer
 * `{ "destination": "+1…" }` goes into the trigger and through the planner like any other
 * destination (the policy still applies). A timeout, an error or an answer without a destination
 * is a failed lookup: the planner then uses the default destination, or refuses with
 * `lookup_failed`. The wait is bounded by the lookup's `timeoutMs`: never a hang.
 */
import type { AgentConfig, DestinationLookup, TransferSkill } from '../config/agent-types.js';
import { LOOKUP_SIGNATURE_HEADER, LOOKUP_TIMESTAMP_HEADER, signLookup } from '../lib/lookup-signature.js';
import type { Log } from '../log.js';
import type { LookupResult, TransferTrigger } from '../transfer/plan-types.js';
import type { CallRecord } from './call-record.js';

/** The most of a lookup's answer read, in bytes. */
const MAX_ANSWER_BYTES = 16_384;

/** What the webhook receives (JSON). Numbers are the call's own: the webhook is the user's. */
export interface LookupRequestBody {
  readonly callId: string;
  readonly agentId: string;
  readonly skill: string;
  readonly carrier: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  readonly reason?: string;
}

export interface DestinationLookupsOptions {
  /** `LOOKUP_SIGNING_SECRET`; without it no lookup is sent (each fails: unsigned context never leaves). */
  readonly secret: string | undefined;
  readonly log: Log;
  /** Unix ms; default `Date.now`. */
  readonly now?: () => number;
}

export class DestinationLookups {
  readonly #o: DestinationLookupsOptions;

  constructor(options: DestinationLookupsOptions) {
    this.#o = options;
  }

  /** Whether `trigger` names a skill whose destination is looked up, with none given yet. */
  wants(agent: AgentConfig, trigger: TransferTrigger): boolean {
    if (trigger.type === 'skill')
      return (
        trigger.dynamicDestination === undefined &&
        trigger.lookup === undefined &&
        lookupSkill(agent, trigger.name) !== undefined
      );
    if (trigger.type === 'api')
      return (
        trigger.skill !== undefined &&
        trigger.lookup === undefined &&
        lookupSkill(agent, trigger.skill) !== undefined
      );
    return false;
  }

  /**
   * The trigger with its lookup's answer, when it names a skill whose destination is looked up
   * and none was given; any other trigger as it is.
   */
  async resolve(
    agent: AgentConfig,
    trigger: TransferTrigger,
    record: CallRecord,
    reason?: string,
  ): Promise<TransferTrigger> {
    if (
      trigger.type === 'skill' &&
      trigger.dynamicDestination === undefined &&
      trigger.lookup === undefined
    ) {
      const skill = lookupSkill(agent, trigger.name);
      if (skill === undefined) return trigger;
      return { ...trigger, lookup: await this.#ask(skill, record, reason) };
    }
    if (trigger.type === 'api' && trigger.skill !== undefined && trigger.lookup === undefined) {
      const skill = lookupSkill(agent, trigger.skill);
      if (skill === undefined) return trigger;
      return { ...trigger, lookup: await this.#ask(skill, record, reason ?? trigger.message) };
    }
    return trigger;
  }

  async #ask(
    skill: TransferSkill & { executionConfig: { lookup: DestinationLookup } },
    record: CallRecord,
    reason: string | undefined,
  ): Promise<LookupResult> {
    const { lookup } = skill.executionConfig;
    const secret = this.#o.secret;
    const log = this.#o.log.child({ callId: record.callId, skill: skill.name });
    if (secret === undefined) {
      log.warn('lookup.unsigned');
      return { ok: false, detail: 'LOOKUP_SIGNING_SECRET is not set' };
    }
    const body: LookupRequestBody = {
      callId: record.callId,
      agentId: record.agentId,
      skill: skill.name,
      carrier: record.carrier,
      direction: record.direction,
      from: record.pii.from,
      to: record.pii.to,
      ...(reason === undefined ? {} : { reason }),
    };
    const raw = JSON.stringify(body);
    const timestamp = Math.floor((this.#o.now ?? Date.now)() / 1000);
    const started = performance.now();
    try {
      const response = await fetch(lookup.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [LOOKUP_TIMESTAMP_HEADER]: String(timestamp),
          [LOOKUP_SIGNATURE_HEADER]: signLookup(secret, timestamp, raw),
        },
        body: raw,
        redirect: 'error',
        signal: AbortSignal.timeout(lookup.timeoutMs),
      });
      const text = await boundedText(response);
      const elapsedMs = Math.round(performance.now() - started);
      if (!response.ok) {
        log.warn({ status: response.status, elapsedMs }, 'lookup.refused');
        return { ok: false, detail: `the lookup answered HTTP ${response.status}` };
      }
      const destination = destinationOf(text);
      if (destination === undefined) {
        log.warn({ elapsedMs }, 'lookup.no_destination');
        return { ok: false, detail: 'the lookup named no destination' };
      }
      log.info({ elapsedMs, pii: { destination } }, 'lookup.answered');
      return { ok: true, destination };
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      log.warn({ timedOut, elapsedMs: Math.round(performance.now() - started) }, 'lookup.failed');
      return {
        ok: false,
        detail: timedOut ? `the lookup did not answer within ${lookup.timeoutMs} ms` : 'the lookup failed',
      };
    }
  }
}

/** The skill by name or tool name, when its destination is looked up. */
function lookupSkill(
  agent: AgentConfig,
  name: string,
): (TransferSkill & { executionConfig: { lookup: DestinationLookup } }) | undefined {
  const wanted = name.trim().toLowerCase();
  const skill = agent.skills.find(
    (s) => s.name === name || s.name.toLowerCase() === wanted || s.toolName === wanted,
  );
  if (skill === undefined || skill.executionConfig.destination !== undefined) return undefined;
  const lookup = skill.executionConfig.lookup;
  return lookup === undefined
    ? undefined
    : { ...skill, executionConfig: { ...skill.executionConfig, lookup } };
}

/** `{ "destination": "…" }` → the destination; anything else → undefined. */
function destinationOf(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const destination = (parsed as Record<string, unknown>)['destination'];
    return typeof destination === 'string' && destination.trim() !== '' && destination.length <= 256
      ? destination.trim()
      : undefined;
  } catch {
    return undefined;
  }
}

/** The answer's text, at most {@link MAX_ANSWER_BYTES} (a larger answer is cut, then fails to parse). */
async function boundedText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
