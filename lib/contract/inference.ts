import { ListQuery, NameParams } from '#lib/api/schemas/common.ts';
import { InferenceRouteBody, inferenceViews } from '#lib/api/schemas/inference.ts';
import { contract, contractGroup } from './contract.ts';

/** The `inference` function's routes: inference routes. */
export const inference = contractGroup(
  'inference',
  'Inference routes: which provider and model serve a route.',
  [
    contract({
      method: 'GET',
      path: '/v1/inference/routes',
      operationId: 'listInferenceRoutes',
      summary: 'List inference routes',
      scope: 'inference:read',
      query: ListQuery,
      response: (v) => inferenceViews(v).InferenceRouteListView,
      status: 200,
      example: {},
    }),
    contract({
      method: 'GET',
      path: '/v1/inference/routes/{name}',
      operationId: 'getInferenceRoute',
      summary: 'Get an inference route',
      scope: 'inference:read',
      params: NameParams,
      response: (v) => inferenceViews(v).InferenceRouteView,
      status: 200,
      example: { params: { name: 'chat' } },
    }),
    contract({
      method: 'PUT',
      path: '/v1/inference/routes/{name}',
      operationId: 'upsertInferenceRoute',
      summary: 'Create or update an inference route',
      scope: 'inference:write',
      params: NameParams,
      body: InferenceRouteBody,
      response: (v) => inferenceViews(v).InferenceRouteView,
      status: 200,
      upsert: true,
      notFound: false,
      example: { params: { name: 'chat' }, body: { providerName: 'github', modelId: 'gpt-4o' } },
    }),
  ],
);
