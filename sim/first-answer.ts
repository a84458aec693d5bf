/**
 * Parallel dialing, as `<Dial>` with several targets does on Twilio and Plivo: every child leg
 * rings at once and the first to answer wins.
 */
import type { Leg } from './leg.js';

/** Resolves with the first child to answer, or undefined once all have ended or on abort. */
export function firstAnswer<T extends { readonly leg: Leg }>(
  children: T[],
  signal: AbortSignal,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const offs: Array<() => void> = [];
    const done = (winner: T | undefined) => {
      for (const off of offs) off();
      signal.removeEventListener('abort', onAbort);
      resolve(winner);
    };
    const onAbort = () => done(undefined);
    if (signal.aborted) return done(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    let ended = 0;
    for (const child of children) {
      if (child.leg.state === 'answered') return done(child);
      offs.push(
        child.leg.on((e) => {
          if (e.type === 'leg.answered') done(child);
          else if (e.type === 'leg.ended' && ++ended === children.length) done(undefined);
        }),
      );
      if (child.leg.isEnded && ++ended === children.length) return done(undefined);
    }
  });
}
