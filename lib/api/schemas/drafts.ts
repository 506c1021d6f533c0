import * as z from 'zod/mini';
import { childPrefix } from '#lib/domain/keys.ts';
import { LIMITS } from '#lib/domain/limits.ts';
import { bytes, name, PreconditionQuery, pagination, preconditions } from './common.ts';
import { proposedRule, ruleName } from './network-rules.ts';

/** A draft's id as `draftId` makes it: `d` and 23 hex digits of its dedupKey's SHA-256. */
export const draftIdSchema = z
  .string()
  .check(z.regex(/^d[0-9a-f]{23}$/, 'must be a draft id: "d" and 23 hexadecimal digits'));

const text = z.string().check(
  z.minLength(1),
  z.refine((v) => bytes(v) <= LIMITS.draftTextBytes, `is at most ${LIMITS.draftTextBytes} bytes`),
);

const reviewVersion = z.number().check(z.int(), z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER));

export const DraftParams = z.strictObject({ name, id: draftIdSchema });

export const DraftSubmitBody = z.strictObject({
  ruleName,
  rule: proposedRule,
  dedupKey: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  hits: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(100))),
  rationale: z.optional(text),
  ...preconditions,
});
export type DraftSubmitBody = z.infer<typeof DraftSubmitBody>;

export const DraftStatus = z.enum(['PENDING', 'APPROVED', 'REJECTED']);

export const DraftListQuery = z.strictObject({
  ...pagination({ byKind: false, children: [childPrefix.draftOrder] }),
  status: z.optional(DraftStatus),
});

export const DraftHistoryQuery = z.strictObject({
  ...pagination({ byKind: false, children: [childPrefix.draftEvent] }),
});

export const DraftEditBody = z.strictObject({
  rule: proposedRule,
  expectedReviewVersion: z.optional(reviewVersion),
  ...preconditions,
});
export type DraftEditBody = z.infer<typeof DraftEditBody>;

export const DraftDecisionBody = z.strictObject({
  expectedReviewVersion: z.optional(reviewVersion),
  ...preconditions,
});
export type DraftDecisionBody = z.infer<typeof DraftDecisionBody>;

export const DraftRejectBody = z.strictObject({
  reason: z.optional(text),
  expectedReviewVersion: z.optional(reviewVersion),
  ...preconditions,
});
export type DraftRejectBody = z.infer<typeof DraftRejectBody>;

export const DraftApproveManyBody = z.strictObject({
  drafts: z.optional(
    z
      .array(
        z.strictObject({ id: draftIdSchema, expectedReviewVersion: z.optional(reviewVersion) }),
      )
      .check(
        z.minLength(1),
        z.maxLength(LIMITS.approveAllDrafts, {
          error: `one approval commits at most ${LIMITS.approveAllDrafts} drafts`,
        }),
        z.refine(
          (drafts) => new Set(drafts.map((d) => d.id)).size === drafts.length,
          'names each draft once',
        ),
      ),
  ),
  ...preconditions,
});
export type DraftApproveManyBody = z.infer<typeof DraftApproveManyBody>;

/** Clear deletes the PENDING drafts: the only status it takes. */
export const DraftClearQuery = z.strictObject({
  status: z.optional(z.literal('PENDING')),
  ...PreconditionQuery.shape,
});
