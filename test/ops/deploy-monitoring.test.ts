import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { Metrics } from '../../src/ops/metrics.js';
import { startApiApp } from '../api/support.js';
import { parsePrometheus, sampleValue } from './prom-text.js';

/**
 * deploy/grafana/patchthrough.json and deploy/prometheus/patchthrough-rules.yml: the rules loaded
 * and unit-tested by Prometheus's own `promtool`, the dashboard by a schema, and every
 * expression of both read only metrics the daemon exports (scraped from its /metrics).
 */

const DASHBOARD = 'deploy/grafana/patchthrough.json';
const RULES = 'deploy/prometheus/patchthrough-rules.yml';
const RULE_TESTS = 'deploy/prometheus/patchthrough-rules.test.yml';

const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** Grafana's import placeholder for the Prometheus data source. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own placeholder, not a JS template
const DS_UID = '${DS_PROMETHEUS}';
const datasource = z.strictObject({ type: z.literal('prometheus'), uid: z.literal(DS_UID) });
const gridPos = z
  .strictObject({
    h: z.number().int().min(1),
    w: z.number().int().min(1).max(24),
    x: z.number().int().min(0),
    y: z.number().int().min(0),
  })
  .refine((g) => g.x + g.w <= 24, 'a panel must fit the 24 columns');
const rowPanel = z.object({
  id: z.number().int(),
  type: z.literal('row'),
  title: z.string().min(1),
  gridPos,
  panels: z.array(z.unknown()),
});
const queryPanel = z.object({
  id: z.number().int(),
  type: z.enum(['timeseries', 'stat']),
  title: z.string().min(1),
  datasource,
  gridPos,
  fieldConfig: z.object({ defaults: z.object({ unit: z.string() }), overrides: z.array(z.unknown()) }),
  targets: z
    .array(
      z.strictObject({
        refId: z.string().regex(/^[A-Z]$/),
        datasource,
        expr: z.string().min(1),
        legendFormat: z.string(),
      }),
    )
    .min(1),
});
const dashboardSchema = z.object({
  __inputs: z
    .array(
      z.object({
        name: z.literal('DS_PROMETHEUS'),
        type: z.literal('datasource'),
        pluginId: z.literal('prometheus'),
      }),
    )
    .length(1),
  uid: z.string().regex(/^[a-z0-9-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  time: z.object({ from: z.string(), to: z.string() }),
  panels: z
    .array(
      z.discriminatedUnion('type', [
        rowPanel,
        queryPanel.extend({ type: z.literal('timeseries') }),
        queryPanel.extend({ type: z.literal('stat') }),
      ]),
    )
    .min(1),
});

const rulesSchema = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z
        .array(
          z.object({
            alert: z.string().min(1),
            expr: z.string().min(1),
            labels: z.object({ severity: z.enum(['warning', 'critical']) }),
          }),
        )
        .min(1),
    }),
  ),
});

/** Metric names an expression reads (ours and Node's). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:patchthrough|nodejs)_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

/** `# TYPE name kind` families of a scrape, with the series names each one exposes. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, kind] = m as unknown as [string, string, string];
    names.add(name);
    if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

async function scrapeNames(): Promise<Set<string>> {
  const h = await startApiApp();
  try {
    const res = await h.app.http.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return exposedNames(res.body);
  } finally {
    await h.close();
  }
}

describe('monitoring shipped in deploy/', () => {
  it('promtool loads the alert rules and their unit tests pass', (ctx) => {
    if (!hasPromtool) {
      // Skipped here only because CI installs it: .ci/run must keep doing so.
      expect(readFileSync('.ci/run', 'utf8')).toMatch(/apt-get install[^\n]* prometheus/);
      ctx.skip();
    }
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('SUCCESS: 6 rules found');
    const unit = spawnSync('promtool', ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  });

  it('the rules cover what an operator must hear about', () => {
    const rules = rulesSchema.parse(parse(readFileSync(RULES, 'utf8')));
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'PatchthroughTransferFailureRate',
        'PatchthroughCallsEndedError',
        'PatchthroughStoreUnavailable',
        'PatchthroughTimersLate',
        'PatchthroughMediaDrops',
      ]),
    );
  });

  it('the dashboard is a Grafana dashboard with unique panel ids, over every area the brief names', () => {
    const dash = dashboardSchema.parse(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs = dash.panels.flatMap((p) => ('targets' in p ? p.targets.map((t) => t.expr) : []));
    for (const metric of [
      'patchthrough_calls_started_total',
      'patchthrough_media_frames_total',
      'patchthrough_transfers_total',
      'patchthrough_transfer_time_to_human_seconds_bucket',
      'patchthrough_transfer_ring_seconds_bucket',
      'patchthrough_timer_lateness_seconds_bucket',
      'patchthrough_store_errors_total',
      'patchthrough_draining',
    ]) {
      expect(
        exprs.some((e) => metricsIn(e).includes(metric)),
        metric,
      ).toBe(true);
    }
  });

  it('every expression of the dashboard and the rules reads a metric the daemon exports', async () => {
    const exported = await scrapeNames();
    const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const rules = rulesSchema.parse(parse(readFileSync(RULES, 'utf8')));
    const exprs = [
      ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const missing = exprs.flatMap((e) =>
      metricsIn(e)
        .filter((m) => !exported.has(m))
        .map((m) => `${m} in ${e}`),
    );
    expect(missing).toEqual([]);
    expect(exprs.every((e) => metricsIn(e).length > 0)).toBe(true);
  });
});

describe('the metrics the dashboard and the rules added', () => {
  it('timer lateness, store errors, store up and draining are exported with their values', async () => {
    const m = new Metrics({ defaultMetrics: false });
    let up = true;
    let draining = false;
    m.trackStore(async () => up);
    m.trackDraining(() => draining);
    m.timerFired(30);
    m.timerFired(-5);
    m.storeError('timers');
    let samples = parsePrometheus(await m.text());
    expect(sampleValue(samples, 'patchthrough_timer_lateness_seconds_count')).toBe(2);
    expect(sampleValue(samples, 'patchthrough_timer_lateness_seconds_bucket', { le: '0.02' })).toBe(1);
    expect(sampleValue(samples, 'patchthrough_timer_lateness_seconds_bucket', { le: '0.05' })).toBe(2);
    expect(sampleValue(samples, 'patchthrough_store_errors_total', { source: 'timers' })).toBe(1);
    expect(sampleValue(samples, 'patchthrough_store_up')).toBe(1);
    expect(sampleValue(samples, 'patchthrough_draining')).toBe(0);
    up = false;
    draining = true;
    samples = parsePrometheus(await m.text());
    expect(sampleValue(samples, 'patchthrough_store_up')).toBe(0);
    expect(sampleValue(samples, 'patchthrough_draining')).toBe(1);
  });
});
