/** The carrier simulator's public surface. See docs/simulator.md. */
export type { AudioSpec, FrameSource } from './audio.js';
export { FRAME_BYTES, SAMPLE_RATE, SIGNALS, SILENCE_FRAME, sourceFor } from './audio.js';
export type { Clock } from './clock.js';
export { FRAME_MS, systemClock } from './clock.js';
export type { SimCall } from './endpoints/caller.js';
export type { HumanBehaviour, HumanEndpoint } from './endpoints/human.js';
export { SimError } from './errors.js';
export type { FaultHandle, FaultRule, HookMatch } from './faults.js';
export type { CarrierFrontEnd, SimContext, SimHttpRequest, SimHttpResponse } from './front-end.js';
export type { AudioLabel, Heard, HeardSegment, SourcePattern } from './heard.js';
export type { Leg, LegEnd, LegEndStatus } from './leg.js';
export type { CallLog, SimLog, SimLogEntry } from './log.js';
export type { Network, NetworkOptions, PlaceCallOptions } from './network.js';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
