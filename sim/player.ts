/** Plays a generated or buffered frame source to one leg at real-time rate, labelled for the recording. */
import type { FrameSource } from './audio.js';
import type { Ticker } from './clock.js';
import type { AudioLabel } from './heard.js';
import type { Leg } from './leg.js';

export interface Playback {
  /** Resolves `true` when the source finished, `false` when stopped or the leg ended first. */
  readonly done: Promise<boolean>;
  stop(): void;
}

/** Starts playing `source` to `leg` on the next tick; stops on `signal`, on `stop()` or when the leg ends. */
export function play(
  ticker: Ticker,
  leg: Leg,
  label: AudioLabel,
  source: FrameSource,
  signal?: AbortSignal,
): Playback {
  let resolveDone!: (finished: boolean) => void;
  const done = new Promise<boolean>((r) => {
    resolveDone = r;
  });
  let active = true;
  const finish = (finished: boolean) => {
    if (!active) return;
    active = false;
    unsubscribe();
    signal?.removeEventListener('abort', onAbort);
    resolveDone(finished);
  };
  const onAbort = () => finish(false);
  const unsubscribe = ticker.add('produce', () => {
    if (leg.isEnded) {
      finish(false);
      return;
    }
    const frame = source.next();
    if (!frame) {
      finish(true);
      return;
    }
    leg.hear(label, frame);
  });
  if (signal?.aborted) finish(false);
  else signal?.addEventListener('abort', onAbort, { once: true });
  void leg.ended.then(() => finish(false));
  return { done, stop: () => finish(false) };
}
