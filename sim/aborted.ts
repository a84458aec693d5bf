/** Waiting on an `AbortSignal` beside a leg or a stream (`Promise.race`), as every front-end does. */

/** Resolves when `signal` aborts (at once if it has). */
export function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}
