import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { A, type Item } from './attributes.ts';
import { backoff } from './backoff.ts';
import type { TableHandle } from './handle.ts';
import { isTransactionCanceled, translateSdkError } from './sdk-errors.ts';
import type { ItemKey } from './types.ts';

/**
 * A sequenced, append-only log in the table (the watch feed, docs/architecture.md "Watch"):
 * entries numbered 1, 2, 3, … with no gap, each appended once however often it is offered.
 *
 * - Entries and the head are written in one transaction, so every entry numbered ≤ a head that
 *   a reader saw is committed: a reader that reads the head and then the entries up to it never
 *   misses one that lands later with a smaller number.
 * - Each entry has an id; a marker item per id, written in the same transaction on the condition
 *   that it does not exist, makes a second offer of the same entry (a consumer that crashed after
 *   committing and runs its batch again) append nothing.
 * - The head is written to `LOG_HEAD_REPLICAS` items in partitions of their own, all in the same
 *   transaction: waiting readers spread over them instead of all reading one item.
 */

/** Items the head is kept in, each its own partition. */
export const LOG_HEAD_REPLICAS = 4;
/** An entry's body is cut into parts of at most this many bytes (an item holds 400 KB). */
const PART_BYTES = 350 * 1024;
/** What one transaction may hold: 100 items, 4 MB. */
const TX_ITEMS = 100;
const TX_BYTES = 3.5 * 1024 * 1024;
const SEQ_DIGITS = 15;

const pad = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
const partition = (log: string) => `log#${log}`;
const headKey = (log: string, replica: number): ItemKey => ({
  pk: `loghead#${log}#${replica}`,
  sk: '@',
});
const entrySortKey = (seq: number, part: number) =>
  `e#${pad(seq)}.${String(part).padStart(3, '0')}`;
const markKey = (log: string, id: string): ItemKey => ({ pk: partition(log), sk: `id#${id}` });

export interface LogEntry {
  /** What makes a second offer of this entry a no-op: unique within the log. */
  id: string;
  body: Uint8Array;
  /** Small attributes readers filter on before decoding the body. */
  attrs: Record<string, string | number>;
}

export interface LogRecord extends LogEntry {
  seq: number;
}

export interface AppendResult {
  appended: number;
  /** Entries offered again and already in the log: left as they were. */
  duplicates: number;
  head: number;
}

function partsOf(body: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += PART_BYTES)
    parts.push(body.subarray(at, at + PART_BYTES));
  return parts.length ? parts : [body];
}

/**
 * Appends `entries` in their order, each once: one transaction per batch that fits in one, the
 * head moved from the value read to the batch's last number. Another appender moving the head
 * meanwhile makes it read again and retry (the store's backoff); an entry whose marker exists
 * is dropped as a duplicate. Entries expire (TTL) after `ttlSeconds`.
 */
export async function appendToLog(
  table: TableHandle,
  log: string,
  entries: readonly LogEntry[],
  opts: { ttlSeconds: number; now?: () => number },
): Promise<AppendResult> {
  // Each entry with its parts, cut once.
  let pending = entries.map((entry) => ({ entry, parts: partsOf(entry.body) }));
  let appended = 0;
  let duplicates = 0;
  let head = await logHead(table, log, 0, { consistent: true });
  const now = opts.now ?? Date.now;
  for (let attempt = 1; pending.length; ) {
    const expires = Math.floor(now() / 1000) + opts.ttlSeconds;
    const batch: typeof pending = [];
    let items = LOG_HEAD_REPLICAS;
    let bytes = 0;
    for (const next of pending) {
      const size = next.entry.body.length;
      const count = next.parts.length + 1;
      if (batch.length && (items + count > TX_ITEMS || bytes + size > TX_BYTES)) break;
      batch.push(next);
      items += count;
      bytes += size;
    }
    const last = head + batch.length;
    const puts = batch.flatMap(({ entry, parts }, i) => {
      const seq = head + 1 + i;
      return [
        ...parts.map((part, p) => ({
          Put: {
            TableName: table.tableName,
            Item: {
              pk: partition(log),
              sk: entrySortKey(seq, p),
              seq,
              id: entry.id,
              part: p,
              parts: parts.length,
              body: part,
              attrs: entry.attrs,
              [A.expiresAt]: expires,
            } satisfies Item,
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
        {
          Put: {
            TableName: table.tableName,
            Item: { ...markKey(log, entry.id), seq, [A.expiresAt]: expires },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ];
    });
    const heads = Array.from({ length: LOG_HEAD_REPLICAS }, (_, r) => ({
      Update: {
        TableName: table.tableName,
        Key: headKey(log, r),
        UpdateExpression: 'SET seq = :last',
        ...(r === 0
          ? {
              ConditionExpression:
                head === 0 ? 'attribute_not_exists(seq) OR seq = :head' : 'seq = :head',
              ExpressionAttributeValues: { ':last': last, ':head': head },
            }
          : { ExpressionAttributeValues: { ':last': last } }),
      },
    }));
    try {
      await table.client.send(new TransactWriteCommand({ TransactItems: [...heads, ...puts] }));
      appended += batch.length;
      head = last;
      pending = pending.slice(batch.length);
      attempt = 1;
    } catch (err) {
      if (!isTransactionCanceled(err)) translateSdkError(err);
      const reasons = err.CancellationReasons ?? [];
      // A marker that exists: that entry is in the log already.
      const seen = new Set<string>();
      let at = LOG_HEAD_REPLICAS;
      for (const { entry, parts } of batch) {
        at += parts.length;
        if (reasons[at]?.Code === 'ConditionalCheckFailed') seen.add(entry.id);
        at += 1;
      }
      if (seen.size) {
        duplicates += seen.size;
        pending = pending.filter(({ entry }) => !seen.has(entry.id));
      }
      // Another appender moved the head (or a marker failed with it): read it and try again.
      if (!seen.size || reasons[0]?.Code === 'ConditionalCheckFailed') {
        if (attempt >= 8) throw err;
        await backoff(attempt++);
      }
      head = await logHead(table, log, 0, { consistent: true });
    }
  }
  return { appended, duplicates, head };
}

/**
 * The head of `log` as one of its replicas holds it (0: empty), eventually consistent (half a
 * read unit): what a waiting reader polls. It may lag the newest head by a moment, never run
 * ahead of what is committed. An appender reads the first replica strongly consistent.
 */
export async function logHead(
  table: TableHandle,
  log: string,
  replica: number,
  opts: { consistent?: boolean } = {},
): Promise<number> {
  try {
    const res = await table.client.send(
      new GetCommand({
        TableName: table.tableName,
        Key: headKey(log, replica % LOG_HEAD_REPLICAS),
        ConsistentRead: opts.consistent ?? false,
      }),
    );
    return (res.Item?.seq as number | undefined) ?? 0;
  } catch (err) {
    translateSdkError(err);
  }
}

/**
 * The entries numbered in (`after`, `upTo`], in order, strongly consistent: all of them are
 * committed once a head ≥ `upTo` was seen. At most `limit` entries.
 */
export async function readLog(
  table: TableHandle,
  log: string,
  after: number,
  upTo: number,
  limit = 1000,
): Promise<LogRecord[]> {
  if (upTo <= after) return [];
  const out: LogRecord[] = [];
  let parts: Uint8Array[] = [];
  let start: Record<string, unknown> | undefined;
  try {
    do {
      const res = await table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': partition(log),
            ':from': `e#${pad(after + 1)}`,
            ':to': `e#${pad(upTo)}~`,
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) {
        parts.push(item.body as Uint8Array);
        if (parts.length < (item.parts as number)) continue;
        const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        parts = [];
        out.push({
          seq: item.seq as number,
          id: item.id as string,
          body,
          attrs: item.attrs as LogRecord['attrs'],
        });
        if (out.length >= limit) return out;
      }
      start = res.LastEvaluatedKey;
    } while (start);
  } catch (err) {
    translateSdkError(err);
  }
  return out;
}
