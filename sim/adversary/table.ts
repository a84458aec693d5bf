/**
 * The orderings the carriers permit, as data: for each carrier, which callbacks may arrive in
 * which orders, repeat, arrive late or be lost, and which REST answers may race their own
 * callbacks or fail. Each row names its source and whether the carrier documents the behaviour
 * or merely does not exclude it. The adversary (./adversary.ts) draws faults only from these
 * rows, and docs/simulator.md's table is rendered from them (./render.ts; a test checks the two
 * agree).
 */
import type { HookMatch } from '../faults.js';

export type Basis = 'documented' | 'not excluded by docs';

/** The transfer modes a row applies to. */
export const ADVERSARY_MODES = ['cold', 'warm'] as const;
export type AdversaryMode = (typeof ADVERSARY_MODES)[number];

export const ADVERSARY_CARRIERS = ['twilio', 'plivo', 'exotel'] as const;
export type AdversaryCarrier = (typeof ADVERSARY_CARRIERS)[number];

/** An inclusive range of milliseconds (or counts). */
export type Range = readonly [min: number, max: number];

/** A fault a row allows, with the bounds its parameters are drawn from. URL matches are substrings only. */
export type FaultTemplate =
  | { readonly type: 'callback.delay'; readonly match: HookMatch & { url?: string }; readonly delayMs: Range }
  | {
      readonly type: 'callback.reorder';
      readonly match: HookMatch & { url?: string };
      readonly holdMs: Range;
    }
  | {
      readonly type: 'callback.duplicate';
      readonly match: HookMatch & { url?: string };
      readonly copies: Range;
    }
  | { readonly type: 'callback.drop'; readonly match: HookMatch & { url?: string } }
  | { readonly type: 'webhook.slow'; readonly match: HookMatch & { url?: string }; readonly delayMs: Range }
  | { readonly type: 'rest.slow'; readonly method: string; readonly path: string; readonly delayMs: Range }
  | {
      readonly type: 'rest.error';
      readonly method: string;
      readonly path: string;
      /** HTTP statuses the carrier documents an error body for. */
      readonly statuses: readonly number[];
      /** The carrier did what was asked before it answered the error (sim/faults.ts `applied`). */
      readonly applied?: true;
      /**
       * How many matching requests in a row are answered the error (default one): an edge that
       * fails for a while fails the client's own quick retries too.
       */
      readonly inARow?: Range;
      /** How many matching requests pass before the errors begin (default none): a later command is hit too. */
      readonly after?: Range;
      /** Only requests whose body contains this (sim/faults.ts): one kind of command. */
      readonly body?: string;
    };

export interface OrderingRow {
  /** Stable id, `carrier.what`. */
  readonly id: string;
  readonly carrier: AdversaryCarrier;
  readonly modes: readonly AdversaryMode[];
  /** The callbacks (or requests) concerned. */
  readonly what: string;
  /** What the carrier may do with them: orders, repeats, delays, loss. */
  readonly permits: string;
  readonly basis: Basis;
  /** Where the row comes from: official documentation pages, SDK source, protocols.md sections. */
  readonly sources: readonly string[];
  /** Losing a callback: drawn only when the caller of the adversary asks for loss. */
  readonly lossy?: boolean;
  /**
   * Drawn apart from the other rows, from a stream of its own (in 30 % of plans), so adding the
   * row left every seed's other draws as they were.
   */
  readonly apart?: true;
  readonly faults: readonly FaultTemplate[];
}

const BOTH: readonly AdversaryMode[] = ['cold', 'warm'];
const PROTOCOLS = 'reference/protocols.md';

export const ORDERING_TABLE: readonly OrderingRow[] = [
  // ---- Twilio ----
  {
    id: 'twilio.dial-legs',
    carrier: 'twilio',
    modes: ['cold'],
    what: "`<Dial>`: the child leg's status callbacks (`<Number statusCallback>`), the `<Dial action>` request, the parent call's own `completed`",
    permits: 'any order, each up to 3 s late',
    basis: 'documented',
    sources: [
      `${PROTOCOLS} "Corrections": callback order is not guaranteed`,
      'https://www.twilio.com/docs/voice/twiml/dial',
    ],
    faults: [
      { type: 'callback.delay', match: { kind: 'status', event: 'completed' }, delayMs: [0, 3000] },
      { type: 'callback.delay', match: { kind: 'status', event: 'ringing' }, delayMs: [0, 3000] },
      { type: 'callback.reorder', match: { kind: 'status' }, holdMs: [200, 3000] },
      { type: 'webhook.slow', match: { kind: 'action' }, delayMs: [0, 3000] },
    ],
  },
  {
    id: 'twilio.rest-overtaken',
    carrier: 'twilio',
    modes: BOTH,
    what: 'a call created by REST (`Calls.create`, `Participants.create`): its `initiated` / `ringing` / `answered` callbacks and the REST response',
    permits: 'callbacks before the REST response (response up to 2 s late)',
    basis: 'documented',
    sources: [`${PROTOCOLS} "Corrections": status callbacks may arrive before the REST response`],
    faults: [
      { type: 'rest.slow', method: 'POST', path: '/Calls.json', delayMs: [0, 2000] },
      { type: 'rest.slow', method: 'POST', path: '/Participants.json', delayMs: [0, 2000] },
    ],
  },
  {
    id: 'twilio.conference-vs-rest',
    carrier: 'twilio',
    modes: ['warm'],
    what: "conference `participant-join` / `participant-leave` and the answers to the REST requests that cause them (a caller redirected into the room, a participant's hold or removal)",
    permits: 'any order, events up to 2 s late, answers up to 2 s late',
    basis: 'not excluded by docs',
    sources: [
      'twilio-node src/rest/api/v2010/account/conference/participant.ts (answer carries no event order)',
      `${PROTOCOLS} §2.6`,
    ],
    faults: [
      { type: 'rest.slow', method: 'POST', path: '/Calls/', delayMs: [0, 2000] },
      { type: 'rest.slow', method: 'POST', path: '/Participants/', delayMs: [0, 2000] },
      {
        type: 'callback.delay',
        match: { kind: 'conference', event: 'participant-join' },
        delayMs: [0, 2000],
      },
      {
        type: 'callback.delay',
        match: { kind: 'conference', event: 'participant-leave' },
        delayMs: [0, 2000],
      },
    ],
  },
  {
    id: 'twilio.conference-vs-status',
    carrier: 'twilio',
    modes: ['warm'],
    what: "a participant's conference events and the same participant's call-progress callbacks (`participant-leave` vs `completed`)",
    permits: 'any order',
    basis: 'not excluded by docs',
    sources: [`${PROTOCOLS} §2.6 (two callback streams, each with its own SequenceNumber)`],
    faults: [
      {
        type: 'callback.reorder',
        match: { kind: 'conference', event: 'participant-leave' },
        holdMs: [200, 2000],
      },
      { type: 'callback.delay', match: { kind: 'status', event: 'completed' }, delayMs: [0, 2000] },
    ],
  },
  {
    id: 'twilio.retries',
    carrier: 'twilio',
    modes: BOTH,
    what: 'any status or conference callback whose delivery failed or timed out',
    permits: 'repeated (1–2 copies, same body, signature and `I-Twilio-Idempotency-Token`)',
    basis: 'documented',
    sources: [
      'https://twilio.com/docs/usage/webhooks/webhooks-connection-overrides (retries on failures/timeouts)',
    ],
    faults: [
      { type: 'callback.duplicate', match: { kind: 'status' }, copies: [1, 2] },
      { type: 'callback.duplicate', match: { kind: 'conference' }, copies: [1, 2] },
    ],
  },
  {
    id: 'twilio.slow-fetch',
    carrier: 'twilio',
    modes: BOTH,
    what: 'TwiML fetches (voice URL, redirects, `<Dial action>`)',
    permits: 'sent up to 2 s late (well inside the 15 s webhook timeout)',
    basis: 'documented',
    sources: ['https://twilio.com/docs/usage/webhooks/webhooks-connection-overrides (timeouts)'],
    faults: [
      { type: 'webhook.slow', match: { kind: 'voice' }, delayMs: [0, 2000] },
      { type: 'webhook.slow', match: { kind: 'redirect' }, delayMs: [0, 2000] },
    ],
  },
  {
    id: 'twilio.rest-errors',
    carrier: 'twilio',
    modes: BOTH,
    what: 'REST requests (create, update, participants)',
    permits:
      '429 / 20429 (never processed, safe to retry), 500 / 20500, 503 / 20503; up to 4 requests in a row, at any point of the call (nothing says an error is followed by a success)',
    basis: 'documented',
    sources: ['https://www.twilio.com/docs/api/errors/20429', `${PROTOCOLS} §2.4 (error body)`],
    faults: [
      {
        type: 'rest.error',
        method: 'POST',
        path: '/Calls',
        statuses: [429, 500, 503],
        inARow: [1, 4],
        after: [0, 6],
      },
      {
        type: 'rest.error',
        method: 'POST',
        path: '/Participants',
        statuses: [429, 500, 503],
        inARow: [1, 4],
      },
    ],
  },
  {
    id: 'twilio.hangup-errors',
    carrier: 'twilio',
    modes: BOTH,
    what: "REST hang-ups (`Status=completed`): a human's ringing leg cancelled, the caller's call ended",
    permits:
      '429 / 20429, 500 / 20500, 503 / 20503 for up to 4 in a row: an edge that fails any request fails these too',
    basis: 'documented',
    sources: ['https://www.twilio.com/docs/api/errors/20429', `${PROTOCOLS} §2.4 (error body)`],
    apart: true,
    faults: [
      {
        type: 'rest.error',
        method: 'POST',
        path: '/Calls/',
        body: 'Status=completed',
        statuses: [429, 500, 503],
        inARow: [1, 4],
      },
    ],
  },
  {
    id: 'twilio.rest-errors-after-work',
    carrier: 'twilio',
    modes: BOTH,
    what: 'REST requests (create, update, participants) answered with a server error',
    permits:
      'the request done and answered 500 / 20500 or 503 / 20503 all the same: only 429 is documented as never processed',
    basis: 'not excluded by docs',
    sources: [
      'https://www.twilio.com/docs/api/errors/20429 (only this error says the request was not processed)',
      'https://www.twilio.com/docs/api/errors/20500',
    ],
    faults: [
      { type: 'rest.error', method: 'POST', path: '/Calls', statuses: [500, 503], applied: true },
      { type: 'rest.error', method: 'POST', path: '/Participants', statuses: [500, 503], applied: true },
    ],
  },
  {
    id: 'twilio.lost-status',
    carrier: 'twilio',
    modes: BOTH,
    lossy: true,
    what: 'a status callback whose delivery failed (no retry without connection overrides)',
    permits: 'lost',
    basis: 'not excluded by docs',
    sources: ['https://twilio.com/docs/usage/webhooks/webhooks-connection-overrides (retries are opt-in)'],
    faults: [{ type: 'callback.drop', match: { kind: 'status' } }],
  },
  // ---- Plivo ----
  {
    id: 'plivo.dial-legs',
    carrier: 'plivo',
    modes: ['cold'],
    what: "`<Dial callbackUrl>` events (`DialAction` answer / hangup), the `<Dial action>` request, the caller's `hangup_url`",
    permits: 'any order, each up to 3 s late',
    basis: 'not excluded by docs',
    sources: [
      'https://docs.plivo.com/docs/voice/xml/dial',
      `${PROTOCOLS} §3.5 (callbackUrl params UNCONFIRMED)`,
    ],
    faults: [
      { type: 'callback.delay', match: { kind: 'dial', event: 'hangup' }, delayMs: [0, 3000] },
      { type: 'callback.delay', match: { kind: 'dial', event: 'answer' }, delayMs: [0, 3000] },
      { type: 'callback.delay', match: { kind: 'status' }, delayMs: [0, 3000] },
      { type: 'webhook.slow', match: { kind: 'action' }, delayMs: [0, 3000] },
    ],
  },
  {
    id: 'plivo.rest-overtaken',
    carrier: 'plivo',
    modes: BOTH,
    what: 'a call made or transferred by REST (`POST /Call/` answers `request_uuid` only; `POST /Call/{uuid}/`): its `ring_url` / `answer_url` / `hangup_url` and the REST answer',
    permits: 'callbacks before the REST answer (answer up to 2 s late)',
    basis: 'documented',
    sources: [
      'https://docs.plivo.com/docs/voice/api/call/make-a-call (the CallUUID arrives in callbacks)',
      `${PROTOCOLS} §3.4`,
    ],
    faults: [{ type: 'rest.slow', method: 'POST', path: '/Call/', delayMs: [0, 2000] }],
  },
  {
    id: 'plivo.conference-vs-rest',
    carrier: 'plivo',
    modes: ['warm'],
    what: "`<Conference callbackUrl>` enter / exit, the caller's transfer answer, the human's `hangup_url`",
    permits: 'any order, each up to 2 s late',
    basis: 'not excluded by docs',
    sources: ['https://docs.plivo.com/docs/voice/xml/conference', `${PROTOCOLS} §3.5-3.6`],
    faults: [
      { type: 'callback.delay', match: { kind: 'conference', event: 'enter' }, delayMs: [0, 2000] },
      { type: 'callback.delay', match: { kind: 'conference', event: 'exit' }, delayMs: [0, 2000] },
      { type: 'callback.delay', match: { kind: 'status', event: 'completed' }, delayMs: [0, 2000] },
    ],
  },
  {
    id: 'plivo.retries',
    carrier: 'plivo',
    modes: BOTH,
    what: '`hangup_url`, `ring_url`, `<Dial callbackUrl>`, `<Conference callbackUrl>` not answered 200 in time',
    permits: 'repeated (1–2 copies)',
    basis: 'documented',
    sources: ['https://docs.plivo.com/docs/voice/concepts/callback-configurations/ (automatic retries)'],
    faults: [
      { type: 'callback.duplicate', match: { kind: 'status' }, copies: [1, 2] },
      { type: 'callback.duplicate', match: { kind: 'dial' }, copies: [1, 2] },
      { type: 'callback.duplicate', match: { kind: 'conference' }, copies: [1, 2] },
    ],
  },
  {
    id: 'plivo.slow-fetch',
    carrier: 'plivo',
    modes: BOTH,
    what: 'XML fetches (`answer_url`, transfer URL, `<Dial action>`)',
    permits: 'sent up to 2 s late (inside the 2 s connect + 40 s read timeouts)',
    basis: 'documented',
    sources: ['https://docs.plivo.com/docs/voice/concepts/callback-configurations/ (timeouts)'],
    faults: [
      { type: 'webhook.slow', match: { kind: 'voice' }, delayMs: [0, 2000] },
      { type: 'webhook.slow', match: { kind: 'transfer' }, delayMs: [0, 2000] },
    ],
  },
  {
    id: 'plivo.rest-errors',
    carrier: 'plivo',
    modes: BOTH,
    what: 'REST requests (make call, transfer, hang up)',
    permits:
      "429, 500, 503 with Plivo's `{ api_id, error }` body; up to 4 requests in a row, at any point of the call",
    basis: 'not excluded by docs',
    sources: ['plivo-node lib/rest/axios.js (any non-2xx status is an error)', `${PROTOCOLS} §3.4`],
    faults: [
      {
        type: 'rest.error',
        method: 'POST',
        path: '/Call/',
        statuses: [429, 500, 503],
        inARow: [1, 4],
        after: [0, 6],
      },
    ],
  },
  {
    id: 'plivo.hangup-errors',
    carrier: 'plivo',
    modes: BOTH,
    what: "REST hang-ups (`DELETE /Call/{uuid}/`): a human's ringing leg cancelled, the caller's call ended",
    permits: '429, 500, 503 for up to 4 in a row: an edge that fails any request fails these too',
    basis: 'not excluded by docs',
    sources: ['plivo-node lib/rest/axios.js (any non-2xx status is an error)', `${PROTOCOLS} §3.4`],
    apart: true,
    faults: [
      { type: 'rest.error', method: 'DELETE', path: '/Call/', statuses: [429, 500, 503], inARow: [1, 4] },
    ],
  },
  {
    id: 'plivo.rest-errors-after-work',
    carrier: 'plivo',
    modes: BOTH,
    what: 'REST requests (make call, transfer) answered with a server error',
    permits: 'the request done and answered 500 or 503 all the same',
    basis: 'not excluded by docs',
    sources: [
      'plivo-node lib/rest/axios.js (any non-2xx status is an error; nothing says the request was undone)',
    ],
    faults: [{ type: 'rest.error', method: 'POST', path: '/Call/', statuses: [500, 503], applied: true }],
  },
  {
    id: 'plivo.lost-hangup',
    carrier: 'plivo',
    modes: BOTH,
    lossy: true,
    what: 'a `hangup_url` or `<Dial callbackUrl>` whose retries all failed',
    permits: 'lost',
    basis: 'not excluded by docs',
    sources: [
      'https://docs.plivo.com/docs/voice/concepts/callback-configurations/ (retries for a bounded timeframe)',
    ],
    faults: [
      { type: 'callback.drop', match: { kind: 'status' } },
      { type: 'callback.drop', match: { kind: 'dial' } },
    ],
  },
  // ---- Exotel ----
  {
    id: 'exotel.connect-vs-status',
    carrier: 'exotel',
    modes: BOTH,
    what: "the flow's StatusCallback and the Connect applet's end (its `Terminal` event, then the next applet)",
    permits: 'any order; the StatusCallback up to 10 s late',
    basis: 'documented',
    sources: [
      'https://developer.exotel.com/docs/voice-v1/api-reference/status-callback ("may be delayed")',
      `${PROTOCOLS} §4.5, §4.7`,
    ],
    faults: [
      { type: 'callback.delay', match: { kind: 'status' }, delayMs: [0, 10_000] },
      { type: 'callback.delay', match: { kind: 'connect-event', event: 'Terminal' }, delayMs: [0, 3000] },
    ],
  },
  {
    id: 'exotel.stream-then-applet',
    carrier: 'exotel',
    modes: BOTH,
    what: "the Voicebot stream's `stop` and the next applet (Passthru, Connect's Dial Whom fetch)",
    permits: "`stop` always first; the next applet's request up to 2 s late",
    basis: 'documented',
    sources: [
      'https://developer.exotel.com/docs/agentstream/stream-voicebot-applet (the stream closes before the next applet)',
      `${PROTOCOLS} §4.1`,
    ],
    faults: [
      { type: 'webhook.slow', match: { kind: 'passthru' }, delayMs: [0, 2000] },
      { type: 'webhook.slow', match: { kind: 'dial-whom' }, delayMs: [0, 2000] },
    ],
  },
  {
    id: 'exotel.retries',
    carrier: 'exotel',
    modes: BOTH,
    what: 'a StatusCallback not answered 200 within 15 s',
    permits: 'repeated (up to 2 retries)',
    basis: 'documented',
    sources: ['https://developer.exotel.com/docs/references/webhooks ("retry up to 2 times")'],
    faults: [{ type: 'callback.duplicate', match: { kind: 'status' }, copies: [1, 2] }],
  },
  {
    id: 'exotel.connect-events',
    carrier: 'exotel',
    modes: BOTH,
    what: 'Connect applet events (`Dial`, `Ringing`, `Answered`, `Terminal`) to its events URL',
    permits: 'late (up to 2 s), repeated',
    basis: 'not excluded by docs',
    sources: ['https://support.exotel.com/support/solutions/articles/3000106308', `${PROTOCOLS} §4.7`],
    faults: [
      { type: 'callback.delay', match: { kind: 'connect-event', event: 'Answered' }, delayMs: [0, 2000] },
      { type: 'callback.duplicate', match: { kind: 'connect-event' }, copies: [1, 1] },
    ],
  },
  {
    id: 'exotel.rest-errors',
    carrier: 'exotel',
    modes: BOTH,
    what: '`Calls/connect` (outbound calls)',
    permits: '429, 500, 503',
    basis: 'not excluded by docs',
    sources: ['https://developer.exotel.com/api/make-a-call-api', `${PROTOCOLS} §4.3`],
    faults: [{ type: 'rest.error', method: 'POST', path: '/Calls/connect', statuses: [429, 500, 503] }],
  },
  {
    id: 'exotel.lost-status',
    carrier: 'exotel',
    modes: BOTH,
    lossy: true,
    what: 'the StatusCallback',
    permits: 'lost ("may … fail"; use the Call Details API)',
    basis: 'documented',
    sources: ['https://developer.exotel.com/docs/voice-v1/api-reference/status-callback'],
    faults: [{ type: 'callback.drop', match: { kind: 'status' } }],
  },
];

/** The rows that apply to one carrier and mode. */
export function rowsFor(carrier: AdversaryCarrier, mode: AdversaryMode): OrderingRow[] {
  return ORDERING_TABLE.filter((r) => r.carrier === carrier && r.modes.includes(mode));
}
