/** The Exotel front-end of the carrier simulator. See docs/simulator.md and docs/exotel.md. */
export type { DialFacts, ExotelCall, ExotelCallStatus, ExotelDirection, StreamFacts } from './call.js';
export { ExotelFrontEnd } from './front-end.js';
export type { ExotelApplet, ExotelNumberConfig, ExotelSimulatorOptions } from './options.js';
export { type BotMessage, decodeBotMessage } from './stream-messages.js';
export type { ExotelVoicebotStream, VoicebotEnd, VoicebotEndReason, VoicebotStats } from './voicebot.js';
