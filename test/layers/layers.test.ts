/**
 * The layering check: every import in the repository, type-only ones included, against the rules
 * in `rules.ts` (docs/ARCHITECTURE.md, "Layers"). The second half feeds the same check synthetic
 * violations, one per rule, to prove it fails on each.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Allowance, checkLayers } from './check.js';
import { buildGraph, readRepository } from './graph.js';
import { ALLOWANCES, RULES } from './rules.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the repository keeps its layers', () => {
  const graph = buildGraph(readRepository(ROOT));
  const result = checkLayers(graph, RULES, ALLOWANCES);

  it('scans the whole repository, and every relative import names a file', () => {
    for (const file of ['src/app.ts', 'providers/types.ts', 'sim/simulator.ts', 'support/redis-server.ts'])
      expect(graph.files).toContain(file);
    expect(
      graph.edges.filter((e) => e.to.startsWith('missing:')).map((e) => `${e.from}: ${e.specifier}`),
    ).toEqual([]);
  });

  it('every import follows the rules', () => {
    expect(result.violations.map((v) => v.message)).toEqual([]);
  });

  it('every allowance still excuses something (delete it when the work it names lands)', () => {
    expect(result.stale).toEqual([]);
  });
});

/** The rules broken by a repository made of `files` (path → source), with no allowances. */
function broken(files: Record<string, string>, allowances: readonly Allowance[] = []) {
  const result = checkLayers(buildGraph(new Map(Object.entries(files))), RULES, allowances);
  return {
    rules: [...new Set(result.violations.map((v) => v.rule))].sort(),
    messages: result.violations.map((v) => v.message),
    stale: result.stale,
  };
}

describe('the check fails on a violation', () => {
  it.each([
    [
      'an adapter importing the runtime (a type is enough)',
      {
        'providers/twilio/control.ts': "import type { CallRecord } from '../../src/runtime/call-record.js';",
        'src/runtime/call-record.ts': '',
      },
      ['providers-below-runtime'],
    ],
    [
      'an adapter importing an I/O package',
      { 'providers/plivo/control.ts': "import Redis from 'ioredis';" },
      ['providers-below-runtime'],
    ],
    [
      'one carrier importing another',
      { 'providers/twilio/a.ts': "import { b } from '../plivo/b.js';", 'providers/plivo/b.ts': '' },
      ['carriers-apart'],
    ],
    [
      'shared adapter code naming a carrier',
      { 'providers/shared/x.ts': "import { y } from '../twilio/y.js';", 'providers/twilio/y.ts': '' },
      ['provider-common-not-carriers'],
    ],
    [
      'the daemon importing adapter internals',
      {
        'src/http/x.ts': "import { m } from '../../providers/twilio/markup.js';",
        'providers/twilio/markup.ts': '',
      },
      ['src-sees-provider-seam'],
    ],
    [
      'a carrier simulator importing adapter code',
      {
        'sim/carriers/plivo/stream.ts': "import { sign } from '../../../providers/plivo/signature.js';",
        'providers/plivo/signature.ts': '',
      },
      ['sim-sees-provider-types'],
    ],
    [
      'the simulator importing the daemon shell',
      {
        'sim/scenario.ts': "import { Engine } from '../src/runtime/engine.js';",
        'src/runtime/engine.ts': '',
      },
      ['sim-not-daemon'],
    ],
    [
      'one carrier simulator importing another',
      { 'sim/carriers/twilio/a.ts': "import { b } from '../exotel/b.js';", 'sim/carriers/exotel/b.ts': '' },
      ['simulators-apart'],
    ],
    [
      'the daemon importing tests and the simulator',
      {
        'src/runtime/x.ts':
          "import { e } from '../../test/support/eventually.js';\nimport '../../sim/leg.js';",
        'test/support/eventually.ts': '',
        'sim/leg.ts': '',
      },
      ['product-not-tooling', 'src-not-sim'],
    ],
    [
      'a module importing the composition root',
      { 'src/http/x.ts': "const app = await import('../app.js');", 'src/app.ts': '' },
      ['composition-root'],
    ],
    [
      'a benchmark importing test support',
      {
        'bench/store.ts': "import { r } from '../test/support/redis-server.js';",
        'test/support/redis-server.ts': '',
      },
      ['tools-not-tests'],
    ],
    [
      'support/ importing a benchmark',
      { 'support/x.ts': "import { y } from '../bench/lib/stats.js';", 'bench/lib/stats.ts': '' },
      ['support-below-tools'],
    ],
    [
      'the example agent importing the daemon',
      {
        'examples/ivr-agent/agent.ts': "import { tone } from '../../src/media/tone.js';",
        'src/media/tone.ts': '',
      },
      ['examples-standalone'],
    ],
    [
      'the pure core importing a socket',
      { 'src/transfer/plan.ts': "import { connect } from 'node:net';" },
      ['pure-closure', 'transfer-is-pure'],
    ],
    [
      'the pure core reaching I/O through an allowed module',
      {
        'src/transfer/plan.ts': "import { log } from '../lib/log.js';",
        'src/lib/log.ts': "import pino from 'pino';",
      },
      ['pure-closure'],
    ],
    [
      'the pure core importing the runtime',
      {
        'src/transfer/plan.ts': "import type { Engine } from '../runtime/engine.js';",
        'src/runtime/engine.ts': '',
      },
      ['transfer-is-pure'],
    ],
    [
      'the domain importing a layer above it',
      { 'src/domain/x.ts': "import { retry } from '../lib/retry.js';", 'src/lib/retry.ts': '' },
      ['domain-is-the-floor'],
    ],
    [
      'src/lib importing a layer above the domain',
      { 'src/lib/x.ts': "import { p } from '../phone/policy.js';", 'src/phone/policy.ts': '' },
      ['lib-above-domain-only'],
    ],
    [
      'a cycle between two folders of src/',
      {
        'src/phone/policy.ts': "import type { AgentConfig } from '../config/agent-types.js';",
        'src/config/agent-schema.ts': "import { parseDestination } from '../phone/destination.js';",
        'src/config/agent-types.ts': '',
        'src/phone/destination.ts': '',
      },
      ['phone-is-pure', 'src-folders-acyclic'],
    ],
  ] as const)('%s', (_, files, rules) => {
    expect(broken(files).rules).toEqual(rules);
  });

  it('names both directions of a cycle, and a longer cycle through three folders', () => {
    const { messages } = broken({
      'src/store/a.ts': "import { b } from '../runtime/b.js';",
      'src/runtime/b.ts': "import { c } from '../ops/c.js';",
      'src/ops/c.ts': "import { a } from '../store/a.js';",
    });
    expect(messages).toHaveLength(3);
    for (const m of messages) expect(m).toContain('closes a cycle among src/ops, src/runtime, src/store');
  });

  it('a clean repository passes', () => {
    expect(
      broken({
        'src/runtime/engine.ts':
          "import { withRetry } from '../lib/retry.js';\nimport type { X } from '../../providers/types.js';",
        'src/lib/retry.ts': "import { DaemonError } from '../domain/errors.js';",
        'src/domain/errors.ts': '',
        'providers/types.ts': "import type { RetryPolicy } from '../src/lib/retry.js';",
        'providers/twilio/control.ts':
          "import twilio from 'twilio';\nimport { f } from '../../src/media/mulaw.js';",
        'src/media/mulaw.ts': '',
        'sim/carriers/twilio/call.ts': "import type { X } from '../../../providers/types.js';",
        'bench/store.ts': "import { startRedisServer } from '../support/redis-server.js';",
        'test/store/x.test.ts': "import { startRedisServer } from '../../support/redis-server.js';",
        'support/redis-server.ts': "import { spawn } from 'node:child_process';",
      }),
    ).toEqual({ rules: [], messages: [], stale: [] });
  });

  it('an allowance excuses exactly what it names, and one that excuses nothing is stale', () => {
    const bridgeCycle: Allowance = {
      rule: 'src-folders-acyclic',
      from: 'src/media/bridge.ts',
      to: 'src/agent/events.ts',
      until: 'the transport-neutral port',
    };
    const unused: Allowance = { rule: 'carriers-apart', from: 'providers/a/**', to: '**', until: 'never' };
    const files = {
      'src/media/bridge.ts': "import type { E } from '../agent/events.js';",
      'src/agent/events.ts': "import { f } from '../media/formats.js';",
      'src/media/formats.ts': '',
    };
    expect(broken(files, [bridgeCycle, unused])).toEqual({ rules: [], messages: [], stale: [unused] });
    expect(broken(files).rules).toEqual(['src-folders-acyclic']);
    const another = {
      ...files,
      'src/media/pacer.ts': "import { g } from '../agent/link.js';",
      'src/agent/link.ts': '',
    };
    const { messages } = broken(another, [bridgeCycle]);
    expect(messages).toHaveLength(2);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining('src/media/pacer.ts:1 imports src/agent/link.ts'),
        expect.stringContaining('src/agent/events.ts:1 imports src/media/formats.ts'),
      ]),
    );
  });
});
