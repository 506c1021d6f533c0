import * as z from 'zod/mini';
import { LIMITS } from '#lib/domain/limits.ts';
import { bytes, intString, name, PreconditionQuery, pagination, preconditions } from './common.ts';
import { policyObject } from './network-rules.ts';
import { policyOperation } from './policy-operations.ts';

export const PolicyBody = z.strictObject({ policy: policyObject, ...preconditions });
export type PolicyBody = z.infer<typeof PolicyBody>;

/**
 * A merge (SPEC §7.2): operations applied in order to the latest policy, all or none.
 * `expectedPolicyVersion` is the latest revision read (0: none, as for the global policy).
 */
export const PolicyMergeBody = z.strictObject({
  operations: z
    .array(policyOperation)
    .check(
      z.minLength(1, 'lists at least one operation'),
      z.maxLength(LIMITS.mergeOperations, `lists at most ${LIMITS.mergeOperations} operations`),
    ),
  expectedPolicyVersion: z.optional(
    z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)),
  ),
  ...preconditions,
});
export type PolicyMergeBody = z.infer<typeof PolicyMergeBody>;

/** `PUT /v1/config/policy`: `expectedPolicyVersion` is the latest global revision read (0: none). */
export const GlobalPolicyBody = z.strictObject({
  policy: policyObject,
  expectedPolicyVersion: z.optional(
    z.number().check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER)),
  ),
  ...preconditions,
});
export type GlobalPolicyBody = z.infer<typeof GlobalPolicyBody>;

/** `DELETE /v1/config/policy` takes its precondition in the query string. */
export const GlobalPolicyDeleteQuery = z.strictObject({
  expectedPolicyVersion: z.optional(intString(1, Number.MAX_SAFE_INTEGER)),
  ...PreconditionQuery.shape,
});

export const GlobalRevisionListQuery = z.strictObject({
  ...pagination({ byKind: false, children: ['rev#'] }),
});

export const RevisionStatusBody = z.strictObject({
  status: z.enum(['LOADED', 'FAILED']),
  loadError: z.optional(z.string().check(z.maxLength(4096))),
  ...preconditions,
});
export type RevisionStatusBody = z.infer<typeof RevisionStatusBody>;

export const settingValue = z.union(
  [
    z
      .string()
      .check(
        z.refine(
          (v) => bytes(v) <= LIMITS.settingValueBytes,
          `strings are at most ${LIMITS.settingValueBytes} bytes`,
        ),
      ),
    z.boolean(),
    z
      .number()
      .check(z.int(), z.minimum(Number.MIN_SAFE_INTEGER), z.maximum(Number.MAX_SAFE_INTEGER)),
  ],
  {
    error: `must be a string of at most ${LIMITS.settingValueBytes} bytes, a boolean or an integer within ±(2^53-1)`,
  },
);
export const SettingBody = z.strictObject({ value: settingValue, ...preconditions });
export type SettingBody = z.infer<typeof SettingBody>;

const SETTING_KEY = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
export const settingKey = z
  .string()
  .check(z.regex(SETTING_KEY, 'must be 1–128 letters, digits, ".", "_" or "-"'));

export const RevisionParams = z.strictObject({
  name,
  version: intString(1, Number.MAX_SAFE_INTEGER),
});
export const SandboxSettingParams = z.strictObject({ name, key: settingKey });
export const SettingParams = z.strictObject({ key: settingKey });
