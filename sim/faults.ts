/**
 * Faults on demand (`sim.faults`). Each rule applies a limited number of `times` (default 1)
 * to the requests, callbacks or streams it matches; front-ends consult the registry at the
 * moment the thing would happen. Carrier-neutral: matching is on kinds, events, URLs and ids.
 */
import type { SimLog } from './log.js';

/** Selects webhooks/callbacks. Every given field must match. */
export interface HookMatch {
  /** `voice`, `redirect`, `action`, `announce`, `whisper`, `status`, `conference`, `stream-status`. */
  readonly kind?: string;
  /** The callback's event: a call status (`ringing`, `completed`…) or a conference event (`participant-join`…). */
  readonly event?: string;
  readonly callSid?: string;
  /** Substring of the URL, or a RegExp tested against it. */
  readonly url?: string | RegExp;
}

/** What a front-end knows about a hook when it asks the registry. */
export interface HookFacts {
  readonly kind: string;
  readonly event?: string;
  readonly callSid?: string;
  readonly url: string;
}

export type FaultRule =
  /** Deliver matching callbacks `copies` extra times (default 1), same signature and body. */
  | {
      readonly type: 'callback.duplicate';
      readonly match?: HookMatch;
      readonly copies?: number;
      readonly times?: number;
    }
  /** Deliver matching callbacks `delayMs` late (later callbacks are not held back). */
  | {
      readonly type: 'callback.delay';
      readonly match?: HookMatch;
      readonly delayMs: number;
      readonly times?: number;
    }
  /**
   * Hold a matching callback back and deliver it right after the next callback of the same
   * call or conference (or after `holdMs`, default 2000, if none comes).
   */
  | {
      readonly type: 'callback.reorder';
      readonly match?: HookMatch;
      readonly holdMs?: number;
      readonly times?: number;
    }
  /** Answer matching REST requests with an error status (429, 500, 503…) and the carrier's error body. */
  | {
      readonly type: 'rest.error';
      readonly method?: string;
      /** Substring of the request path, or a RegExp tested against it. */
      readonly path: string | RegExp;
      readonly status: number;
      /** Carrier error code in the body; default per status (Twilio: 20429, 20500, 20503). */
      readonly code?: number;
      /**
       * Act on the request first, then answer the error: an edge that gave up on a backend that
       * did the work (a 502/503/504 after the call was moved). Nothing in the carriers' documents
       * says an error answer means nothing happened. Default false: nothing is done.
       */
      readonly applied?: boolean;
      /** Let this many matching requests through first (default 0): an edge that fails later in the call. */
      readonly after?: number;
      /** Only requests whose body contains this (e.g. `Status=completed`: a hang-up, not a redirect). */
      readonly body?: string;
      readonly times?: number;
    }
  /**
   * Act on matching REST requests at once but answer them `delayMs` late: the callbacks the
   * request causes (a redirected caller's conference `participant-join`…) overtake its answer.
   */
  | {
      readonly type: 'rest.slow';
      readonly method?: string;
      /** Substring of the request path, or a RegExp tested against it. */
      readonly path: string | RegExp;
      readonly delayMs: number;
      readonly times?: number;
    }
  /** Wait `delayMs` before sending matching webhooks (a slow network or carrier). */
  | {
      readonly type: 'webhook.slow';
      readonly match?: HookMatch;
      readonly delayMs: number;
      readonly times?: number;
    }
  /**
   * Send matching webhooks but treat them as timed out after `afterMs` (default: the
   * front-end's webhook timeout), ignoring any reply.
   */
  | {
      readonly type: 'webhook.timeout';
      readonly match?: HookMatch;
      readonly afterMs?: number;
      readonly times?: number;
    }
  /**
   * Matching fetches never reach the daemon (a refused connection, a balancer with no healthy
   * worker): the front-end gets a network error at once and goes on as its carrier does then.
   */
  | {
      readonly type: 'webhook.unreachable';
      readonly match?: HookMatch;
      readonly times?: number;
    }
  /**
   * Never deliver matching notifications: a callback the carrier gave up on (its retries
   * failed). Fetches (markup, applets) are not affected.
   */
  | {
      readonly type: 'callback.drop';
      readonly match?: HookMatch;
      readonly times?: number;
    }
  /**
   * The human at `address` (any human if absent) hangs up the next leg that reaches them,
   * `afterMs` into `phase`: `ringing` (declines while it rings), `whisper` (once they hear `say`
   * or `play` before any other party), `joined` (once they hear another party).
   */
  | {
      readonly type: 'human.hangup';
      readonly address?: string;
      readonly phase: HangupPhase;
      readonly afterMs?: number;
      readonly times?: number;
    }
  /**
   * The next caller placed (on `carrier`, to `to`, if given) hangs up `afterMs` into `phase`:
   * `ringing` (a human's leg rings while the caller is up), `hold` (the caller hears hold or
   * wait audio), `whisper` (a human hears a whisper while the caller is up), `joined` (the
   * caller hears another party).
   */
  | {
      readonly type: 'caller.hangup';
      readonly carrier?: string;
      readonly to?: string;
      readonly phase: CallerHangupPhase;
      readonly afterMs?: number;
      readonly times?: number;
    }
  /**
   * Close a media-stream socket abruptly (no `stop`, no close frame) after it has sent
   * `afterFrames` media frames (default 0: as soon as it is open).
   */
  | {
      readonly type: 'media.drop';
      readonly callSid?: string;
      readonly afterFrames?: number;
      readonly times?: number;
    };

export type FaultType = FaultRule['type'];

/** When a human hangs up: while their leg rings, during the whisper, after joining the caller. */
export const HANGUP_PHASES = ['ringing', 'whisper', 'joined'] as const;
export type HangupPhase = (typeof HANGUP_PHASES)[number];

/** When a caller hangs up: while a human rings, on hold, during the human's whisper, joined. */
export const CALLER_HANGUP_PHASES = ['ringing', 'hold', 'whisper', 'joined'] as const;
export type CallerHangupPhase = (typeof CALLER_HANGUP_PHASES)[number];

/** A rule once added: how often it fired, and a way to remove it. */
export interface FaultHandle<R extends FaultRule = FaultRule> {
  /** Unique within this registry, from 1. */
  readonly id: number;
  readonly rule: R;
  readonly hits: number;
  readonly remaining: number;
  remove(): void;
}

interface Entry {
  id: number;
  rule: FaultRule;
  hits: number;
  remaining: number;
  /** Matching requests let through so far (a `rest.error`'s `after`). */
  passed: number;
  scope?: FaultScope;
}

export function hookMatches(match: HookMatch | undefined, facts: HookFacts): boolean {
  if (!match) return true;
  if (match.kind !== undefined && match.kind !== facts.kind) return false;
  if (match.event !== undefined && match.event !== facts.event) return false;
  if (match.callSid !== undefined && match.callSid !== facts.callSid) return false;
  if (match.url !== undefined) {
    if (typeof match.url === 'string' ? !facts.url.includes(match.url) : !match.url.test(facts.url))
      return false;
  }
  return true;
}

/** The `rest.slow` rule for a REST request, consumed; the caller waits its `delayMs` before answering. */
export function takeRestSlow(
  faults: Faults,
  carrier: string,
  method: string,
  path: string,
): Extract<FaultRule, { type: 'rest.slow' }> | undefined {
  return faults.take(
    'rest.slow',
    (r) => (r.method === undefined || r.method.toUpperCase() === method) && pathMatches(r.path, path),
    { carrier, detail: `${method} ${path}` },
  );
}

export function pathMatches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? path.includes(pattern) : pattern.test(path);
}

/** What the front-end knows when it asks for a fault: the carrier and the call or conference, if any. */
export interface FaultContext {
  readonly carrier?: string;
  readonly callSid?: string;
  readonly conferenceSid?: string;
  readonly detail?: string;
}

/**
 * Limits a rule to some calls (e.g. one scenario among many sharing a simulator): the rule
 * applies only where this returns true. Unscoped rules apply everywhere.
 */
export type FaultScope = (context: FaultContext) => boolean;

/** How many matching requests a rule lets through before it applies (a `rest.error`'s `after`). */
function afterOf(rule: FaultRule): number {
  return rule.type === 'rest.error' ? (rule.after ?? 0) : 0;
}

export class Faults {
  readonly #entries: Entry[] = [];
  readonly #log: SimLog;
  #nextId = 1;

  constructor(log: SimLog) {
    this.#log = log;
  }

  /** Adds a rule; it applies `times` times (default 1; `Infinity` for always), where `scope` allows. */
  add<R extends FaultRule>(rule: R, scope?: FaultScope): FaultHandle<R> {
    const entry: Entry = {
      id: this.#nextId++,
      rule,
      hits: 0,
      passed: 0,
      remaining: rule.times ?? 1,
      ...(scope === undefined ? {} : { scope }),
    };
    this.#entries.push(entry);
    return this.#handle(entry) as FaultHandle<R>;
  }

  /** Every rule still in the registry (spent ones included until removed), oldest first. */
  list(): FaultHandle[] {
    return this.#entries.map((e) => this.#handle(e));
  }

  /** Removes the rule with this id; false if there is none. */
  remove(id: number): boolean {
    const i = this.#entries.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.#entries.splice(i, 1);
    return true;
  }

  #handle(entry: Entry): FaultHandle {
    const entries = this.#entries;
    return {
      id: entry.id,
      rule: entry.rule,
      get hits() {
        return entry.hits;
      },
      get remaining() {
        return entry.remaining;
      },
      remove() {
        const i = entries.indexOf(entry);
        if (i >= 0) entries.splice(i, 1);
      },
    };
  }

  /** Removes every rule. */
  clear(): void {
    this.#entries.length = 0;
  }

  /**
   * Consumes one use of the first rule of `type` that `test` accepts, logs it, and returns it.
   * Front-ends call this at the moment the fault would happen.
   */
  take<T extends FaultType>(
    type: T,
    test: (rule: Extract<FaultRule, { type: T }>) => boolean,
    context: FaultContext = {},
  ): Extract<FaultRule, { type: T }> | undefined {
    for (const entry of this.#entries) {
      if (entry.rule.type !== type || entry.remaining <= 0) continue;
      if (entry.scope !== undefined && !entry.scope(context)) continue;
      const rule = entry.rule as Extract<FaultRule, { type: T }>;
      if (!test(rule)) continue;
      if (entry.passed < afterOf(entry.rule)) {
        entry.passed++;
        continue;
      }
      entry.remaining--;
      entry.hits++;
      const { detail, ...ctx } = context;
      this.#log.add(ctx, { type: 'fault.applied', fault: type, ...(detail === undefined ? {} : { detail }) });
      return rule;
    }
    return undefined;
  }

  /** Whether a rule of `type` that `test` accepts is armed, without consuming it. */
  peek<T extends FaultType>(type: T, test: (rule: Extract<FaultRule, { type: T }>) => boolean): boolean {
    return this.#entries.some(
      (e) => e.rule.type === type && e.remaining > 0 && test(e.rule as Extract<FaultRule, { type: T }>),
    );
  }
}
