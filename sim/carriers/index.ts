/**
 * Every simulated carrier, one line each, as providers/index.ts lists the adapters. Adding a
 * carrier's simulator: a folder under sim/carriers/ (importing only sim/, providers/types, node:
 * and the carrier's official SDK — never adapter code; test/sim/carrier-imports.test.ts checks)
 * with a {@link CarrierSimulator}, and a line here. The core, the scenario file, `npm run sim` and
 * the end-to-end harness pick it up from this list.
 */
import type { CarrierSimulator } from '../carrier-simulator.js';
import { exotelSimulator } from './exotel/simulator.js';
import { plivoSimulator } from './plivo/simulator.js';
import { twilioSimulator } from './twilio/simulator.js';

export const CARRIER_SIMULATORS = Object.freeze([twilioSimulator, plivoSimulator, exotelSimulator] as const);

type Registered = (typeof CARRIER_SIMULATORS)[number];
type Parts<S> =
  S extends CarrierSimulator<infer C, infer O, infer F, infer P>
    ? { carrier: C; options: O; frontEnd: F; section: P }
    : never;

/** A simulated carrier's name: `twilio`, `plivo`, … */
export type SimCarrier = Registered['carrier'];
/** Each carrier's front-end, by name (`sim.twilio`, `sim.plivo`, …). */
export type CarrierFrontEnds = { readonly [S in Registered as S['carrier']]: Parts<S>['frontEnd'] };
/** Each carrier's front-end options, by name. */
export type CarrierOptions = { readonly [S in Registered as S['carrier']]?: Parts<S>['options'] };
/** Each carrier's parsed scenario section, by name. */
export type CarrierScenarios = { readonly [S in Registered as S['carrier']]: Parts<S>['section'] };

/** The registered carriers' names, in registry order. */
export const SIM_CARRIERS: readonly SimCarrier[] = CARRIER_SIMULATORS.map((s) => s.carrier);
