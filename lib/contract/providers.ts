import { ListQuery, NameParams, PreconditionQuery } from '#lib/api/schemas/common.ts';
import { CreateProviderBody, UpdateProviderBody } from '#lib/api/schemas/providers.ts';
import { contract, contractGroup } from './contract.ts';

/** The `providers` function's routes. */
export const providers = contractGroup(
  'providers',
  'Credentials for model and code hosts; every credential value reads as REDACTED.',
  [
    contract({
      method: 'POST',
      path: '/v1/providers',
      operationId: 'createProvider',
      summary: 'Create a provider',
      scope: 'provider:write',
      body: CreateProviderBody,
      response: (v) => v.ProviderView,
      status: 201,
      example: {
        body: {
          name: 'github',
          type: 'github',
          credentials: { GITHUB_TOKEN: 'ghp-example-credential' },
        },
      },
    }),
    contract({
      method: 'GET',
      path: '/v1/providers',
      operationId: 'listProviders',
      summary: 'List providers',
      scope: 'provider:read',
      query: ListQuery,
      response: (v) => v.ProviderListView,
      status: 200,
      example: { query: { pageSize: '20' } },
    }),
    contract({
      method: 'GET',
      path: '/v1/providers/{name}',
      operationId: 'getProvider',
      summary: 'Get a provider',
      scope: 'provider:read',
      params: NameParams,
      response: (v) => v.ProviderView,
      status: 200,
      example: { params: { name: 'github' } },
    }),
    contract({
      method: 'PATCH',
      path: '/v1/providers/{name}',
      operationId: 'updateProvider',
      summary: 'Merge credentials and config key by key (an empty string deletes a key)',
      scope: 'provider:write',
      params: NameParams,
      body: UpdateProviderBody,
      response: (v) => v.ProviderView,
      status: 200,
      example: { params: { name: 'github' }, body: { config: { org: 'example' } } },
    }),
    contract({
      method: 'DELETE',
      path: '/v1/providers/{name}',
      operationId: 'deleteProvider',
      summary: 'Delete a provider that no sandbox lists',
      scope: 'provider:write',
      params: NameParams,
      query: PreconditionQuery,
      response: (v) => v.ProviderView,
      status: 200,
      example: { params: { name: 'github' } },
    }),
  ],
);
