/** The carrier simulator's public surface. See docs/simulator.md. */
export {
  type AdversityOptions,
  type AdversityPlan,
  type AgentAdversity,
  type AppliedAdversity,
  adversityFor,
  applyAdversity,
  explainRule,
  type PlannedFault,
} from './adversary/adversary.js';
export { ORDERING_TABLE, type OrderingRow } from './adversary/table.js';
export type { AudioSpec, FrameSource } from './audio.js';
export { FRAME_BYTES, SAMPLE_RATE, SIGNALS, SILENCE_FRAME, sourceFor } from './audio.js';
export type { Clock } from './clock.js';
export { FRAME_MS, systemClock } from './clock.js';
export type { SimCall } from './endpoints/caller.js';
export type { HumanBehaviour, HumanEndpoint } from './endpoints/human.js';
export { SimError } from './errors.js';
export type { CallerHangupPhase, FaultHandle, FaultRule, HangupPhase, HookMatch } from './faults.js';
export type { CarrierFrontEnd, SimContext, SimHttpRequest, SimHttpResponse } from './front-end.js';
export type { AudioLabel, Heard, HeardSegment, SourcePattern } from './heard.js';
export type { Leg, LegEnd, LegEndStatus } from './leg.js';
export type { CallLog, SimLog, SimLogEntry } from './log.js';
export type { Network, NetworkOptions, PlaceCallOptions } from './network.js';
export { type Simulator, type SimulatorOptions, startSimulator } from './simulator.js';
