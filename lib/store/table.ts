/**
 * The one definition of shellgate's table: keys, indexes and the TTL attribute.
 * CDK builds the deployed table from it; the dev server and the tests create local tables from it.
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse index over object items that are listed by kind, ordered by `gsi1sk` (the name). */
  indexes: [{ name: 'byKind', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' }],
  /** Epoch seconds; idempotency records and tombstone receipts expire through it. */
  ttlAttribute: 'expires_at',
  /** The table's change stream, read by the watch feed's consumer (docs/architecture.md, "Watch"). */
  stream: 'NEW_AND_OLD_IMAGES',
} as const;

export type TableDefinition = typeof tableDefinition;
