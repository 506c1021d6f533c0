import { AlreadyExists } from '#lib/errors.ts';
import type { IndexEntry, ItemKey, Page, StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import { Kind } from './keys.ts';

/**
 * The inference route kind, whole below the wire: its data, what its use-cases take, its item
 * layout and its use-cases. A kind of its own module needs no line in `keys.ts`, `types.ts` or
 * `inputs.ts`; this one is in `Kind` only because items written before versions existed are
 * stamped by the backfill (`OBJECT_KINDS`).
 */

export interface InferenceRouteData {
  providerName: string;
  modelId: string;
  timeoutSeconds: number;
}

/** What `PUT /v1/inference/routes/{name}` takes (`lib/api/schemas/inference.ts` yields it). */
export interface InferenceRouteInput {
  providerName: string;
  modelId: string;
  timeoutSeconds?: number;
}

/** Alone in its partition (docs/data-model.md), listed by name in the kind index. */
export const inferenceRouteKey = (name: string): ItemKey => ({ pk: `inference#${name}`, sk: '@' });
export const inferenceRouteIndex = (name: string): IndexEntry => ({
  gsi1pk: Kind.InferenceRoute,
  gsi1sk: name,
});

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
      inferenceRouteKey(name),
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
        key: inferenceRouteKey(name),
        kind: Kind.InferenceRoute,
        name,
        data,
        index: inferenceRouteIndex(name),
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
  return ctx.store.mustGet<InferenceRouteData>(inferenceRouteKey(name), subject(name));
}

export function listInferenceRoutes(
  ctx: OperationContext,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<InferenceRouteData>>> {
  return ctx.store.list<InferenceRouteData>(Kind.InferenceRoute, opts);
}
