import * as z from 'zod/mini';
import * as views from '#lib/api/view-schemas.ts';
import { isMutating, SUPER_SCOPE } from './route.ts';
import { routes } from './routes.ts';

const jsonSchema = (schema: z.ZodMiniType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as Record<string, unknown>;
  return rest;
};

function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const s = jsonSchema(schema) as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(s.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema,
  }));
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

let cached: Record<string, unknown> | undefined;

/** The OpenAPI 3.1 document, generated from the route table. */
export function openApiDocument(): Record<string, unknown> {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const op: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.fn],
      security: route.scope ? [{ bearer: [route.scope] }, { bearer: [SUPER_SCOPE] }] : [],
      parameters: [
        ...parameters(route.params, 'path'),
        ...parameters(route.query, 'query'),
        ...(isMutating(route)
          ? [
              { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                schema: { type: 'string' },
              },
            ]
          : []),
      ],
      responses: {
        [String(route.status)]: {
          description: 'Success',
          content: { 'application/json': { schema: jsonSchema(route.response(views)) } },
        },
        '400': problem('INVALID_ARGUMENT'),
        ...(route.scope
          ? { '401': problem('UNAUTHENTICATED'), '403': problem('PERMISSION_DENIED') }
          : {}),
        ...(isMutating(route)
          ? {
              '409': problem('ALREADY_EXISTS, ABORTED or FAILED_PRECONDITION'),
              '412': problem('ABORTED (If-Match)'),
              '422': problem('IDEMPOTENCY_MISMATCH'),
            }
          : {}),
        '429': problem('RESOURCE_EXHAUSTED'),
        '503': problem('UNAVAILABLE'),
      },
    };
    if (route.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.body) } },
      };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = op;
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'shellgate',
      version: '1',
      description: 'Control plane of a sandbox gateway. Every object carries a resourceVersion.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: jsonSchema(views.Problem) },
    },
  };
  return cached;
}
