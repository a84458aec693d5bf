/**
 * Finds every module a TypeScript/JavaScript source imports, without a compiler: a small lexer
 * skips comments, strings, template literals and regular expressions, so an import written inside
 * a string or a comment is not mistaken for one, and a multi-line import is still seen. Type-only
 * imports count: a type is a dependency too (the compiler erases them, a reader does not).
 */

/** One module specifier as written in a source. */
export interface ImportSite {
  /** The specifier as written, e.g. `../domain/errors.js` or `zod`. */
  readonly specifier: string;
  /** 1-based line of the specifier. */
  readonly line: number;
  /** `import type`, `export type`, or every named binding marked `type`. */
  readonly typeOnly: boolean;
}

type TokenType = 'word' | 'string' | 'punct' | 'template' | 'regex';

interface Token {
  readonly type: TokenType;
  readonly value: string;
  readonly pos: number;
}

/** Words after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

function isWordChar(ch: string): boolean {
  return /[\w$]/.test(ch);
}

/** Splits `source` into words, strings and punctuation; comments and literal bodies are skipped. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Brace depths at which an open template literal's `${` was entered.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const n = source.length;

  /** Scans template text from `i` to its closing backtick or the next `${`. */
  const templateText = (): void => {
    while (i < n) {
      const ch = source[i];
      if (ch === '\\') {
        i += 2;
      } else if (ch === '`') {
        i++;
        return;
      } else if (ch === '$' && source[i + 1] === '{') {
        i += 2;
        templates.push(depth);
        depth++;
        return;
      } else {
        i++;
      }
    }
  };

  const regexAllowed = (): boolean => {
    const prev = tokens.at(-1);
    if (prev === undefined) return true;
    if (prev.type === 'word') return REGEX_AFTER_WORDS.has(prev.value);
    if (prev.type === 'punct') return !(prev.value === ')' || prev.value === ']' || prev.value === '}');
    return false;
  };

  while (i < n) {
    const ch = source[i] as string;
    const next = source[i + 1];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      i = end === -1 ? n : end;
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (ch === "'" || ch === '"') {
      const start = i;
      i++;
      let value = '';
      while (i < n && source[i] !== ch && source[i] !== '\n') {
        if (source[i] === '\\') {
          value += source[i + 1] ?? '';
          i += 2;
        } else {
          value += source[i];
          i++;
        }
      }
      i++;
      tokens.push({ type: 'string', value, pos: start + 1 });
    } else if (ch === '`') {
      tokens.push({ type: 'template', value: '`', pos: i });
      i++;
      templateText();
    } else if (ch === '/' && regexAllowed()) {
      const start = i;
      i++;
      let inClass = false;
      while (i < n && source[i] !== '\n') {
        const c = source[i];
        if (c === '\\') i++;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && isWordChar(source[i] as string)) i++;
      tokens.push({ type: 'regex', value: source.slice(start, i), pos: start });
    } else if (isWordChar(ch)) {
      const start = i;
      while (i < n && isWordChar(source[i] as string)) i++;
      tokens.push({ type: 'word', value: source.slice(start, i), pos: start });
    } else {
      if (ch === '{') depth++;
      if (ch === '}') {
        depth--;
        if (templates.length > 0 && templates.at(-1) === depth) {
          templates.pop();
          i++;
          templateText();
          continue;
        }
      }
      tokens.push({ type: 'punct', value: ch, pos: i });
      i++;
    }
  }
  return tokens;
}

function lineAt(source: string): (pos: number) => number {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  return (pos) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

const is = (t: Token | undefined, type: TokenType, value?: string): boolean =>
  t !== undefined && t.type === type && (value === undefined || t.value === value);

/** Whether every binding between `from` and `to` (exclusive) is marked `type`, and there is one. */
function allBindingsTypeOnly(tokens: readonly Token[], from: number, to: number): boolean {
  const open = tokens.findIndex((t, k) => k >= from && k < to && is(t, 'punct', '{'));
  if (open === -1 || open !== from) return false; // a default or namespace import is a value
  let expectBinding = true;
  let bindings = 0;
  for (let k = open + 1; k < to; k++) {
    const t = tokens[k];
    if (is(t, 'punct', '}')) break;
    if (is(t, 'punct', ',')) {
      expectBinding = true;
      continue;
    }
    if (expectBinding) {
      if (!is(t, 'word', 'type') || is(tokens[k + 1], 'punct', ',') || is(tokens[k + 1], 'punct', '}'))
        return false;
      bindings++;
      expectBinding = false;
    }
  }
  return bindings > 0;
}

/** Every module `source` imports: static and dynamic imports, re-exports, side-effect imports, `require`. */
export function importsOf(source: string): ImportSite[] {
  const tokens = tokenize(source);
  const line = lineAt(source);
  const out: ImportSite[] = [];
  const add = (t: Token, typeOnly: boolean): void => {
    out.push({ specifier: t.value, line: line(t.pos), typeOnly });
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const prev = tokens[i - 1];
    if (t.type !== 'word' || is(prev, 'punct', '.')) continue;
    const a = tokens[i + 1];
    const b = tokens[i + 2];
    if ((t.value === 'import' || t.value === 'require') && is(a, 'punct', '(')) {
      if (is(b, 'string') && (is(tokens[i + 3], 'punct', ')') || is(tokens[i + 3], 'punct', ',')))
        add(b as Token, t.value === 'import' && is(prev, 'word', 'typeof'));
      continue;
    }
    if (t.value === 'import') {
      if (is(a, 'string')) {
        add(a as Token, false);
        continue;
      }
      if (!(is(a, 'word') || is(a, 'punct', '{') || is(a, 'punct', '*'))) continue;
      const declaredType = is(a, 'word', 'type') && !is(b, 'word', 'from') && !is(b, 'punct', ',');
      const first = declaredType ? i + 2 : i + 1;
      for (let k = first; k < tokens.length; k++) {
        const u = tokens[k] as Token;
        if (is(u, 'punct', ';') || (u.type === 'string' && !is(tokens[k - 1], 'word', 'from'))) break;
        if (is(u, 'word', 'from') && is(tokens[k + 1], 'string')) {
          add(tokens[k + 1] as Token, declaredType || allBindingsTypeOnly(tokens, first, k));
          break;
        }
      }
      continue;
    }
    if (t.value === 'export') {
      let k = i + 1;
      const declaredType = is(tokens[k], 'word', 'type');
      if (declaredType) k++;
      if (is(tokens[k], 'punct', '*')) {
        k++;
        if (is(tokens[k], 'word', 'as')) k += 2;
      } else if (is(tokens[k], 'punct', '{')) {
        const first = k;
        while (k < tokens.length && !is(tokens[k], 'punct', '}')) k++;
        k++;
        if (is(tokens[k], 'word', 'from') && is(tokens[k + 1], 'string'))
          add(tokens[k + 1] as Token, declaredType || allBindingsTypeOnly(tokens, first, k));
        continue;
      } else {
        continue;
      }
      if (is(tokens[k], 'word', 'from') && is(tokens[k + 1], 'string'))
        add(tokens[k + 1] as Token, declaredType);
    }
  }
  return out;
}
