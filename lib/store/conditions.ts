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
