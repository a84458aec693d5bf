import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AGENT_ACCEPT_MARGIN_MS,
  adversityFor,
  applyAdversity,
  explainRule,
} from '../../sim/adversary/adversary.js';
import { renderOrderingTables } from '../../sim/adversary/render.js';
import { ADVERSARY_CARRIERS, ADVERSARY_MODES, ORDERING_TABLE, rowsFor } from '../../sim/adversary/table.js';
import { type Simulator, startSimulator } from '../../sim/index.js';

const COMBOS = ADVERSARY_CARRIERS.flatMap((carrier) => ADVERSARY_MODES.map((mode) => ({ carrier, mode })));

describe('the seeded adversary', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('gives the same plan for the same seed, and the plan survives JSON', () => {
    for (const opts of COMBOS) {
      for (const seed of [0, 1, 42, 0xdeadbeef]) {
        const a = adversityFor(seed, opts);
        expect(adversityFor(seed, opts)).toEqual(a);
        expect(JSON.parse(JSON.stringify(a))).toEqual(a);
      }
    }
  });

  it('gives different plans for different seeds', () => {
    const plans = new Set<string>();
    for (let seed = 0; seed < 100; seed++)
      plans.add(JSON.stringify(adversityFor(seed, { carrier: 'twilio', mode: 'warm' })));
    expect(plans.size).toBeGreaterThan(95);
  });

  it('over 1000 seeds draws only what the table permits, and reaches every row', () => {
    for (const opts of COMBOS) {
      for (const lossy of [false, true]) {
        const reached = new Set<string>();
        for (let seed = 0; seed < 1000; seed++) {
          const plan = adversityFor(seed, { ...opts, lossy });
          for (const f of plan.faults) {
            const allowedBy = explainRule(f.rule, { ...opts, lossy });
            expect(allowedBy, `seed ${seed} ${JSON.stringify(f)}`).toBe(f.source);
            reached.add(f.source);
            if (!lossy) expect(f.rule.type).not.toBe('callback.drop');
          }
          expect(plan.agent.acceptDelayMs).toBeGreaterThanOrEqual(0);
          expect(plan.agent.acceptDelayMs).toBeLessThanOrEqual(5000 - AGENT_ACCEPT_MARGIN_MS);
        }
        const rows = rowsFor(opts.carrier, opts.mode).filter((r) => lossy || !r.lossy);
        for (const row of rows)
          expect(reached, `${opts.carrier}/${opts.mode} row ${row.id}`).toContain(row.id);
      }
    }
  });

  it('refuses what no row permits', () => {
    const exotel = { carrier: 'exotel', mode: 'cold' } as const;
    const twilioCold = { carrier: 'twilio', mode: 'cold' } as const;
    // Exotel has no REST answer racing its callbacks.
    expect(
      explainRule({ type: 'rest.slow', method: 'POST', path: '/Calls.json', delayMs: 10 }, exotel),
    ).toBeUndefined();
    // Loss only when asked for.
    expect(explainRule({ type: 'callback.drop', match: { kind: 'status' } }, twilioCold)).toBeUndefined();
    expect(
      explainRule({ type: 'callback.drop', match: { kind: 'status' } }, { ...twilioCold, lossy: true }),
    ).toBe('twilio.lost-status');
    // Beyond a row's bound.
    expect(
      explainRule(
        { type: 'callback.delay', match: { kind: 'status', event: 'completed' }, delayMs: 3001 },
        twilioCold,
      ),
    ).toBeUndefined();
    // A Twilio error status it has no body for.
    expect(
      explainRule({ type: 'rest.error', method: 'POST', path: '/Calls', status: 418 }, twilioCold),
    ).toBeUndefined();
    // Conference rows are warm only.
    expect(
      explainRule(
        { type: 'callback.delay', match: { kind: 'conference', event: 'participant-join' }, delayMs: 5 },
        twilioCold,
      ),
    ).toBeUndefined();
  });

  it('draws agent accept latency up to the given connect timeout, less the upgrade’s margin', () => {
    let max = 0;
    for (let seed = 0; seed < 500; seed++) {
      const { agent } = adversityFor(seed, { carrier: 'plivo', mode: 'cold', agentConnectTimeoutMs: 800 });
      expect(agent.acceptDelayMs).toBeLessThanOrEqual(800 - AGENT_ACCEPT_MARGIN_MS);
      max = Math.max(max, agent.acceptDelayMs);
    }
    expect(max).toBeGreaterThan(800 - AGENT_ACCEPT_MARGIN_MS - 100);
  });

  it('installs a plan on a running simulator and re-scripts the destination', async () => {
    sim = await startSimulator();
    const seed = [...Array(200).keys()].find(
      (s) => adversityFor(s, { carrier: 'twilio', mode: 'warm' }).faults.length >= 3,
    );
    expect(seed).toBeDefined();
    const plan = adversityFor(seed as number, { carrier: 'twilio', mode: 'warm' });
    const applied = applyAdversity(sim, plan, { humans: ['+15558880001'] });
    expect(sim.faults.list().map((h) => h.rule)).toEqual(plan.faults.map((f) => f.rule));
    expect(sim.network.endpoint('+15558880001').behaviour).toEqual(plan.human);
    applied.remove();
    expect(sim.faults.list()).toEqual([]);
  });

  it("matches only kinds, events and REST paths its carrier's front-end really has", async () => {
    for (const carrier of ADVERSARY_CARRIERS) {
      const dir = new URL(`../../sim/carriers/${carrier}/`, import.meta.url);
      const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts'));
      const source = (await Promise.all(files.map((f) => readFile(new URL(f, dir), 'utf8')))).join('\n');
      for (const row of ORDERING_TABLE.filter((r) => r.carrier === carrier)) {
        for (const t of row.faults) {
          if ('match' in t) {
            if (t.match.kind !== undefined)
              expect(source, `${row.id} kind`).toContain(`kind: '${t.match.kind}'`);
            if (t.match.event !== undefined)
              expect(source, `${row.id} event`).toContain(`'${t.match.event}'`);
          } else {
            const segment = t.path.split('/').filter(Boolean)[0] ?? '';
            expect(source, `${row.id} path`).toContain(segment.replace('.json', ''));
          }
        }
      }
    }
  });

  it('docs/simulator.md holds the table as generated from sim/adversary/table.ts', async () => {
    const doc = await readFile(new URL('../../docs/simulator.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderOrderingTables());
    expect(new Set(ORDERING_TABLE.map((r) => r.id)).size).toBe(ORDERING_TABLE.length);
  });
});
