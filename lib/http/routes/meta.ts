import { meta as contracts } from '#lib/contract/meta.ts';
import { bindGroup } from '../route.ts';

/**
 * The `meta` function's routes (`lib/contract/meta.ts`): the public ones. It also answers
 * requests no route matches (`$default`). The OpenAPI document and the methods of a path need
 * every contract, so they and the contract table load on the first request that needs them only.
 */
export const meta = bindGroup(
  contracts,
  {
    healthz: { dynamo: [], run: async () => ({ body: { status: 'ok' } }) },
    openapi: {
      dynamo: [],
      run: async () => {
        const { openApiDocument, servedDocumentOptions } = await import('../openapi.ts');
        return { body: openApiDocument(servedDocumentOptions()) };
      },
    },
    docs: {
      dynamo: [],
      run: async () => {
        const [{ docsPage }, { openApiDocument, servedDocumentOptions }] = await Promise.all([
          import('../docs-page.ts'),
          import('../openapi.ts'),
        ]);
        return { body: docsPage(openApiDocument(servedDocumentOptions())) };
      },
    },
  },
  {
    allowedMethods: async (path) => (await import('../route-paths.ts')).routeTableMethods(path),
  },
);
