import * as z from 'zod/mini';
import { LIMITS } from '#lib/domain/limits.ts';
import { bytes, DNS_LABEL, labels, name, preconditions } from './common.ts';

/** A string map with per-key and per-value byte limits and an entry limit. */
function boundedMap(maxEntries: number) {
  return z
    .record(
      z.string().check(
        z.minLength(1, 'keys must not be empty'),
        z.refine(
          (k) => bytes(k) <= LIMITS.mapKeyBytes,
          `keys are at most ${LIMITS.mapKeyBytes} bytes`,
        ),
      ),
      z
        .string()
        .check(
          z.refine(
            (v) => bytes(v) <= LIMITS.mapValueBytes,
            `values are at most ${LIMITS.mapValueBytes} bytes`,
          ),
        ),
    )
    .check(z.refine((m) => Object.keys(m).length <= maxEntries, `at most ${maxEntries} entries`));
}

export const providerType = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(63),
    z.regex(DNS_LABEL, 'must be a slug: lowercase letters, digits and "-"'),
  );

export const CreateProviderBody = z.strictObject({
  name: z.optional(name),
  labels: z.optional(labels),
  type: providerType,
  credentials: boundedMap(LIMITS.providerCredentials).check(
    z.refine((m) => Object.keys(m).length >= 1, 'at least one credential is required'),
  ),
  config: z.optional(boundedMap(LIMITS.providerConfig)),
  ...preconditions,
});
export type CreateProviderBody = z.infer<typeof CreateProviderBody>;

export const UpdateProviderBody = z.strictObject({
  type: z.optional(providerType),
  credentials: z.optional(boundedMap(LIMITS.providerCredentials)),
  config: z.optional(boundedMap(LIMITS.providerConfig)),
  ...preconditions,
});
export type UpdateProviderBody = z.infer<typeof UpdateProviderBody>;
