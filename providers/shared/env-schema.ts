import { isKnownRegion } from '../../src/phone/destination.js';
import type {
  CarrierCredentialSet,
  CarrierEnvSchema,
  CarrierEnvSettings,
  EnvIssue,
  EnvVars,
} from '../types.js';

/**
 * Builds a carrier's {@link CarrierEnvSchema} from its variables (docs/configuration.md): the
 * credentials it needs all of, optional ones, its REST base and its number region. Each value is
 * checked on its own; a carrier with some but not all of its required variables is an issue for
 * each one missing. The values are never logged.
 */

/** One variable and the credentials field it fills. */
export interface EnvField<K extends string = string> {
  readonly variable: string;
  readonly field: K;
  /** Why the value is refused, or undefined when it is fine. */
  readonly check?: (value: string) => string | undefined;
}

export interface CarrierEnvSpec {
  /** Set together or not at all; the carrier is configured when all are set. */
  readonly required: readonly EnvField[];
  readonly optional?: readonly EnvField[];
  /** The REST base variable and the carrier's own base. */
  readonly apiBase: { readonly variable: string; readonly default: string };
  /** The variable naming the region its national-format numbers are read in. */
  readonly numberRegion: string;
}

export function carrierEnvSchema<C extends CarrierCredentialSet>(spec: CarrierEnvSpec): CarrierEnvSchema<C> {
  const optional = spec.optional ?? [];
  return Object.freeze({
    variables: [
      ...spec.required.map((f) => f.variable),
      ...optional.map((f) => f.variable),
      spec.apiBase.variable,
      spec.numberRegion,
    ],
    parse(env: EnvVars) {
      const issues: EnvIssue[] = [];
      const read = (f: EnvField): string | undefined => {
        const value = env[f.variable];
        if (value === undefined) return undefined;
        const problem = f.check?.(value);
        if (problem === undefined) return value;
        issues.push({ variable: f.variable, message: problem });
        return undefined;
      };
      const apiBase = read({ variable: spec.apiBase.variable, field: 'apiBase', check: httpUrlProblem });
      const region = read({ variable: spec.numberRegion, field: 'numberRegion', check: regionProblem });
      const credentials: Record<string, string> = {};
      for (const f of [...spec.required, ...optional]) {
        const value = read(f);
        if (value !== undefined) credentials[f.field] = value;
      }
      const present = spec.required.filter((f) => env[f.variable] !== undefined);
      if (present.length < spec.required.length) {
        const others = [
          ...present.map((f) => f.variable),
          ...[spec.apiBase.variable, ...optional.map((f) => f.variable)].filter((v) => env[v] !== undefined),
        ];
        if (others.length > 0)
          for (const f of spec.required)
            if (env[f.variable] === undefined)
              issues.push({ variable: f.variable, message: `is required when ${others.join(', ')} is set` });
        return { issues };
      }
      if (spec.required.some((f) => credentials[f.field] === undefined)) return { issues };
      const settings: CarrierEnvSettings<C> = {
        credentials: credentials as unknown as C,
        apiBase: (apiBase ?? spec.apiBase.default).replace(/\/+$/, ''),
        ...(region === undefined ? {} : { numberRegion: region.toUpperCase() }),
      };
      return { settings, issues };
    },
  });
}

function httpUrlProblem(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // reported below
  }
  return 'must be an http:// or https:// URL';
}

function regionProblem(value: string): string | undefined {
  return isKnownRegion(value.toUpperCase())
    ? undefined
    : 'must be an ISO 3166-1 alpha-2 country code such as US';
}

/** A check from a pattern: `message` when `value` does not match. */
export function matches(pattern: RegExp, message: string): (value: string) => string | undefined {
  return (value) => (pattern.test(value) ? undefined : message);
}
