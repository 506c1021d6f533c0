import * as z from 'zod/mini';
import type { InferenceRouteInput } from '#lib/domain/inference.ts';
import { name, preconditions, type Yields } from './common.ts';

export const InferenceRouteBody = z.strictObject({
  providerName: name,
  modelId: z.string().check(z.minLength(1), z.maxLength(256)),
  timeoutSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3600))),
  ...preconditions,
});
export type InferenceRouteBody = z.infer<typeof InferenceRouteBody>;

/** Compiles only while the body yields what the use-case takes (the floors point one way). */
export type InferenceRouteConformance = Yields<InferenceRouteBody, InferenceRouteInput>;
