import * as z from 'zod/mini';
import { ATTACHED_CURSOR_PREFIX } from '#lib/domain/keys.ts';
import { LIMITS } from '#lib/domain/limits.ts';
import { PHASES } from '#lib/domain/types.ts';
import {
  bytes,
  isLabelKey,
  isLabelValue,
  labels,
  name,
  pagination,
  preconditions,
} from './common.ts';
import { policyObject } from './network-rules.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const SandboxSpecBody = z.strictObject({
  image: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  environment: z.optional(
    z
      .record(
        z
          .string()
          .check(z.maxLength(256), z.regex(ENV_NAME, 'must be an environment variable name')),
        z
          .string()
          .check(
            z.refine(
              (v) => bytes(v) <= LIMITS.mapValueBytes,
              `values are at most ${LIMITS.mapValueBytes} bytes`,
            ),
          ),
      )
      .check(
        z.refine(
          (m) => Object.keys(m).length <= LIMITS.environment,
          `at most ${LIMITS.environment} entries`,
        ),
      ),
  ),
  providers: z.optional(
    z.array(name).check(
      z.maxLength(LIMITS.providersPerSandbox, `at most ${LIMITS.providersPerSandbox} providers`),
      z.refine((a) => new Set(a).size === a.length, 'must not contain duplicates'),
    ),
  ),
  policy: z.optional(policyObject),
  logLevel: z.optional(z.enum(LOG_LEVELS)),
  gpu: z.optional(z.boolean()),
});

export const CreateSandboxBody = z.strictObject({
  name: z.optional(name),
  labels: z.optional(labels),
  spec: SandboxSpecBody,
  ...preconditions,
});
export type CreateSandboxBody = z.infer<typeof CreateSandboxBody>;

export const ConditionBody = z.strictObject({
  type: z.string().check(z.minLength(1), z.maxLength(63)),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.optional(z.string().check(z.maxLength(128))),
  message: z.optional(z.string().check(z.maxLength(1024))),
  lastTransitionTime: z.optional(z.iso.datetime()),
});

export const SandboxStatusBody = z.strictObject({
  phase: z.enum(PHASES),
  conditions: z.optional(
    z.array(ConditionBody).check(
      z.maxLength(LIMITS.conditions, `at most ${LIMITS.conditions} conditions`),
      z.refine(
        (a) => new Set(a.map((c) => c.type)).size === a.length,
        'condition types must be unique',
      ),
    ),
  ),
  ...preconditions,
});
export type SandboxStatusBody = z.infer<typeof SandboxStatusBody>;

export const ProviderAttachmentParams = z.strictObject({ name, provider: name });

/**
 * `k=v,k2=v2` → a map; each key and value checked with the label syntax. Bounded in length and
 * in requirements, so the filter it becomes stays far inside DynamoDB's expression limits.
 */
export const labelSelector = z.pipe(
  z.string().check(
    z.refine(
      (raw) => bytes(raw) <= LIMITS.labelSelectorBytes,
      `must be at most ${LIMITS.labelSelectorBytes} bytes`,
    ),
    z.refine(
      (raw) => raw.split(',').length <= LIMITS.labelSelectorRequirements,
      `takes at most ${LIMITS.labelSelectorRequirements} requirements`,
    ),
  ),
  z.transform((raw: string, ctx) => {
    const out: Record<string, string> = {};
    for (const part of raw.split(',')) {
      const eq = part.indexOf('=');
      const k = eq >= 0 ? part.slice(0, eq).trim() : '';
      const v = eq >= 0 ? part.slice(eq + 1).trim() : '';
      if (!isLabelKey(k) || !isLabelValue(v)) {
        ctx.issues.push({
          code: 'custom',
          message: `"${part}" is not a k=v label requirement`,
          input: raw,
        });
        return z.NEVER;
      }
      out[k] = v;
    }
    return out;
  }),
);

export const SandboxListQuery = z.strictObject({
  ...pagination({ byKind: true, children: [] }),
  labelSelector: z.optional(labelSelector),
});

/** Pages of a sandbox's attached providers: tokens hold a position in the sandbox's list. */
export const AttachedProvidersQuery = z.strictObject({
  ...pagination({ byKind: false, children: [ATTACHED_CURSOR_PREFIX] }),
});
