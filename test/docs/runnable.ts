/**
 * The blocks of the docs marked runnable: an HTML comment `<!-- runnable: KIND -->` on the line
 * right before a fenced block (indented alike inside a list). Kinds:
 *
 * - `shell`: run as written by bash (`-euo pipefail`) from the repository root;
 * - `agents`: an agents file (the fence says `yaml` or `json`), parsed by the daemon's loader;
 * - `scenario`: a simulator scenario, parsed by `npm run sim`'s loader;
 * - `env`: `NAME=value` lines, parsed as the daemon's environment.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const KINDS = ['shell', 'agents', 'scenario', 'env'] as const;
export type Kind = (typeof KINDS)[number];

export interface RunnableBlock {
  readonly file: string;
  /** 1-based line of the marker. */
  readonly line: number;
  readonly kind: Kind;
  /** The fence's language (`sh`, `yaml`…). */
  readonly lang: string;
  readonly text: string;
}

/** A marker that names an unknown kind or is not followed by a fence: the docs are wrong. */
export interface MarkerProblem {
  readonly file: string;
  readonly line: number;
  readonly problem: string;
}

const MARKER = /^(\s*)<!--\s*runnable(?::\s*(\S+))?\s*-->\s*$/;

export function runnableBlocks(root: string): { blocks: RunnableBlock[]; problems: MarkerProblem[] } {
  const files = [
    'README.md',
    ...readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const blocks: RunnableBlock[] = [];
  const problems: MarkerProblem[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      const marker = MARKER.exec(text);
      if (marker === null) return;
      const indent = marker[1] ?? '';
      const kind = marker[2] as Kind | undefined;
      if (kind === undefined || !KINDS.includes(kind)) {
        problems.push({ file, line: i + 1, problem: `kind must be one of ${KINDS.join(', ')}` });
        return;
      }
      const open = /^\s*```(\w*)\s*$/.exec(lines[i + 1] ?? '');
      if (open === null) {
        problems.push({ file, line: i + 1, problem: 'not followed by a fenced block' });
        return;
      }
      const end = lines.findIndex((l, j) => j > i + 1 && /^\s*```\s*$/.test(l));
      if (end < 0) {
        problems.push({ file, line: i + 1, problem: 'the fenced block is not closed' });
        return;
      }
      const body = lines.slice(i + 2, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      blocks.push({ file, line: i + 1, kind, lang: open[1] ?? '', text: `${body.join('\n')}\n` });
    });
  }
  return { blocks, problems };
}

/** `NAME=value` lines (blank lines and `#` comments skipped) as an environment. */
export function envLines(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not NAME=value: ${line}`);
    env[line.slice(0, eq)] = line.slice(eq + 1).replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}
