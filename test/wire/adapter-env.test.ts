/**
 * Every registered adapter reads its own environment variables through its env schema
 * (providers/<carrier>/env.ts): named after the carrier, absent means "not configured", part of
 * the required set is an issue naming each one missing.
 */
import { describe, expect, it } from 'vitest';
import { CARRIER_ADAPTERS } from '../../providers/index.js';
import type { CarrierAdapterFactory } from '../../providers/types.js';

const factories: readonly CarrierAdapterFactory[] = CARRIER_ADAPTERS;

describe.each(factories.map((f) => ({ carrier: f.carrier, factory: f })))(
  '$carrier env schema',
  ({ carrier, factory }) => {
    it("names only variables of its own carrier's", () => {
      expect(factory.env.variables.length).toBeGreaterThan(0);
      for (const variable of factory.env.variables)
        expect(variable.startsWith(`${carrier.toUpperCase()}_`)).toBe(true);
    });

    it('an environment without its variables: not configured, no issue', () => {
      expect(factory.env.parse({ PORT: '8080' })).toEqual({ issues: [] });
    });

    it('one variable alone: not configured, and issues named by its variables', () => {
      const [first] = factory.env.variables;
      const result = factory.env.parse({ [first ?? '']: 'x' });
      expect(result.settings).toBeUndefined();
      expect(result.issues.length).toBeGreaterThan(0);
      for (const issue of result.issues) {
        expect(factory.env.variables).toContain(issue.variable);
      }
    });
  },
);
