import { providerView } from '#lib/api/views.ts';
import { providers as contracts } from '#lib/contract/providers.ts';
import {
  createProvider,
  deleteProvider,
  getProvider,
  listProviders,
  updateProvider,
} from '#lib/domain/providers.ts';
import {
  bindGroup,
  CAS,
  CAS_DELETE,
  COST_RULES,
  created,
  one,
  page,
  pathTo,
  READ,
} from '../route.ts';

/** The `providers` function's routes (`lib/contract/providers.ts`) with their use-cases. */
export const providers = bindGroup(contracts, {
  createProvider: {
    dynamo: CAS,
    run: async (ctx, { body }) => {
      const provider = await createProvider(ctx, body);
      return created(
        provider,
        providerView,
        pathTo('/v1/providers/{name}', { name: provider.name }),
      );
    },
  },
  listProviders: {
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listProviders(ctx, query), providerView) }),
  },
  getProvider: {
    dynamo: READ,
    run: async (ctx, { params }) => one(await getProvider(ctx, params.name), providerView),
    cost: {
      requests: { GetItem: 1 },
      source: COST_RULES,
      oneRequest: 'get',
    },
  },
  updateProvider: {
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await updateProvider(ctx, params.name, body), providerView),
  },
  deleteProvider: {
    dynamo: CAS_DELETE,
    run: async (ctx, { params }) => one(await deleteProvider(ctx, params.name), providerView),
  },
});
