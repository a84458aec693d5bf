import { coldMode } from './cold.js';
import { ModeRegistry } from './mode.js';
import { warmMode } from './warm.js';

/**
 * The daemon's transfer modes: one line each. A mode is one file exporting its descriptor
 * (mode.ts `defineMode`); the runtime, the agent protocol and the API know modes only from here.
 */
export const TRANSFER_MODES = new ModeRegistry([coldMode, warmMode]);
