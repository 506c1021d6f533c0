import { ListQuery, NameParams, PreconditionQuery } from '#lib/api/schemas/common.ts';
import { CreateProviderBody, UpdateProviderBody } from '#lib/api/schemas/providers.ts';
import { providerView } from '#lib/api/views.ts';
import {
  createProvider,
  deleteProvider,
  getProvider,
  listProviders,
  updateProvider,
} from '#lib/domain/providers.ts';
import { CAS, CAS_DELETE, created, one, page, pathTo, READ, routeGroup } from '../route.ts';

/** The `providers` function's routes. */
export const providers = routeGroup('providers', [
  {
    method: 'POST',
    path: '/v1/providers',
    operationId: 'createProvider',
    summary: 'Create a provider',
    scope: 'provider:write',
    body: CreateProviderBody,
    response: (v) => v.ProviderView,
    status: 201,
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
  {
    method: 'GET',
    path: '/v1/providers',
    operationId: 'listProviders',
    summary: 'List providers',
    scope: 'provider:read',
    query: ListQuery,
    response: (v) => v.ProviderListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listProviders(ctx, query), providerView) }),
  },
  {
    method: 'GET',
    path: '/v1/providers/{name}',
    operationId: 'getProvider',
    summary: 'Get a provider',
    scope: 'provider:read',
    params: NameParams,
    response: (v) => v.ProviderView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) => one(await getProvider(ctx, params.name), providerView),
  },
  {
    method: 'PATCH',
    path: '/v1/providers/{name}',
    operationId: 'updateProvider',
    summary: 'Merge credentials and config key by key (an empty string deletes a key)',
    scope: 'provider:write',
    params: NameParams,
    body: UpdateProviderBody,
    response: (v) => v.ProviderView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await updateProvider(ctx, params.name, body), providerView),
  },
  {
    method: 'DELETE',
    path: '/v1/providers/{name}',
    operationId: 'deleteProvider',
    summary: 'Delete a provider that no sandbox lists',
    scope: 'provider:write',
    params: NameParams,
    query: PreconditionQuery,
    response: (v) => v.ProviderView,
    status: 200,
    dynamo: CAS_DELETE,
    run: async (ctx, { params }) => one(await deleteProvider(ctx, params.name), providerView),
  },
]);
