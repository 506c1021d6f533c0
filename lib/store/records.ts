import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { A, type Item } from './attributes.ts';
import { isConditionFailure, oldItemOf } from './conditions.ts';
import type { TableHandle } from './handle.ts';
import { translateSdkError } from './sdk-errors.ts';
import type { ItemKey } from './types.ts';

/**
 * Bookkeeping records: items that are not API objects (provider refs, session pointers,
 * idempotency claims). They have no version; every write to them is still conditional.
 */
export class Records {
  private readonly store: TableHandle;

  constructor(table: TableHandle) {
    this.store = table;
  }

  /** Reads a bookkeeping record (an item that is not an object), strongly consistent. */
  async get(key: ItemKey): Promise<Item | undefined> {
    try {
      const res = await this.store.client.send(
        new GetCommand({ TableName: this.store.tableName, Key: key, ConsistentRead: true }),
      );
      return res.Item;
    } catch (err) {
      translateSdkError(err);
    }
  }

  /**
   * The bookkeeping records of one partition under a sort-key prefix, strongly consistent, in
   * sort-key order: all of them, or the first `limit`.
   */
  async query(pk: string, prefix: string, limit = Number.POSITIVE_INFINITY): Promise<Item[]> {
    const out: Item[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const res = await this.store.client.send(
          new QueryCommand({
            TableName: this.store.tableName,
            KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
            ExpressionAttributeNames: { '#pk': A.pk, '#sk': A.sk },
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(Number.isFinite(limit) ? { Limit: limit - out.length } : {}),
          }),
        );
        out.push(...(res.Items ?? []));
        start = res.LastEvaluatedKey;
      } while (start && out.length < limit);
    } catch (err) {
      translateSdkError(err);
    }
    return out;
  }

  /**
   * Writes a record if its key is free or its previous record expired; otherwise returns the
   * record that is there (from the failed condition, no extra read).
   */
  async claim(
    key: ItemKey,
    record: Item,
  ): Promise<{ claimed: true } | { claimed: false; existing: Item }> {
    try {
      await this.store.client.send(
        new PutCommand({
          TableName: this.store.tableName,
          Item: { ...record, ...key },
          ConditionExpression: 'attribute_not_exists(#pk) OR #exp < :now',
          ExpressionAttributeNames: { '#pk': A.pk, '#exp': A.expiresAt },
          ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true };
    } catch (err) {
      if (!isConditionFailure(err)) translateSdkError(err);
      const existing = oldItemOf(err);
      // The SDK retried a claim whose response was lost: the record is ours.
      if (!existing || existing.owner === record.owner) return { claimed: true };
      return { claimed: false, existing };
    }
  }

  /**
   * Writes a record under a key nobody else writes (its key names its writer): conditioned on
   * the key being free, and a retry of its own lost response finds its own record there.
   */
  async putNew(key: ItemKey, record: Item): Promise<void> {
    try {
      await this.store.client.send(
        new PutCommand({
          TableName: this.store.tableName,
          Item: { ...record, ...key },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': A.pk },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) translateSdkError(err);
    }
  }

  /** Sets attributes of a record while `attribute = expected` holds; false when it does not. */
  async updateIf(
    key: ItemKey,
    set: Record<string, unknown>,
    guard: { attribute: string; expected: unknown },
  ): Promise<boolean> {
    const names: Record<string, string> = { '#guard': guard.attribute };
    const values: Record<string, unknown> = { ':guard': guard.expected };
    const parts = Object.entries(set).map(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      return `#s${i} = :s${i}`;
    });
    try {
      await this.store.client.send(
        new UpdateCommand({
          TableName: this.store.tableName,
          Key: key,
          UpdateExpression: `SET ${parts.join(', ')}`,
          ConditionExpression: '#guard = :guard',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      translateSdkError(err);
    }
  }

  /** Deletes a record while `attribute = expected` holds. */
  async deleteIf(key: ItemKey, guard: { attribute: string; expected: unknown }): Promise<boolean> {
    try {
      await this.store.client.send(
        new DeleteCommand({
          TableName: this.store.tableName,
          Key: key,
          ConditionExpression: '#guard = :guard',
          ExpressionAttributeNames: { '#guard': guard.attribute },
          ExpressionAttributeValues: { ':guard': guard.expected },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      translateSdkError(err);
    }
  }
}
