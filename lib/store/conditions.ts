import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { A, type Item } from './attributes.ts';
import type { Placeholders } from './expression.ts';

/**
 * The version bump: ADD for a write based on a stamped version; from version 1 (which a legacy
 * item without the attribute also reads as) or with no base at all (a write without a read),
 * `if_not_exists` makes a missing attribute count as 1.
 */
export function versionBump(
  expected: number | undefined,
  p: Placeholders,
): { set?: string; add?: string } {
  const rv = p.name(A.version);
  const one = p.value(1);
  return expected === undefined || expected === 1
    ? { set: `${rv} = if_not_exists(${rv}, ${one}) + ${one}` }
    : { add: `${rv} ${one}` };
}

/** SET, REMOVE and ADD clauses as one UpdateExpression. */
export function updateExpression(
  set: readonly string[],
  remove: readonly string[],
  bump: { set?: string; add?: string },
): string {
  const sets = [...set, ...(bump.set ? [bump.set] : [])];
  let expression = sets.length ? `SET ${sets.join(', ')}` : '';
  if (remove.length) expression += ` REMOVE ${remove.join(', ')}`;
  if (bump.add) expression += ` ADD ${bump.add}`;
  return expression.trim();
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
