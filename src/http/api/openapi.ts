import { z } from 'zod';
import type { AnyRoute } from './route.js';

const COMMON_ERRORS: Readonly<Record<number, string>> = {
  401: 'unauthorized: no or unknown bearer key',
  403: 'forbidden: the key lacks the scope',
  429: 'rate_limited: see the retry-after header (seconds)',
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>;
  delete out['$schema'];
  return out;
}

/** `{ name: schema }` of an object schema's properties, for path and query parameters. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): Record<string, unknown>[] {
  if (schema === undefined) return [];
  const s = jsonSchema(schema);
  const props = (s['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((s['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

/**
 * OpenAPI 3.1 document of the /v1 API, generated from the same route list the server mounts:
 * every route with its scope (`security` and `x-required-scope`), parameters, body schema and
 * answers.
 */
export function openApiDocument(
  routes: readonly AnyRoute[],
  info: { version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = {};
    const all = { ...r.responses, ...(r.scope === null ? {} : COMMON_ERRORS) };
    for (const [status, description] of Object.entries(all)) {
      const error = Number(status) >= 400;
      responses[status] = {
        description,
        content: { 'application/json': { schema: error ? { $ref: '#/components/schemas/Error' } : {} } },
      };
    }
    const headers = Object.entries(r.headers ?? {}).map(([name, description]) => ({
      name,
      in: 'header',
      required: false,
      description,
      schema: { type: 'string' },
    }));
    paths[r.path] ??= {};
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description === undefined ? {} : { description: r.description }),
      security: r.scope === null ? [] : [{ bearerAuth: [r.scope] }],
      'x-required-scope': r.scope,
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query'), ...headers],
      responses,
    };
    if (r.body !== undefined) {
      op['requestBody'] = { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } };
    }
    (paths[r.path] as Record<string, unknown>)[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'patchthrough control API',
      version: info.version,
      description:
        'Agents (draft vs published), transfer skills, calls and API-initiated transfers. ' +
        'Authenticate with `Authorization: Bearer <key>`; each operation names the scope it needs.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                field: { type: 'string', description: 'The offending field, when one is at fault' },
                issues: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { field: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
