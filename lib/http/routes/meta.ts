import { meta as contracts } from '#lib/contract/meta.ts';
import { bindGroup } from '../route.ts';

/**
 * The `meta` function's routes (`lib/contract/meta.ts`): the public ones. It also answers
 * requests no route matches (`$default`). The OpenAPI document, the reference page and the
 * methods of a path come from the document `npm run openapi` generated (`../served.ts`): the
 * function loads no contract but its own, and the document only when a request needs it.
 */
export const meta = bindGroup(
  contracts,
  {
    healthz: { dynamo: [], run: async () => ({ body: { status: 'ok' } }) },
    openapi: {
      dynamo: [],
      run: async () => ({ body: (await import('../served.ts')).servedDocument() }),
    },
    docs: {
      dynamo: [],
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
