/**
 * Loading the agents file (`PATCHTHROUGH_CONFIG`): JSON or YAML, chosen by extension.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { AgentsConfig } from './agent-types.js';
import { type ParseAgentsOptions, parseAgentsConfig } from './agents.js';
import { ConfigError } from './config-error.js';

export type AgentsFileFormat = 'json' | 'yaml';

/**
 * Reads and parses an agents file: `.json`, or `.yaml` / `.yml`. Throws {@link ConfigError}
 * for an unreadable file, a syntax error (with line and column), or any configuration problem.
 */
export async function loadAgentsFile(
  path: string,
  opts: Omit<ParseAgentsOptions, 'source'>,
): Promise<AgentsConfig> {
  const format = formatOf(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError([{ path: '', message: `cannot read the agents file (${code})` }], {
      source: path,
      cause,
    });
  }
  return parseAgentsText(text, format, { ...opts, source: path });
}

/** Parses agents-file text in the given format. Throws {@link ConfigError}. */
export function parseAgentsText(
  text: string,
  format: AgentsFileFormat,
  opts: ParseAgentsOptions,
): AgentsConfig {
  return parseAgentsConfig(
    format === 'json' ? parseJson(text, opts.source) : parseYaml(text, opts.source),
    opts,
  );
}

/** The format of a file by its extension; throws {@link ConfigError} for any other extension. */
export function formatOf(path: string): AgentsFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw new ConfigError(
    [{ path: '', message: `unknown agents file type "${ext}" (use .json, .yaml or .yml)` }],
    {
      source: path,
    },
  );
}

function parseJson(text: string, source: string | undefined): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : 'syntax error';
    throw new ConfigError([{ path: '', message: `not valid JSON: ${detail}` }], { source, cause });
  }
}

function parseYaml(text: string, source: string | undefined): unknown {
  // Duplicate keys are errors (the `yaml` default), so a repeated field cannot silently win.
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((error) => {
      const pos = error.linePos?.[0];
      const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
      const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      return { path: '', message: `not valid YAML${where}: ${what}` };
    });
    throw new ConfigError(issues, { source });
  }
  return doc.toJS();
}
