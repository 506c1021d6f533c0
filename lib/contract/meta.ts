import { contract, contractGroup } from './contract.ts';

/**
 * The `meta` function's routes: the public ones. Its function also answers requests no route
 * matches (`$default`).
 */
export const meta = contractGroup(
  'meta',
  'Liveness and the description of the API. Public: no token needed.',
  [
    contract({
      method: 'GET',
      path: '/healthz',
      operationId: 'healthz',
      summary: 'Liveness',
      scope: null,
      response: (v) => v.HealthView,
      status: 200,
      example: {},
    }),
    contract({
      method: 'GET',
      path: '/v1/openapi.json',
      operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document',
      scope: null,
      response: (v) => v.OpenApiDocumentView,
      status: 200,
      example: {},
    }),
    contract({
      method: 'GET',
      path: '/docs',
      operationId: 'docs',
      summary: 'The API reference: this document as one self-contained HTML page',
      scope: null,
      response: (v) => v.HtmlPageView,
      mediaType: 'text/html; charset=utf-8',
      status: 200,
      example: {},
    }),
  ],
);
