/**
 * The carrier simulators are written from the carriers' documentation and SDKs, never from the
 * adapters: a bug the adapter and its simulator shared would go unseen. Every module under
 * sim/carriers/ may import only the simulator's own modules (relative paths within sim/), the
 * carrier-neutral `providers/types`, Node's built-ins (`node:`), the carriers' official SDKs
 * (`twilio`, `plivo`) and `zod` (the scenario sections' schemas; it knows no carrier).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIM_CARRIERS } from '../../sim/carriers/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CARRIERS_DIR = join(ROOT, 'sim', 'carriers');
const SIM_DIR = join(ROOT, 'sim');
const PROVIDER_TYPES = join(ROOT, 'providers', 'types.js');
const PACKAGES: ReadonlySet<string> = new Set(['twilio', 'plivo', 'zod']);

/** Every module specifier in `source`: static and dynamic imports, re-exports, side-effect imports. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;()=]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) out.push(m[1] as string);
  return out;
}

/** Why `specifier`, imported by the module at `file`, breaks the rule; undefined when allowed. */
function violation(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return undefined;
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier);
    if (target === PROVIDER_TYPES) return undefined;
    if (target.startsWith(SIM_DIR + sep)) return undefined;
    return `${specifier} leaves sim/ (${relative(ROOT, target)})`;
  }
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  return PACKAGES.has(name ?? '') ? undefined : `package ${specifier} is not an official carrier SDK`;
}

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return /\.(ts|js|mts|cts)$/.test(entry.name) ? [path] : [];
  });
}

describe('sim/carriers import only sim/, providers/types, node: and official SDKs', () => {
  const files = modules(CARRIERS_DIR);

  it('scans the folder of every registered carrier simulator', () => {
    const folders = new Set(
      files
        .map((f) => relative(CARRIERS_DIR, f).split(sep))
        .filter((p) => p.length > 1)
        .map((p) => p[0]),
    );
    expect([...folders].sort()).toEqual([...SIM_CARRIERS].sort());
  });

  it('no module imports adapter code or anything else outside the rule', () => {
    const problems = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .map((s) => violation(file, s))
        .filter((v): v is string => v !== undefined)
        .map((v) => `${relative(ROOT, file)}: ${v}`),
    );
    expect(problems).toEqual([]);
  });

  it('the scan catches what the rule forbids', () => {
    const file = join(CARRIERS_DIR, 'plivo', 'elements', 'stream.ts');
    const source = [
      "import { MAX_EXTRA_HEADERS_BYTES } from '../../../../providers/plivo/extra-headers.js';",
      "import {\n  createTranscoder,\n} from '../../../../src/media/transcode.js';",
      "export { x } from '../../../../providers/index.js';",
      "const m = await import('../../../../providers/plivo/signature.js');",
      "import 'ws';",
      "import type { CarrierAdapter } from '../../../../providers/types.js';",
      "import { validateV3Signature } from 'plivo';",
      "import { aborted } from '../runner.js';",
    ].join('\n');
    const refused = specifiers(source).filter((s) => violation(file, s) !== undefined);
    expect(refused.sort()).toEqual(
      [
        '../../../../providers/plivo/extra-headers.js',
        '../../../../src/media/transcode.js',
        '../../../../providers/index.js',
        '../../../../providers/plivo/signature.js',
        'ws',
      ].sort(),
    );
    expect(specifiers(source)).toHaveLength(8);
  });
});
