/**
 * Keys a carrier dials on a call once it is answered (Twilio `SendDigits`, Plivo `send_digits`):
 * each key a 100 ms tone heard by the callee as `digits` (its `text` the key), 100 ms apart; `w`
 * waits half a second (and Plivo's `W` a second). Carrier-neutral: each front-end checks the
 * characters its carrier accepts.
 */
import { FRAME_BYTES, sourceFor } from './audio.js';
import type { Timers } from './clock.js';
import type { Leg } from './leg.js';

const KEY_MS = 100;
const GAP_MS = 100;
/** The DTMF row tone of each key (the column tone is left out: the record keeps the key itself). */
const ROW_HZ: Readonly<Record<string, number>> = {
  '1': 697,
  '2': 697,
  '3': 697,
  '4': 770,
  '5': 770,
  '6': 770,
  '7': 852,
  '8': 852,
  '9': 852,
  '*': 941,
  '0': 941,
  '#': 941,
};

/** Plays `digits` to the callee of `leg`; resolves once the last key (or pause) is over. */
export async function playDigits(leg: Leg, digits: string, timers: Timers): Promise<void> {
  const wait = (ms: number) => new Promise<void>((resolve) => timers.after(ms, resolve));
  for (const key of digits) {
    if (leg.isEnded) return;
    if (key === 'w') await wait(500);
    else if (key === 'W') await wait(1000);
    else {
      const source = sourceFor({ type: 'tone', hz: ROW_HZ[key] ?? 941, durationMs: KEY_MS });
      for (
        let frame = source.next();
        frame !== undefined && frame.length === FRAME_BYTES;
        frame = source.next()
      )
        leg.hear({ source: 'digits', text: key }, frame);
      await wait(KEY_MS + GAP_MS);
    }
  }
}
