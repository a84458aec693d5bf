/** The Plivo front-end of the carrier simulator. See docs/simulator.md and docs/plivo.md. */
export type { PlivoCall, PlivoCallStatus, PlivoDirection } from './call.js';
export type { PlivoConference, PlivoMember } from './conference.js';
export { PlivoFrontEnd } from './front-end.js';
export { buildRequest as buildPlivoCallback } from './hooks.js';
export type { PlivoAudioStream, StreamEnd, StreamStats } from './media-stream.js';
export type { CallbackActionNames, PlivoNumberConfig, PlivoSimulatorOptions } from './options.js';
export { decodeServerMessage, type ServerMessage, type StreamFormat } from './stream-messages.js';
export { PLIVO_ELEMENTS, PlivoXmlError, parsePlivoXml } from './xml.js';
