/**
 * The standalone simulator's scenario file (JSON or YAML), validated with every problem listed:
 * each registered carrier's section (credentials, options, numbers: sim/carriers/<carrier>/
 * scenario.ts), humans, and calls. See docs/simulator.md for an example per carrier.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AudioSpec } from './audio.js';
import { type AnyCarrierSimulator, defined } from './carrier-simulator.js';
import {
  CARRIER_SIMULATORS,
  type CarrierScenarios,
  SIM_CARRIERS,
  type SimCarrier,
} from './carriers/index.js';
import type { HumanBehaviour } from './endpoints/human.js';
import { SimError } from './errors.js';
import type { CarrierFrontEnd } from './front-end.js';
import type { Simulator, SimulatorOptions } from './simulator.js';

/** The carriers a call can be placed on (each front-end's `carrier`). */
export const carrierSchema = z.enum(SIM_CARRIERS as [SimCarrier, ...SimCarrier[]]);

const ms = z.number().int().nonnegative();

export const audioSpecSchema: z.ZodType<AudioSpec> = z.union([
  z.object({
    type: z.literal('tone'),
    hz: z.number().positive().optional(),
    amplitude: z.number().min(0).max(1).optional(),
    durationMs: ms.optional(),
  }),
  z.object({ type: z.literal('silence'), durationMs: ms.optional() }),
]);

export const humanBehaviourSchema: z.ZodType<HumanBehaviour> = z.union([
  z.object({
    type: z.literal('answer'),
    afterMs: ms.optional(),
    ringAfterMs: ms.optional(),
    hangupAfterMs: ms.optional(),
    hangupDuringWhisper: z.union([z.boolean(), z.object({ afterMs: ms })]).optional(),
    speak: audioSpecSchema.optional(),
    speakAfterMs: ms.optional(),
  }),
  z.object({ type: z.literal('busy'), afterMs: ms.optional() }),
  z.object({ type: z.literal('no-answer'), ringAfterMs: ms.optional() }),
  z.object({ type: z.literal('fail'), afterMs: ms.optional(), sipCode: z.number().int().optional() }),
  z.object({ type: z.literal('reject'), afterMs: ms.optional() }),
]);

/** The parts of a scenario no carrier owns. */
const coreScenarioSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4010),
    keepAudio: z.boolean().default(true),
    humans: z.record(z.string(), humanBehaviourSchema).default({}),
    unknownNumber: humanBehaviourSchema.optional(),
    calls: z
      .array(
        z.object({
          carrier: carrierSchema.default(SIM_CARRIERS[0] as SimCarrier),
          from: z.string().min(1),
          to: z.string().min(1),
          /** Place the call this long after start. */
          atMs: ms.default(0),
          audio: audioSpecSchema.optional(),
          hangupAfterMs: ms.optional(),
        }),
      )
      .default([]),
  })
  .strict();

/** The whole scenario: the core's fields and each registered carrier's section under its name. */
export const scenarioSchema = coreScenarioSchema.extend(
  Object.fromEntries(CARRIER_SIMULATORS.map((s: AnyCarrierSimulator) => [s.carrier, s.scenarioSchema])),
);

export type Scenario = z.output<typeof coreScenarioSchema> & CarrierScenarios;

/** Parses a scenario from JSON or YAML text; throws `sim.bad_scenario` listing every problem. */
export function parseScenario(text: string): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (cause) {
    throw new SimError('sim.bad_scenario', `scenario is neither JSON nor YAML: ${String(cause)}`, { cause });
  }
  const result = scenarioSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SimError('sim.bad_scenario', `invalid scenario:\n  ${problems.join('\n  ')}`);
  }
  return result.data as Scenario;
}

/** The options `startSimulator` takes for a scenario: every carrier's credentials and options. */
export function simulatorOptions(scenario: Scenario): SimulatorOptions {
  const carriers = Object.fromEntries(
    CARRIER_SIMULATORS.map((s: AnyCarrierSimulator) => [s.carrier, s.optionsFrom(sectionOf(scenario, s))]),
  );
  return {
    ...carriers,
    host: scenario.host,
    port: scenario.port,
    network: defined({ keepAudio: scenario.keepAudio, unknownNumber: scenario.unknownNumber }),
  };
}

/** `scenario`'s section for carrier simulator `s`. */
export function sectionOf(scenario: Scenario, s: AnyCarrierSimulator): unknown {
  return (scenario as unknown as Readonly<Record<string, unknown>>)[s.carrier];
}

/** `sim`'s front-end for carrier simulator `s`. */
export function frontEndOf(sim: Simulator, s: AnyCarrierSimulator): CarrierFrontEnd {
  const frontEnd = sim.frontEnds.find((f) => f.carrier === s.carrier);
  if (frontEnd === undefined) throw new SimError('sim.no_front_end', `no front-end for ${s.carrier}`);
  return frontEnd;
}

/**
 * Configures a started simulator as `scenario` says: every carrier's numbers, the humans, and
 * the calls on their schedule. Returns a function that cancels the calls not placed yet.
 */
export function configureScenario(sim: Simulator, scenario: Scenario): () => void {
  for (const s of CARRIER_SIMULATORS as readonly AnyCarrierSimulator[])
    s.configure(frontEndOf(sim, s), sectionOf(scenario, s));
  for (const [address, behaviour] of Object.entries(scenario.humans))
    sim.network.addHuman(address, behaviour);
  const timers = scenario.calls.map((c) =>
    sim.time.setTimeout(() => {
      void sim.network
        .placeCall({
          carrier: c.carrier,
          from: c.from,
          to: c.to,
          ...(c.audio === undefined ? {} : { audio: c.audio }),
          ...(c.hangupAfterMs === undefined ? {} : { hangupAfterMs: c.hangupAfterMs }),
        })
        .catch((err: unknown) =>
          sim.log.add({}, { type: 'sim.error', code: 'sim.place_call', message: String(err) }),
        );
    }, c.atMs),
  );
  return () => {
    for (const t of timers) sim.time.clearTimeout(t);
  };
}
