/**
 * Time as the media path sees it: the clock and timers of src/lib/time.ts. Injected so tests
 * pass a fake clock instead of patching global timers (STYLE.md 10).
 */
import { backgroundTime, type Clock, type Timers } from '../lib/time.js';

export type { Clock, Timers } from '../lib/time.js';

export const systemClock: Clock = backgroundTime;

/** A pending pump or flush must never keep the process alive on its own. */
export const systemTimers: Timers = backgroundTime;
