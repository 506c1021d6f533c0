import * as z from 'zod/mini';
import type { InferenceRouteData, InferenceRouteInput } from '#lib/domain/inference.ts';
import { Kind } from '#lib/domain/keys.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { kindViews } from '../kind-views.ts';
import { metadataOf, objectView } from '../render.ts';
import { name, preconditions, type Yields } from './common.ts';

/**
 * The inference route kind on the wire, whole: what its routes take, how they render a route,
 * and the schemas of their answers.
 */

export const InferenceRouteBody = z.strictObject({
  providerName: name,
  modelId: z.string().check(z.minLength(1), z.maxLength(256)),
  timeoutSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3600))),
  ...preconditions,
});
export type InferenceRouteBody = z.infer<typeof InferenceRouteBody>;

/** Compiles only while the body yields what the use-case takes (the floors point one way). */
export type InferenceRouteConformance = Yields<InferenceRouteBody, InferenceRouteInput>;

export const inferenceRouteView = objectView(
  Kind.InferenceRoute,
  (obj: StoredObject<InferenceRouteData>) => ({
    metadata: metadataOf(obj),
    providerName: obj.data.providerName,
    modelId: obj.data.modelId,
    timeoutSeconds: obj.data.timeoutSeconds,
  }),
);

export const inferenceViews = kindViews((v) => {
  const InferenceRouteView = z.object({
    metadata: v.MetadataView,
    providerName: z.string(),
    modelId: z.string(),
    timeoutSeconds: z.number().check(z.int()),
  });
  return { InferenceRouteView, InferenceRouteListView: v.listOf(InferenceRouteView) };
});
