import { routeGroup } from '../route.ts';

/**
 * The `meta` function's routes: the public ones. It also answers requests no route matches
 * (`$default`). The OpenAPI document and the methods of a path need every route, so they and
 * the route table load on the first request that needs them only.
 */
export const meta = routeGroup(
  'meta',
  [
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
      response: (v) => v.OpenApiDocumentView,
      status: 200,
      dynamo: [],
      run: async () => {
        const { openApiDocument, servedDocumentOptions } = await import('../openapi.ts');
        return { body: openApiDocument(servedDocumentOptions()) };
      },
    },
    {
      method: 'GET',
      path: '/docs',
      operationId: 'docs',
      summary: 'The API reference: this document as one self-contained HTML page',
      scope: null,
      response: (v) => v.HtmlPageView,
      mediaType: 'text/html; charset=utf-8',
      status: 200,
      dynamo: [],
      run: async () => {
        const [{ docsPage }, { openApiDocument, servedDocumentOptions }] = await Promise.all([
          import('../docs-page.ts'),
          import('../openapi.ts'),
        ]);
        return { body: docsPage(openApiDocument(servedDocumentOptions())) };
      },
    },
  ],
  {
    allowedMethods: async (path) => (await import('../route-paths.ts')).routeTableMethods(path),
  },
);
