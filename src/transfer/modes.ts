import type { TransferMode } from '../domain/outcome.js';
import { agenticMode } from './agentic.js';
import { coldMode } from './cold.js';
import { ModeRegistry } from './mode.js';
import { warmMode } from './warm.js';

/**
 * The daemon's transfer modes: one line each. A mode is one file exporting its descriptor
 * (mode.ts `defineMode`); the runtime, the agent protocol and the API know modes only from here.
 */
export const TRANSFER_MODES = new ModeRegistry([coldMode, warmMode, agenticMode]);

/** The modes' names, for the schemas that accept a mode (agent protocol, API). */
export const TRANSFER_MODE_NAMES = TRANSFER_MODES.names() as readonly [TransferMode, ...TransferMode[]];
