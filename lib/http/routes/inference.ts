import { inferenceRouteView } from '#lib/api/schemas/inference.ts';
import { inference as contracts } from '#lib/contract/inference.ts';
import {
  getInferenceRoute,
  listInferenceRoutes,
  upsertInferenceRoute,
} from '#lib/domain/inference.ts';
import { bindGroup, CAS, created, one, page, pathTo, READ } from '../route.ts';

/** The `inference` function's routes (`lib/contract/inference.ts`) with their use-cases. */
export const inference = bindGroup(contracts, {
  listInferenceRoutes: {
    dynamo: READ,
    run: async (ctx, { query }) => ({
      body: page(await listInferenceRoutes(ctx, query), inferenceRouteView),
    }),
  },
  getInferenceRoute: {
    dynamo: READ,
    run: async (ctx, { params }) =>
      one(await getInferenceRoute(ctx, params.name), inferenceRouteView),
  },
  upsertInferenceRoute: {
    dynamo: CAS,
    run: async (ctx, { params, body }) => {
      const res = await upsertInferenceRoute(ctx, params.name, body);
      return res.created
        ? created(res.route, inferenceRouteView, pathTo('/v1/inference/routes/{name}', params))
        : one(res.route, inferenceRouteView);
    },
  },
});
