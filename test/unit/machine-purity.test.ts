import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * src/transfer is the pure core (STYLE.md 1): everything it loads at run time — itself and what
 * it imports, transitively — must stay inside pure code. Type-only imports vanish at run time
 * and may name any src module. Pure helpers of src/config (schemas, schedules) may be loaded;
 * each loaded file is checked the same way, and none may read `process.env` (only
 * src/config/env.ts does, and the core must not load it).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');
/** Folders whose modules src/transfer may load at run time (each is checked the same way). */
const PURE_DIRS = ['transfer', 'domain', 'phone', 'config'].map((d) => join(SRC, d));
/** Packages without I/O that the pure core may load. */
const PURE_PACKAGES = ['zod', 'libphonenumber-js'];
/** Never, not even for types: the core must not know these exist. */
const IO_PACKAGES =
  /^(node:|ioredis$|ws$|fastify|twilio|plivo|pino|prom-client|@livekit\/|undici|http$|https$|fs$|net$|dgram$|child_process$)/;

interface ImportRef {
  readonly spec: string;
  readonly typeOnly: boolean;
}

function importsOf(source: string): { refs: ImportRef[]; dynamic: boolean } {
  const refs: ImportRef[] = [];
  const fromRe = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(fromRe)) refs.push({ spec: m[4] ?? '', typeOnly: m[2] !== undefined });
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm))
    refs.push({ spec: m[1] ?? '', typeOnly: false });
  const dynamic = /\bimport\s*\(|\brequire\s*\(/.test(source);
  return { refs, dynamic };
}

function resolveLocal(fromFile: string, spec: string): string {
  const base = resolve(dirname(fromFile), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return base.replace(/\.js$/, '.ts');
}

function isPureFile(file: string): boolean {
  return PURE_DIRS.some((d) => file.startsWith(`${d}/`));
}

/** Problems found in `file` and in every module it loads at run time. */
function check(file: string, seen: Set<string>, problems: string[]): void {
  if (seen.has(file)) return;
  seen.add(file);
  const name = relative(ROOT, file);
  if (!existsSync(file)) {
    problems.push(`${name}: missing`);
    return;
  }
  const source = readFileSync(file, 'utf8');
  const { refs, dynamic } = importsOf(source);
  if (dynamic) problems.push(`${name}: dynamic import or require`);
  if (/\bprocess\.env\b/.test(source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
    problems.push(`${name}: reads process.env`);
  }
  for (const { spec, typeOnly } of refs) {
    if (spec.startsWith('.')) {
      const target = resolveLocal(file, spec);
      if (typeOnly) {
        if (!target.startsWith(`${SRC}/`)) problems.push(`${name}: type import outside src: ${spec}`);
      } else if (!isPureFile(target)) {
        problems.push(`${name}: loads ${relative(ROOT, target)}`);
      } else {
        check(target, seen, problems);
      }
    } else if (IO_PACKAGES.test(spec)) {
      problems.push(`${name}: imports I/O module ${spec}`);
    } else if (!typeOnly && !PURE_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) {
      problems.push(`${name}: loads package ${spec}`);
    }
  }
}

const transferFiles = readdirSync(join(SRC, 'transfer'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(SRC, 'transfer', f));

describe('src/transfer is pure', () => {
  it('finds the machines to check', () => {
    const names = transferFiles.map((f) => relative(SRC, f));
    expect(names).toEqual(
      expect.arrayContaining(['transfer/cold.ts', 'transfer/warm.ts', 'transfer/machine.ts']),
    );
  });

  it.each(transferFiles.map((f) => [relative(ROOT, f), f]))('%s loads only pure modules', (_name, file) => {
    const problems: string[] = [];
    check(file, new Set(), problems);
    expect(problems).toEqual([]);
  });

  it('the machines read no clock, no randomness, no environment', () => {
    const machineFiles = transferFiles.filter((f) => /\/(cold|warm|machine[^/]*)\.ts$/.test(f));
    expect(machineFiles.length).toBeGreaterThanOrEqual(3);
    for (const file of machineFiles) {
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      expect(code, relative(ROOT, file)).not.toMatch(
        /Date\.now|new Date\b|Math\.random|performance\.|setTimeout|setInterval|process\.|crypto\./,
      );
    }
  });

  it('the checker itself catches what it must', () => {
    const src = [
      "import { Redis } from 'ioredis';",
      "import type { Config } from '../config/env.js';",
      "export {\n  a,\n  b,\n} from './x.js';",
      "import './side-effect.js';",
      'export type Local = string;',
      "import { z } from 'zod';",
    ].join('\n');
    const { refs, dynamic } = importsOf(src);
    expect(refs).toEqual([
      { spec: 'ioredis', typeOnly: false },
      { spec: '../config/env.js', typeOnly: true },
      { spec: './x.js', typeOnly: false },
      { spec: 'zod', typeOnly: false },
      { spec: './side-effect.js', typeOnly: false },
    ]);
    expect(dynamic).toBe(false);
    expect(importsOf("const m = await import('ws');").dynamic).toBe(true);
    expect(IO_PACKAGES.test('node:fs')).toBe(true);
    // The only reader of process.env would be refused if the core loaded it.
    const envProblems: string[] = [];
    check(join(SRC, 'config', 'env.ts'), new Set(), envProblems);
    expect(envProblems).toContain('src/config/env.ts: reads process.env');
    expect(IO_PACKAGES.test('zod')).toBe(false);
  });
});
