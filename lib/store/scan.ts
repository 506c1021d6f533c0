import {
  type AttributeValue,
  DescribeTableCommand,
  ScanCommand as RawScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { A } from './attributes.ts';
import type { TableHandle } from './handle.ts';
import { translateSdkError } from './sdk-errors.ts';
import type { ItemKey } from './types.ts';

/** Where a parallel scan of one segment stands: DynamoDB's `LastEvaluatedKey`, opaque here. */
export type ScanCursor = Record<string, unknown>;

export interface SegmentScanOptions {
  segment: number;
  totalSegments: number;
  /** Resume after this key; from the segment's start when absent. */
  startKey?: ScanCursor;
  /** Items read per request (before the filter); DynamoDB's 1 MB page when absent. */
  limit?: number;
  /** @default false */
  consistentRead?: boolean;
}

/** An item the version scan returned, reduced to what the backfill decides on. */
export interface ScannedItem {
  key: ItemKey;
  kind?: string;
  versioned: boolean;
  tombstone: boolean;
}

export interface VersionScanPage {
  /** Items that lack a version, or are not live object items; versioned objects are filtered out. */
  items: ScannedItem[];
  /** Items read, filtered ones included. */
  scanned: number;
  /** Absent when the segment is exhausted. */
  nextKey?: ScanCursor;
}

function isConditionFailure(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

function kindValues(kinds: readonly string[]): Record<string, string> {
  return Object.fromEntries(kinds.map((k, i) => [`:k${i}`, k]));
}

function kindList(kinds: readonly string[]): string {
  return kinds.map((_, i) => `:k${i}`).join(', ');
}

/**
 * The backfill's own requests in DynamoDB's wire form, built once per list of kinds. The stamp
 * and the stamping scan run once per item of the table, and lib-dynamodb's marshalling of their
 * nine values cost more CPU than the rest of the backfill's work on an item (bench section 5).
 */
interface StampRequests {
  values: Record<string, AttributeValue>;
  stampCondition: string;
  scanFilter: string;
}

const stampRequests = new Map<string, StampRequests>();

function stampRequestsFor(kinds: readonly string[]): StampRequests {
  const id = kinds.join('\n');
  let parts = stampRequests.get(id);
  if (!parts) {
    const list = kindList(kinds);
    parts = {
      values: marshall(kindValues(kinds)),
      stampCondition: `attribute_exists(#pk) AND attribute_not_exists(#rv) AND attribute_not_exists(#tomb) AND #kind IN (${list})`,
      scanFilter: `attribute_not_exists(#rv) OR attribute_exists(#tomb) OR attribute_not_exists(#kind) OR NOT (#kind IN (${list}))`,
    };
    stampRequests.set(id, parts);
  }
  return parts;
}

/** Where one page of one segment starts and how much it reads; callers set the defaults. */
function segmentPage(
  store: TableHandle,
  opts: SegmentScanOptions,
  defaults: { limit: number | undefined; consistentRead: boolean },
) {
  return {
    TableName: store.tableName,
    Segment: opts.segment,
    TotalSegments: opts.totalSegments,
    ExclusiveStartKey: opts.startKey,
    Limit: opts.limit ?? defaults.limit,
    ConsistentRead: opts.consistentRead ?? defaults.consistentRead,
  };
}

/**
 * Reads one page of one scan segment, leaving out every live object item that already carries
 * a version: those are what the backfill skips, so `scanned - items.length` counts them
 * exactly. What comes back is either a candidate to stamp or an item that is not an object
 * (bookkeeping, tombstones, other kinds), which the caller leaves alone.
 */
export async function scanVersionPage(
  store: TableHandle,
  objectKinds: readonly string[],
  opts: SegmentScanOptions,
): Promise<VersionScanPage> {
  const parts = stampRequestsFor(objectKinds);
  const page = segmentPage(store, opts, { limit: 250, consistentRead: false });
  try {
    const res = await store.client.send(
      new RawScanCommand({
        ...page,
        // The cursor is kept in plain form (as checkpoints store it); the wire form is typed.
        ExclusiveStartKey: page.ExclusiveStartKey && marshall(page.ExclusiveStartKey),
        FilterExpression: parts.scanFilter,
        ProjectionExpression: '#pk, #sk, #kind, #rv, #tomb',
        ExpressionAttributeNames: {
          '#pk': A.pk,
          '#sk': A.sk,
          '#kind': A.kind,
          '#rv': A.version,
          '#tomb': A.tombstone,
        },
        ExpressionAttributeValues: parts.values,
      }),
    );
    return {
      items: (res.Items ?? []).map((item) => ({
        key: { pk: item[A.pk]?.S ?? '', sk: item[A.sk]?.S ?? '' },
        kind: item[A.kind]?.S,
        versioned: item[A.version] !== undefined,
        tombstone: item[A.tombstone]?.BOOL === true,
      })),
      scanned: res.ScannedCount ?? 0,
      nextKey: res.LastEvaluatedKey && unmarshall(res.LastEvaluatedKey),
    };
  } catch (err) {
    translateSdkError(err);
  }
}

export interface CountPage {
  /** Live object items of `objectKinds` without a version in this page. */
  unversioned: number;
  scanned: number;
  nextKey?: ScanCursor;
}

/**
 * Counts, in one page of one segment, the live object items that still lack a version. Nothing
 * comes back but the count, so the page is DynamoDB's full 1 MB unless `limit` says otherwise.
 */
export async function countUnversionedPage(
  store: TableHandle,
  objectKinds: readonly string[],
  opts: SegmentScanOptions,
): Promise<CountPage> {
  try {
    const res = await store.client.send(
      new ScanCommand({
        ...segmentPage(store, opts, { limit: undefined, consistentRead: true }),
        Select: 'COUNT',
        FilterExpression: `attribute_not_exists(#rv) AND attribute_not_exists(#tomb) AND #kind IN (${kindList(objectKinds)})`,
        ExpressionAttributeNames: { '#kind': A.kind, '#rv': A.version, '#tomb': A.tombstone },
        ExpressionAttributeValues: kindValues(objectKinds),
      }),
    );
    return {
      unversioned: res.Count ?? 0,
      scanned: res.ScannedCount ?? 0,
      nextKey: res.LastEvaluatedKey,
    };
  } catch (err) {
    translateSdkError(err);
  }
}

export interface StampResult {
  /** False when the item had meanwhile been versioned, deleted or was not an object. */
  stamped: boolean;
  /** Write units DynamoDB reports for the request (1 when it reports none). */
  writeUnits: number;
}

/**
 * Writes `resource_version = 1` on a legacy object item, only if it still has no version, still
 * exists, is no tombstone and is one of `objectKinds`. A concurrent API write (which sets the
 * version itself) therefore always wins, and a deleted item is never brought back.
 */
export async function stampInitialVersion(
  store: TableHandle,
  key: ItemKey,
  objectKinds: readonly string[],
): Promise<StampResult> {
  const parts = stampRequestsFor(objectKinds);
  try {
    const res = await store.client.send(
      new UpdateItemCommand({
        TableName: store.tableName,
        Key: { [A.pk]: { S: key.pk }, [A.sk]: { S: key.sk } },
        UpdateExpression: 'SET #rv = :one',
        ConditionExpression: parts.stampCondition,
        ExpressionAttributeNames: {
          '#pk': A.pk,
          '#rv': A.version,
          '#tomb': A.tombstone,
          '#kind': A.kind,
        },
        ExpressionAttributeValues: { ':one': { N: '1' }, ...parts.values },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    return { stamped: true, writeUnits: res.ConsumedCapacity?.CapacityUnits ?? 1 };
  } catch (err) {
    // A failed condition is billed as a write too.
    if (isConditionFailure(err)) return { stamped: false, writeUnits: 1 };
    translateSdkError(err);
  }
}

/** DynamoDB's item count of the table (refreshed about every six hours on AWS): for ETAs only. */
export async function estimateItemCount(store: TableHandle): Promise<number | undefined> {
  try {
    const res = await store.client.send(new DescribeTableCommand({ TableName: store.tableName }));
    return res.Table?.ItemCount;
  } catch {
    return undefined;
  }
}
