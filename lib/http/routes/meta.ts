import { meta as contracts } from '#lib/contract/meta.ts';
import { bindGroup, type ExampleCost } from '../route.ts';

const NO_TABLE: ExampleCost = { requests: {}, source: 'no table access' };

/**
 * The `meta` function's routes (`lib/contract/meta.ts`): the public ones. It also answers
 * requests no route matches (`$default`). The OpenAPI document, the reference page and the
 * methods of a path come from the document `npm run openapi` generated (`../served.ts`): the
 * function loads no contract but its own, and the document only when a request needs it.
 */
export const meta = bindGroup(
  contracts,
  {
    healthz: { dynamo: [], run: async () => ({ body: { status: 'ok' } }), cost: NO_TABLE },
    openapi: {
      dynamo: [],
      cost: NO_TABLE,
      run: async () => ({ body: (await import('../served.ts')).servedDocument() }),
    },
    docs: {
      dynamo: [],
      cost: NO_TABLE,
      run: async () => {
        const [{ docsPage }, { servedDocument }] = await Promise.all([
          import('../docs-page.ts'),
          import('../served.ts'),
        ]);
        return { body: docsPage(servedDocument()) };
      },
    },
  },
  {
    allowedMethods: async (path) => (await import('../served.ts')).documentMethods(path),
  },
);
