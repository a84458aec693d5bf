/**
 * What one carrier's simulator registers with the core (sim/carriers/index.ts lists them): how
 * to build its front-end, its section of a scenario file and of the `npm run sim` command line,
 * and how a number is pointed at a daemon the way the carrier's setup guide (docs/<carrier>.md)
 * has users do it. The core (simulator.ts, scenario.ts, main.ts) and the end-to-end harness go
 * through this and name no carrier.
 */
import type { z } from 'zod';
import type { CarrierFrontEnd, SimContext } from './front-end.js';

/** Parsed `npm run sim` flag values (node:util `parseArgs`). */
export type CliValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

/** One `parseArgs` option: a string flag, repeatable or not. */
export interface CliFlag {
  readonly type: 'string';
  readonly multiple?: boolean;
}

/**
 * A carrier simulator. `C` its name (`placeCall({ carrier })`, the scenario key), `O` its
 * front-end options, `F` its front-end, `S` its parsed scenario section.
 */
export interface CarrierSimulator<
  C extends string = string,
  O extends object = object,
  F extends CarrierFrontEnd = CarrierFrontEnd,
  S = unknown,
> {
  readonly carrier: C;
  create(ctx: SimContext, options?: O): F;
  /** The scenario file's section for this carrier (credentials, options, numbers), defaults applied. */
  readonly scenarioSchema: z.ZodType<S>;
  /** The front-end options a scenario section asks for. */
  optionsFrom(section: S): O;
  /** Configures the section's numbers on a started front-end. */
  configure(frontEnd: F, section: S): void;
  /** `npm run sim` flags of this carrier, by name. */
  readonly cliFlags: Readonly<Record<string, CliFlag>>;
  /** The usage line for {@link cliFlags}. */
  readonly cliUsage: string;
  /** The raw scenario section with the flags in `values` merged in (validated again afterwards). */
  applyFlags(section: S, values: CliValues): unknown;
  /** Points `number` at the daemon at `daemonUrl` as docs/<carrier>.md has users set it up. */
  connectNumber(frontEnd: F, number: string, daemonUrl: string): void;
  /** The daemon environment that makes it use this front-end at `simUrl` (credentials, API base). */
  daemonEnv(frontEnd: F, simUrl: string): Record<string, string>;
  /** What `npm run sim` prints about this front-end when ready (credentials, numbers). */
  describe(frontEnd: F, section: S, simUrl: string): Record<string, unknown>;
}

/** Any registered simulator, its types widened (methods are checked bivariantly). */
export type AnyCarrierSimulator = CarrierSimulator<string, object, CarrierFrontEnd, unknown>;

/** Declares a simulator with its types inferred (for the registry's mapped types). */
export function defineCarrierSimulator<C extends string, O extends object, F extends CarrierFrontEnd, S>(
  simulator: CarrierSimulator<C, O, F, S>,
): CarrierSimulator<C, O, F, S> {
  return Object.freeze(simulator);
}

/** `KEY=VALUE` flag values → pairs; throws on a value without `=`. */
export function flagPairs(values: CliValues, flag: string): Array<[string, string]> {
  const raw = values[flag];
  const list = Array.isArray(raw) ? raw : [];
  return list.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new Error(`expected KEY=VALUE, got '${v}'`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

/** `{ [key]: value }` when the flag was given, else `{}`. */
export function stringFlag(values: CliValues, flag: string, key: string): Record<string, string> {
  const v = values[flag];
  return typeof v === 'string' ? { [key]: v } : {};
}

/** `o` without its undefined entries. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
