import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The operator console's files (src/http/console/static/): plain ES modules, CSS and one HTML
 * page, served as written — no bundler, no step a user runs, nothing fetched from elsewhere (the
 * daemon may run on a closed network). The page holds no data: everything it shows comes from
 * the /v1 API with the key the operator types. Files are read on request, so a daemon nobody
 * opens the console on never reads them.
 */
const STATIC_DIR = new URL('./static/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/** Everything the page may load: this origin only, no inline script, no framing. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The files that exist at start, by name: only these are served (no path is built from a request). */
function listFiles(): ReadonlyMap<string, string> {
  const files = new Map<string, string>();
  for (const name of readdirSync(STATIC_DIR)) {
    const type = TYPES[name.split('.').pop() ?? ''];
    if (type !== undefined) files.set(name, type);
  }
  return files;
}

export function registerConsole(app: FastifyInstance): void {
  const files = listFiles();
  const send = async (name: string, reply: FastifyReply) => {
    const type = files.get(name);
    if (type === undefined) return reply.code(404).send({ error: { code: 'not_found' } });
    const body = await readFile(new URL(name, STATIC_DIR));
    return reply
      .code(200)
      .header('content-type', type)
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONSOLE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  };
  app.get('/console', async (_req, reply) => reply.redirect('/console/', 302));
  app.get('/console/', async (_req, reply) => send('index.html', reply));
  app.get<{ Params: { file: string } }>('/console/:file', async (req, reply) => send(req.params.file, reply));
}
