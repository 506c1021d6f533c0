import { AlreadyExists } from '#lib/errors.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import type { InferenceRouteInput } from './inputs.ts';
import { index, Kind, keys } from './keys.ts';
import type { InferenceRouteData } from './types.ts';

const subject = (name: string) => ({ kind: Kind.InferenceRoute, name });
const DEFAULT_TIMEOUT_SECONDS = 60;

export interface UpsertResult {
  route: StoredObject<InferenceRouteData>;
  created: boolean;
}

/**
 * Creates the route (only a free key accepts a create), or updates it through CAS. With a version
 * (client-driven) it only updates; two concurrent first upserts make one route at version 1
 * and the loser updates it.
 */
export async function upsertInferenceRoute(
  ctx: OperationContext,
  name: string,
  body: InferenceRouteInput,
): Promise<UpsertResult> {
  const data: InferenceRouteData = {
    providerName: body.providerName,
    modelId: body.modelId,
    timeoutSeconds: body.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
  };
  const update = async (current?: StoredObject<InferenceRouteData>) => {
    const res = await ctx.store.update<InferenceRouteData>(
      keys.inferenceRoute(name),
      subject(name),
      // PUT replaces the route: an omitted timeout takes its default again.
      { apply: () => data },
      { ...preconditionOf(ctx), current },
    );
    return { route: observe(ctx, res).object, created: false };
  };
  if ((ctx.expectedResourceVersion ?? 0) > 0) return update();
  try {
    const res = await ctx.store.create<InferenceRouteData>(
      {
        key: keys.inferenceRoute(name),
        kind: Kind.InferenceRoute,
        name,
        data,
        index: index.inferenceRoute(name),
      },
      { requestId: ctx.requestId },
    );
    return { route: observe(ctx, res).object, created: true };
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
    // The failed create returned the route: update it from there, without reading it again.
    return update(err.existing as StoredObject<InferenceRouteData> | undefined);
  }
}

export function getInferenceRoute(ctx: OperationContext, name: string) {
  return ctx.store.mustGet<InferenceRouteData>(keys.inferenceRoute(name), subject(name));
}

export function listInferenceRoutes(
  ctx: OperationContext,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<InferenceRouteData>>> {
  return ctx.store.list<InferenceRouteData>(Kind.InferenceRoute, opts);
}
