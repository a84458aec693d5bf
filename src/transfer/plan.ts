/**
 * Transfer planning: trigger → a policy-checked {@link TransferPlan}, or a typed refusal. Pure:
 * the clock comes in as `ctx.nowMs`. Every trigger goes through here, so the destination policy
 * (DESIGN.md invariant 6) and after-hours gating (flowyte `afterHours`) apply to all alike.
 *
 * Order of checks: the trigger's destinations (`invalid_destination`, `destination_not_allowed`),
 * then opening hours (`after_hours`, or the after-hours number), then a missing destination
 * (`missing_transfer_number`), the skill's confirmation (`confirmation_required`), and the
 * caller ID (`missing_outbound_number`).
 */
import type { AgentConfig, HandoffConfig } from '../config/agent-types.js';
import { isOpenAt } from '../config/schedule.js';
import type { TransferMode } from '../domain/outcome.js';
import { destinationString, parseDestination } from '../phone/destination.js';
import { isDestinationAllowed, namedDestinations } from '../phone/policy.js';
import type { ModeRegistry } from './mode.js';
import { TRANSFER_MODES } from './modes.js';
import { buildWhisper, defaultReason } from './plan-text.js';
import type { LookupResult, PlanRefusal, PlanResult, TransferTrigger, WhisperPlan } from './plan-types.js';
import { needsConfirmation, parseToolCall } from './tools.js';

/** The agent's own mode: `handoffConfig.mode` (`warm: true` was read as `mode: warm`). */
export function configuredMode(handoffConfig: HandoffConfig): TransferMode {
  return handoffConfig.mode;
}

export interface PlanContext {
  /** Current time, Unix ms (for opening hours). */
  readonly nowMs: number;
  /** The caller's number as the carrier reported it; the caller ID when `callerId: 'caller'`. */
  readonly callerNumber?: string;
  /** Why the transfer is asked for, when the asker said (overrides the rule's `when` etc.). */
  readonly reason?: string;
  /** A summary the agent already wrote (`transfer_call`'s `summary`): used as the warm whisper. */
  readonly summary?: string;
  /** ISO region for national numbers in dynamic destinations, e.g. `US`. */
  readonly defaultRegion: string;
  /** The mode the asker chose (the agent's `transfer` event); default `handoffConfig.mode`. */
  readonly mode?: TransferMode;
  /** The modes a plan may name; default the daemon's (modes.ts). */
  readonly modes?: ModeRegistry;
}

/** Plans a transfer for `agent`. Never throws; a trigger that cannot be honoured is a refusal. */
export function planTransfer(agent: AgentConfig, trigger: TransferTrigger, ctx: PlanContext): PlanResult {
  const resolved = resolve(agent, trigger, ctx);
  if (!resolved.ok && resolved.refusal !== 'missing_transfer_number') return resolved;
  let chain = resolved.ok ? resolved.chain : [];
  const hours = agent.afterHours;
  if (hours !== undefined && !isOpenAt(hours, ctx.nowMs)) {
    if (!hours.allowHumanTransfer)
      return refuse('after_hours', 'outside opening hours and afterHours.allowHumanTransfer is false');
    if (hours.number === undefined)
      return refuse('missing_transfer_number', 'outside opening hours and afterHours.number is not set');
    chain = [hours.number];
  } else if (!resolved.ok) {
    return resolved;
  }
  const res = resolved.ok
    ? resolved
    : {
        reason: defaultReason(trigger),
        confirmationNeeded: false,
        mode: undefined,
        summary: undefined,
        callerMessage: undefined,
      };
  if (res.confirmationNeeded)
    return refuse('confirmation_required', 'ask the caller to confirm, then call again with confirmed: true');

  const callerId = resolveCallerId(agent, ctx);
  if (callerId === undefined) {
    return refuse('missing_outbound_number', 'the caller ID needs outboundNumber and the agent has none');
  }
  const { handoffConfig } = agent;
  const mode: TransferMode = res.mode ?? ctx.mode ?? configuredMode(handoffConfig);
  const descriptor = (ctx.modes ?? TRANSFER_MODES).find(mode);
  if (descriptor === undefined) return refuse('mode_unsupported', `no transfer mode named ${mode}`);
  const whisper: WhisperPlan = descriptor.whispers
    ? buildWhisper(handoffConfig, res.reason, res.summary ?? ctx.summary)
    : { kind: 'none' };
  return {
    ok: true,
    plan: {
      mode,
      chain: [...new Set(chain)],
      ringTimeoutMs: (handoffConfig.ringTimeoutSec ?? descriptor.defaultRingTimeoutSec) * 1000,
      callerId,
      whisper,
      ...(handoffConfig.holdAudio === undefined ? {} : { holdAudioUrl: handoffConfig.holdAudio }),
      reason: res.reason,
      ...('label' in res && res.label !== undefined ? { label: res.label } : {}),
      ...(descriptor.briefs === true ? { briefingTimeoutMs: handoffConfig.briefingTimeoutSec * 1000 } : {}),
      ...(handoffConfig.machineDetection && descriptor.dialsFrom === 'leg' ? { machineDetection: true } : {}),
      ...digitsFor([...new Set(chain)], handoffConfig.sendDigits),
      ...(handoffConfig.whisperVoice === 'agent' &&
      descriptor.whispers &&
      descriptor.dialsFrom === 'leg' &&
      descriptor.briefs !== true
        ? { whisperVoice: 'agent' as const }
        : {}),
      trigger: trigger.type,
      ...(res.callerMessage === undefined
        ? {}
        : {
            callerMessage: {
              text: res.callerMessage,
              voice: agent.agent.speaksMessages ? ('agent' as const) : ('carrier' as const),
            },
          }),
    },
  };
}

type Resolution =
  | {
      readonly ok: true;
      readonly chain: readonly string[];
      readonly reason: string;
      readonly confirmationNeeded: boolean;
      readonly mode?: TransferMode;
      readonly summary?: string;
      readonly callerMessage?: string;
      /** The configured name of the chain (a rule label, `default`, a skill's name). */
      readonly label?: string;
    }
  | { readonly ok: false; readonly refusal: PlanRefusal; readonly detail: string };

/** The trigger's destination chain (checked against the policy), reason and confirmation need. */
function resolve(agent: AgentConfig, trigger: TransferTrigger, ctx: PlanContext): Resolution {
  const reasonOr = (fallback: string) => ctx.reason ?? fallback;
  switch (trigger.type) {
    case 'tag': {
      if (trigger.destinations.length === 0)
        return refuse('invalid_destination', 'the tag names no destination');
      return checked(agent, trigger.destinations, 'tag', ctx, reasonOr(defaultReason(trigger)));
    }
    case 'rule':
      return ruleChain(agent, trigger.label, ctx);
    case 'skill':
      return skillChain(agent, trigger.name, trigger.confirmed, trigger, ctx);
    case 'tool': {
      const call = parseToolCall(agent, trigger.name, trigger.args);
      if (!call.ok) return refuse('invalid_destination', `${call.error.code}: ${call.error.message}`);
      const inner = resolve(agent, call.trigger, { ...ctx, reason: ctx.reason ?? call.reason });
      const summary = ctx.summary ?? call.summary;
      return inner.ok && summary !== undefined ? { ...inner, summary } : inner;
    }
    case 'api': {
      const asked = [trigger.destination, trigger.rule, trigger.skill].filter((x) => x !== undefined).length;
      if (asked > 1) return refuse('invalid_destination', 'give at most one of destination, rule and skill');
      const { callerMessage } = trigger;
      const withMode = (r: Resolution): Resolution =>
        r.ok
          ? {
              ...r,
              ...(trigger.mode === undefined ? {} : { mode: trigger.mode }),
              ...(callerMessage === undefined ? {} : { callerMessage }),
            }
          : r;
      const apiCtx = { ...ctx, reason: ctx.reason ?? trigger.message };
      if (trigger.destination !== undefined) {
        const reason = apiCtx.reason ?? defaultReason(trigger);
        return withMode(checked(agent, [trigger.destination], 'destination', ctx, reason));
      }
      if (trigger.rule !== undefined) return withMode(ruleChain(agent, trigger.rule, apiCtx));
      // An operator asking through the API has decided: the skill's confirmation is theirs.
      if (trigger.skill !== undefined)
        return withMode(skillChain(agent, trigger.skill, true, { lookup: trigger.lookup }, apiCtx));
      return withMode(defaultChain(agent, apiCtx.reason ?? defaultReason(trigger)));
    }
    case 'silence':
    case 'default':
      return defaultChain(agent, reasonOr(defaultReason(trigger)));
  }
}

function ruleChain(agent: AgentConfig, label: string, ctx: PlanContext): Resolution {
  const rules = agent.handoffConfig.transferRules;
  const rule =
    rules.find((candidate) => candidate.label === label) ??
    rules.find((candidate) => candidate.label.toLowerCase() === label.trim().toLowerCase());
  if (rule === undefined)
    return refuse('invalid_destination', `no transfer rule labelled ${JSON.stringify(label)}`);
  const resolved = { ...ok(rule.destination, ctx.reason ?? rule.when), label: rule.label };
  return rule.callerMessage === undefined ? resolved : { ...resolved, callerMessage: rule.callerMessage };
}

function skillChain(
  agent: AgentConfig,
  name: string,
  confirmed: boolean,
  given: { readonly dynamicDestination?: string; readonly lookup?: LookupResult | undefined },
  ctx: PlanContext,
): Resolution {
  const wanted = name.trim().toLowerCase();
  const skill =
    agent.skills.find((candidate) => candidate.name === name) ??
    agent.skills.find(
      (candidate) => candidate.name.toLowerCase() === wanted || candidate.toolName === wanted,
    );
  if (skill === undefined)
    return refuse('invalid_destination', `no transfer skill named ${JSON.stringify(name)}`);
  const reason = ctx.reason ?? skill.description;
  const confirmationNeeded = needsConfirmation(skill) && !confirmed;
  const fixed = skill.executionConfig.destination;
  const { dynamicDestination, lookup } = given;
  if (dynamicDestination !== undefined) {
    if (fixed !== undefined)
      return refuse(
        'invalid_destination',
        `skill ${JSON.stringify(skill.name)} has a fixed destination; name the skill without one`,
      );
    const result = checked(agent, [dynamicDestination], 'dynamic destination', ctx, reason);
    return result.ok ? { ...result, confirmationNeeded, label: skill.name } : result;
  }
  if (fixed === undefined && lookup !== undefined) {
    if (lookup.ok) {
      const result = checked(agent, [lookup.destination], 'looked-up destination', ctx, reason);
      return result.ok ? { ...result, confirmationNeeded } : result;
    }
    // The lookup gave nothing: the default destination, else a typed refusal (never a hang).
    const fallback = agent.handoffConfig.transferDestination;
    if (fallback !== undefined) return { ...ok([fallback], reason), confirmationNeeded };
    return refuse('lookup_failed', `skill ${JSON.stringify(skill.name)}: ${lookup.detail}`);
  }
  if (fixed === undefined) {
    return refuse(
      'missing_transfer_number',
      `skill ${JSON.stringify(skill.name)} has no destination and none was looked up`,
    );
  }
  return { ...ok(fixed, reason), confirmationNeeded, label: skill.name };
}

function defaultChain(agent: AgentConfig, reason: string): Resolution {
  const destination = agent.handoffConfig.transferDestination;
  if (destination === undefined)
    return refuse('missing_transfer_number', 'handoffConfig.transferDestination is not set');
  return { ...ok([destination], reason), label: 'default' };
}

/**
 * Destinations that did not come from the configuration (tags, API, lookups): parsed and
 * policy-checked one by one. Details name positions, never numbers (they may be logged).
 */
function checked(
  agent: AgentConfig,
  inputs: readonly string[],
  what: string,
  ctx: PlanContext,
  reason: string,
): Resolution {
  const named = namedDestinations(agent);
  const chain: string[] = [];
  for (const [index, input] of inputs.entries()) {
    const where = inputs.length > 1 ? `${what} ${index + 1}` : what;
    const parsed = parseDestination(input, ctx.defaultRegion);
    if (!parsed.ok)
      return refuse('invalid_destination', `${where} is not a valid destination (${parsed.reason})`);
    const canonical = destinationString(parsed.destination);
    if (!named.has(canonical)) {
      const decision = isDestinationAllowed(agent, parsed.destination);
      if (!decision.allowed)
        return refuse(
          'destination_not_allowed',
          `${where} is not allowed for this agent (${decision.reason})`,
        );
    }
    chain.push(canonical);
  }
  return ok(chain, reason);
}

function resolveCallerId(agent: AgentConfig, ctx: PlanContext): string | undefined {
  const { callerId } = agent.handoffConfig;
  if (callerId === 'agent') return agent.outboundNumber;
  if (callerId !== 'caller') return callerId;
  if (ctx.callerNumber !== undefined) {
    // Withheld or SIP callers have no number a carrier accepts as caller ID: use the agent's.
    const parsed = parseDestination(ctx.callerNumber, ctx.defaultRegion);
    if (parsed.ok && parsed.destination.kind === 'pstn') return parsed.destination.e164;
  }
  return agent.outboundNumber;
}

function ok(chain: readonly string[], reason: string): Extract<Resolution, { ok: true }> {
  return { ok: true, chain, reason, confirmationNeeded: false };
}

function refuse(
  refusal: PlanRefusal,
  detail: string,
): { readonly ok: false; readonly refusal: PlanRefusal; readonly detail: string } {
  return { ok: false, refusal, detail };
}

/** The chain's destinations that have keys to dial once answered. */
function digitsFor(
  chain: readonly string[],
  all: Readonly<Record<string, string>>,
): { sendDigits?: Readonly<Record<string, string>> } {
  const picked = Object.fromEntries(chain.flatMap((d) => (all[d] === undefined ? [] : [[d, all[d]]])));
  return Object.keys(picked).length === 0 ? {} : { sendDigits: picked };
}
