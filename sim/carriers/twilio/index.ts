/** The Twilio front-end of the carrier simulator. See docs/simulator.md. */
export type { TwilioCall, TwilioCallStatus, TwilioDirection } from './call.js';
export type { TwilioConference } from './conference.js';
export { TWILIO_ERRORS } from './errors.js';
export { TwilioFrontEnd } from './front-end.js';
export type { StreamEnd, StreamStats, TwilioMediaStream } from './media-stream.js';
export type { TwilioNumberConfig, TwilioSimulatorOptions } from './options.js';
export type { TwilioParticipant } from './participant.js';
export { twilioSignature } from './signature.js';
export { decodeServerMessage, type ServerMessage } from './stream-messages.js';
export { parseTwiml, type TwimlElement, TwimlParseError } from './twiml-parser.js';
export { APPLICATION_ERROR_TEXT } from './twiml-runner.js';
