/** Parameter parsing shared by the REST handlers and the TwiML verbs. */
import { PROGRESS_EVENTS, type ProgressEvent } from './call.js';
import type { Beep, ConferenceCallback } from './conference.js';

/** Call-progress events from a repeated (REST) or space-separated (TwiML) list; default `completed`. */
export function parseProgressEvents(values: readonly string[]): Set<ProgressEvent> {
  const events = new Set<ProgressEvent>();
  for (const v of values) {
    for (const word of v.split(/\s+/)) {
      if ((PROGRESS_EVENTS as readonly string[]).includes(word)) events.add(word as ProgressEvent);
    }
  }
  if (events.size === 0) events.add('completed');
  return events;
}

const CONFERENCE_EVENTS = new Set([
  'start',
  'end',
  'join',
  'leave',
  'mute',
  'hold',
  'modify',
  'speaker',
  'announcement',
]);

/** Conference callback events (`start end join …`); default `start end`. */
export function parseConferenceEvents(values: readonly string[]): Set<string> {
  const events = new Set<string>();
  for (const v of values)
    for (const word of v.split(/\s+/)) if (CONFERENCE_EVENTS.has(word)) events.add(word);
  if (events.size === 0) {
    events.add('start');
    events.add('end');
  }
  return events;
}

export function conferenceCallback(
  url: string | undefined,
  method: string | undefined,
  events: readonly string[],
): ConferenceCallback | undefined {
  if (!url) return undefined;
  return {
    url,
    method: method?.toUpperCase() === 'GET' ? 'GET' : 'POST',
    events: parseConferenceEvents(events),
  };
}

export function parseBeep(raw: string | undefined): Beep {
  return raw === 'false' || raw === 'onEnter' || raw === 'onExit' ? raw : 'true';
}

export function httpMethod(raw: string | undefined, fallback: 'GET' | 'POST'): 'GET' | 'POST' {
  const v = raw?.toUpperCase();
  return v === 'GET' ? 'GET' : v === 'POST' ? 'POST' : fallback;
}

/** An absolute http(s) URL, or undefined. */
export function isHttpUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** E.164, a SIP URI or a client identifier. */
export function isDialable(raw: string): boolean {
  return /^\+[1-9]\d{1,14}$/.test(raw) || /^sips?:[^@\s]+@\S+$/.test(raw) || /^client:\S+$/.test(raw);
}
