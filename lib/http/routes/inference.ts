import { ListQuery, NameParams } from '#lib/api/schemas/common.ts';
import { InferenceRouteBody } from '#lib/api/schemas/inference.ts';
import { inferenceRouteView } from '#lib/api/views.ts';
import {
  getInferenceRoute,
  listInferenceRoutes,
  upsertInferenceRoute,
} from '#lib/domain/inference.ts';
import { CAS, created, one, page, pathTo, READ, routeGroup } from '../route.ts';

/** The `inference` function's routes: inference routes. */
export const inference = routeGroup('inference', [
  {
    method: 'GET',
    path: '/v1/inference/routes',
    operationId: 'listInferenceRoutes',
    summary: 'List inference routes',
    scope: 'inference:read',
    query: ListQuery,
    response: (v) => v.InferenceRouteListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({
      body: page(await listInferenceRoutes(ctx, query), inferenceRouteView),
    }),
  },
  {
    method: 'GET',
    path: '/v1/inference/routes/{name}',
    operationId: 'getInferenceRoute',
    summary: 'Get an inference route',
    scope: 'inference:read',
    params: NameParams,
    response: (v) => v.InferenceRouteView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) =>
      one(await getInferenceRoute(ctx, params.name), inferenceRouteView),
  },
  {
    method: 'PUT',
    path: '/v1/inference/routes/{name}',
    operationId: 'upsertInferenceRoute',
    summary: 'Create or update an inference route',
    scope: 'inference:write',
    params: NameParams,
    body: InferenceRouteBody,
    response: (v) => v.InferenceRouteView,
    status: 200,
    upsert: true,
    notFound: false,
    dynamo: CAS,
    run: async (ctx, { params, body }) => {
      const res = await upsertInferenceRoute(ctx, params.name, body);
      return res.created
        ? created(res.route, inferenceRouteView, pathTo('/v1/inference/routes/{name}', params))
        : one(res.route, inferenceRouteView);
    },
  },
]);
