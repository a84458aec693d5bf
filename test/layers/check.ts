/**
 * Checks a module graph against layering rules. Rules are data (`rules.ts`); paths and targets
 * are matched with globs: `*` within one path segment, `**` across segments (`src/runtime/**`,
 * `providers/*\/simulator/**`, `node:**`, `pkg:twilio`).
 */
import type { Edge, ModuleGraph } from './graph.js';

interface RuleBase {
  /** Short id, named by allowances and in every violation. */
  readonly id: string;
  /** The rule as a sentence: printed with each violation. */
  readonly says: string;
}

/** Files matching `from` (and not `except`) import only targets matching `allow`. */
export interface OnlyRule extends RuleBase {
  readonly kind: 'only';
  readonly from: readonly string[];
  readonly except?: readonly string[];
  readonly allow: readonly string[];
}

/** Files matching `from` (and not `except`) never import targets matching `forbid` (unless `unless`). */
export interface NeverRule extends RuleBase {
  readonly kind: 'never';
  readonly from: readonly string[];
  readonly except?: readonly string[];
  readonly forbid: readonly string[];
  readonly unless?: readonly string[];
}

/** The sub-folders of `parent` (other than `shared`) never import one another. */
export interface ApartRule extends RuleBase {
  readonly kind: 'apart';
  readonly parent: string;
  readonly shared: readonly string[];
}

/**
 * Nothing reachable from a file matching `from`, through any chain of imports, imports a package
 * or built-in outside `external`: the whole closure stays pure, not only the first step.
 */
export interface ReachRule extends RuleBase {
  readonly kind: 'reach';
  readonly from: readonly string[];
  readonly external: readonly string[];
}

/** No import cycle between the top-level folders of `root` (files directly in `root` count alone). */
export interface AcyclicRule extends RuleBase {
  readonly kind: 'acyclic';
  readonly root: string;
}

export type Rule = OnlyRule | NeverRule | ApartRule | ReachRule | AcyclicRule;

/** A known violation that work in progress removes; it must name that work and match something. */
export interface Allowance {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
  /** Which change removes it. */
  readonly until: string;
}

export interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
  readonly line: number;
  readonly message: string;
}

export interface CheckResult {
  readonly violations: readonly Violation[];
  /** Allowances that excuse nothing any more: delete them. */
  readonly stale: readonly Allowance[];
}

const globCache = new Map<string, RegExp>();

/** Whether `path` matches the glob `pattern`. */
export function matches(pattern: string, path: string): boolean {
  let re = globCache.get(pattern);
  if (re === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const ch = pattern[i] as string;
      if (ch === '*' && pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        source += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else if (ch === '*') {
        source += '[^/]*';
      } else {
        source += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      }
    }
    re = new RegExp(`^${source}$`);
    globCache.set(pattern, re);
  }
  return re.test(path);
}

const any = (patterns: readonly string[] | undefined, path: string): boolean =>
  patterns?.some((p) => matches(p, path)) ?? false;

const isFile = (target: string): boolean => !/^(pkg|node|missing):/.test(target);

function applies(rule: { from: readonly string[]; except?: readonly string[] }, file: string): boolean {
  return any(rule.from, file) && !any(rule.except, file);
}

function violation(rule: Rule, edge: Edge, detail = ''): Violation {
  const type = edge.typeOnly ? ' (type only)' : '';
  return {
    rule: rule.id,
    from: edge.from,
    to: edge.to,
    line: edge.line,
    message: `${rule.id}: ${edge.from}:${edge.line} imports ${edge.to}${type}${detail} — ${rule.says}`,
  };
}

function edgeViolations(rule: Rule, graph: ModuleGraph): Violation[] {
  switch (rule.kind) {
    case 'only':
      return graph.edges
        .filter((e) => applies(rule, e.from) && !any(rule.allow, e.to))
        .map((e) => violation(rule, e));
    case 'never':
      return graph.edges
        .filter((e) => applies(rule, e.from) && any(rule.forbid, e.to) && !any(rule.unless, e.to))
        .map((e) => violation(rule, e));
    case 'apart': {
      const folder = (path: string): string | undefined => {
        if (!path.startsWith(`${rule.parent}/`)) return undefined;
        const parts = path.slice(rule.parent.length + 1).split('/');
        return parts.length > 1 && !rule.shared.includes(parts[0] as string) ? parts[0] : undefined;
      };
      return graph.edges
        .filter((e) => {
          const a = folder(e.from);
          const b = folder(e.to);
          return a !== undefined && b !== undefined && a !== b;
        })
        .map((e) => violation(rule, e));
    }
    case 'reach':
      return reachViolations(rule, graph);
    case 'acyclic':
      return [];
  }
}

/** For each file the rule covers and each forbidden package it reaches: the first chain found to it. */
function reachViolations(rule: ReachRule, graph: ModuleGraph): Violation[] {
  const bySource = new Map<string, Edge[]>();
  for (const e of graph.edges) bySource.set(e.from, [...(bySource.get(e.from) ?? []), e]);
  const out: Violation[] = [];
  for (const start of graph.files.filter((f) => any(rule.from, f))) {
    const parent = new Map<string, string | undefined>([[start, undefined]]);
    const reported = new Set<string>();
    const queue = [start];
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const e of bySource.get(file) ?? []) {
        if (isFile(e.to)) {
          if (!parent.has(e.to)) {
            parent.set(e.to, file);
            queue.push(e.to);
          }
          continue;
        }
        if (any(rule.external, e.to) || reported.has(e.to)) continue;
        reported.add(e.to);
        const chain: string[] = [];
        for (let f: string | undefined = file; f !== undefined; f = parent.get(f)) chain.unshift(f);
        const type = e.typeOnly ? ' (type only)' : '';
        out.push({
          rule: rule.id,
          from: start,
          to: e.to,
          line: e.line,
          message: `${rule.id}: ${start} reaches ${e.to}${type} through ${chain.join(' → ')}:${e.line} — ${rule.says}`,
        });
      }
    }
  }
  return out;
}

/** The folder-level node of a file under `root`: `root/<folder>`, or the file itself. */
function nodeOf(root: string, path: string): string | undefined {
  if (!path.startsWith(`${root}/`)) return undefined;
  const parts = path.split('/');
  return parts.length > 2 ? `${root}/${parts[1]}` : path;
}

/** Strongly connected components of a directed graph (Tarjan). */
function components(nodes: readonly string[], next: (node: string) => readonly string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out;
}

interface FolderEdge {
  readonly a: string;
  readonly b: string;
  readonly edge: Edge;
}

/** Edges between different folders of `root`, and the folders in a cycle (a component of two or more). */
function cycles(
  root: string,
  edges: readonly Edge[],
): { folderEdges: FolderEdge[]; inCycle: Map<string, number> } {
  const folderEdges: FolderEdge[] = [];
  for (const edge of edges) {
    const a = nodeOf(root, edge.from);
    const b = nodeOf(root, edge.to);
    if (a !== undefined && b !== undefined && a !== b) folderEdges.push({ a, b, edge });
  }
  const next = new Map<string, Set<string>>();
  for (const { a, b } of folderEdges) next.set(a, (next.get(a) ?? new Set()).add(b));
  const nodes = [...new Set(folderEdges.flatMap(({ a, b }) => [a, b]))].sort();
  const inCycle = new Map<string, number>();
  components(nodes, (v) => [...(next.get(v) ?? [])].sort()).forEach((c, i) => {
    if (c.length > 1) for (const v of c) inCycle.set(v, i);
  });
  return { folderEdges, inCycle };
}

const excused = (a: Allowance, rule: string, e: { from: string; to: string }): boolean =>
  a.rule === rule && matches(a.from, e.from) && matches(a.to, e.to);

/** Checks `graph` against `rules`, excusing what `allowances` name. */
export function checkLayers(
  graph: ModuleGraph,
  rules: readonly Rule[],
  allowances: readonly Allowance[],
): CheckResult {
  const used = new Set<Allowance>();
  const violations: Violation[] = [];
  for (const rule of rules) {
    const found = edgeViolations(rule, graph);
    for (const v of found) {
      const allowance = allowances.find((a) => excused(a, rule.id, v));
      if (allowance) used.add(allowance);
      else violations.push(v);
    }
    if (rule.kind === 'acyclic') {
      const all = cycles(rule.root, graph.edges);
      const kept = all.folderEdges.filter(({ edge, a, b }) => {
        const allowance = allowances.find((x) => excused(x, rule.id, edge));
        if (allowance === undefined) return true;
        if (all.inCycle.has(a) && all.inCycle.get(a) === all.inCycle.get(b)) used.add(allowance);
        return false;
      });
      const left = cycles(
        rule.root,
        kept.map(({ edge }) => edge),
      );
      const seen = new Set<string>();
      for (const { a, b, edge } of left.folderEdges) {
        const c = left.inCycle.get(a);
        if (c === undefined || c !== left.inCycle.get(b) || seen.has(`${a}>${b}`)) continue;
        seen.add(`${a}>${b}`);
        const members = [...left.inCycle].filter(([, i]) => i === c).map(([v]) => v);
        violations.push(
          violation(rule, edge, `, so ${a} → ${b} closes a cycle among ${members.sort().join(', ')}`),
        );
      }
    }
  }
  return { violations, stale: allowances.filter((a) => !used.has(a)) };
}
