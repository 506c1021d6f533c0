import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Item } from './attributes.ts';

/** Condition on the expected version; an item without a version (legacy) matches version 1. */
export function versionCondition(expected: number): string {
  const live = 'attribute_not_exists(#tomb)';
  return expected === 1
    ? `(#rv = :expected OR (attribute_not_exists(#rv) AND attribute_exists(#pk))) AND ${live}`
    : `#rv = :expected AND ${live}`;
}

/** The version bump: ADD for stamped items; a legacy item at (implicit) version 1 goes to 2. */
export function versionBump(expected: number): { set?: string; add?: string } {
  return expected === 1 ? { set: '#rv = if_not_exists(#rv, :one) + :one' } : { add: '#rv :one' };
}

/** Reads the item that DynamoDB returned with a failed condition (`ALL_OLD`), raw or unmarshalled. */
export function oldItemOf(err: unknown): Item | undefined {
  const raw = (err as { Item?: Record<string, unknown> }).Item;
  if (!raw) return undefined;
  return unmarshall(raw as Parameters<typeof unmarshall>[0]);
}

export function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err as { name?: string })?.name === 'ConditionalCheckFailedException'
  );
}
