import { routeGroup } from '../route.ts';

/**
 * The `meta` function's routes: the public ones. The OpenAPI document needs every route, so it
 * and the route table load on its first request only.
 */
export const meta = routeGroup('meta', [
  {
    method: 'GET',
    path: '/healthz',
    operationId: 'healthz',
    summary: 'Liveness',
    scope: null,
    response: (v) => v.HealthView,
    status: 200,
    dynamo: [],
    run: async () => ({ body: { status: 'ok' } }),
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    summary: 'This OpenAPI 3.1 document',
    scope: null,
    response: (v) => v.OpenApiView,
    status: 200,
    dynamo: [],
    run: async () => {
      const { openApiDocument } = await import('../openapi.ts');
      return { body: openApiDocument() };
    },
  },
]);
