/**
 * The repository's module graph: which file imports which file, package or Node built-in. Paths
 * are repository-relative with `/` (`src/runtime/engine.ts`); a package is `pkg:<name>`
 * (`pkg:twilio` for `twilio/lib/…` too), a built-in `node:<name>`, a relative import that names no
 * file `missing:<path>`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix, relative, sep } from 'node:path';
import { importsOf } from './scan.js';

export interface Edge {
  /** The importing file. */
  readonly from: string;
  /** What it imports: a file path, `pkg:<name>`, `node:<name>` or `missing:<path>`. */
  readonly to: string;
  readonly specifier: string;
  readonly line: number;
  readonly typeOnly: boolean;
}

export interface ModuleGraph {
  readonly files: readonly string[];
  readonly edges: readonly Edge[];
}

/** Top-level folders scanned: the product, its tools and its tests. */
export const SCANNED_ROOTS = [
  'src',
  'providers',
  'sim',
  'bench',
  'demo',
  'support',
  'test',
  'bin',
  'examples',
] as const;

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const BUILTINS: ReadonlySet<string> = new Set(builtinModules);

/** Resolves `specifier` as imported by `from`, against the files that exist. */
export function resolveSpecifier(from: string, specifier: string, exists: (path: string) => boolean): string {
  if (specifier.startsWith('node:')) return specifier;
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) {
    if (BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0] ?? '')) return `node:${specifier}`;
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    return `pkg:${name}`;
  }
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [
    target,
    target.replace(/\.js$/, '.ts'),
    target.replace(/\.mjs$/, '.mts'),
    target.replace(/\.cjs$/, '.cts'),
    `${target}.ts`,
    `${target}/index.ts`,
  ];
  return candidates.find(exists) ?? `missing:${target}`;
}

/** Builds the graph of `sources` (path → text); imports resolve only to files among them. */
export function buildGraph(sources: ReadonlyMap<string, string>): ModuleGraph {
  const exists = (path: string): boolean => sources.has(path);
  const edges: Edge[] = [];
  for (const [from, text] of sources) {
    for (const site of importsOf(text)) {
      edges.push({ from, to: resolveSpecifier(from, site.specifier, exists), ...site });
    }
  }
  return { files: [...sources.keys()].sort(), edges };
}

function listSources(root: string, dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // a scanned root that does not exist
  }
  return entries.flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const path = `${dir}${sep}${entry.name}`;
    if (entry.isDirectory()) return listSources(root, path);
    return SOURCE.test(entry.name) ? [relative(root, path).split(sep).join('/')] : [];
  });
}

/** Reads every source file under the scanned roots of the repository at `root`. */
export function readRepository(root: string): Map<string, string> {
  const sources = new Map<string, string>();
  for (const top of SCANNED_ROOTS) {
    for (const path of listSources(root, `${root}${sep}${top}`)) {
      sources.set(path, readFileSync(`${root}${sep}${path}`, 'utf8'));
    }
  }
  return sources;
}
