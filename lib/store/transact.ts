import { createHash } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Aborted, AlreadyExists, NotFound, ResourceExhausted, Unavailable } from '#lib/errors.ts';
import { PLATFORM } from '#lib/platform-limits.ts';
import {
  A,
  type Item,
  isLive,
  newItem,
  TOMBSTONE_TTL_SECONDS,
  toObject,
  versionOf,
} from './attributes.ts';
import { backoff, MAX_ATTEMPTS } from './backoff.ts';
import { updateExpression, versionBump } from './conditions.ts';
import {
  applyChanges,
  type Change,
  COUNT,
  type Condition,
  FROZEN,
  Placeholders,
  renderChanges,
  renderCondition,
  where,
} from './expression.ts';
import type { TableHandle } from './handle.ts';
import { isTransactionCanceled, translateSdkError } from './sdk-errors.ts';
import type { ItemKey, NewObject, StoredObject } from './types.ts';

interface Subject {
  kind: string;
  name: string;
}

/** Explains a failed condition from the item as it was (undefined: absent or deleted). */
export type FailureExplainer = (old: Item | undefined) => Error;

/** What every op may add: a condition of its own, and how to explain its failure. */
interface Guarded {
  condition?: Condition;
  failure?: FailureExplainer;
}

/**
 * `anyVersion`: the write is conditioned on the base's id and on its own `condition` (the fields
 * the change depends on) instead of the base's version, so a write that commutes with it (a
 * counter moved by a blind UpdateItem) never makes it fail. An update then needs `changes`
 * (writing the whole data would undo what commuted) and still moves the version by one; its
 * new object is not known without a read, so its entry in `objects` is undefined. A delete
 * turns the item into a tombstone in place, at the version it is at.
 */
interface AnyVersion {
  anyVersion?: boolean;
}

export type TransactOp =
  | { type: 'create'; object: NewObject<unknown> }
  | ({
      type: 'update';
      subject: Subject;
      /** The object the new data was computed from; its version is the condition. */
      base: StoredObject<unknown>;
      /** The whole new data; or, with `changes`, omitted. */
      data?: unknown;
      /**
       * Structured changes instead of the whole data, so a small change to a large object stays
       * a small write; the new object is computed from them in memory.
       */
      changes?: readonly Change[];
      expectedId?: string;
    } & Guarded &
      AnyVersion)
  | ({
      type: 'delete';
      subject: Subject;
      base: StoredObject<unknown>;
      expectedId?: string;
    } & Guarded &
      AnyVersion)
  | { type: 'check'; key: ItemKey; condition: Condition; failure: FailureExplainer }
  /** Moves a counter record (created at 0 on first use); no version, no receipt. */
  | ({ type: 'counter'; key: ItemKey; by: number } & Guarded)
  /** Writes a bookkeeping record (not an object: no version, no receipt). */
  | ({ type: 'putRecord'; key: ItemKey; record: Item } & Guarded)
  | ({ type: 'deleteRecord'; key: ItemKey } & Guarded)
  /**
   * Freezes an object: from now on no write of the store accepts it (`where.notFrozen` is part
   * of every object write), as its owner is being deleted. Its version and data stay.
   */
  | ({ type: 'freeze'; key: ItemKey } & Guarded);

export interface TransactResult {
  /** Per op: the object it created or updated, computed without a read; else undefined. */
  objects: Array<StoredObject<unknown> | undefined>;
  attempts: number;
}

const TRANSIENT_REASONS = new Set(['TransactionConflict', 'ThrottlingError']);
const THROTTLE_REASONS = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/**
 * The condition every write of an object carries: its version, its id (the one expected, else
 * the base's: an object deleted and created again under the name starts at version 1 again and
 * may reach the base's version, but it is another object), not frozen.
 */
function objectCondition(base: StoredObject<unknown>, expectedId?: string): Condition {
  const id = idOf(base, expectedId);
  return where.and(
    where.version(base.resourceVersion),
    where.notFrozen(),
    ...(id ? [where.id(id)] : []),
  );
}

/** The id a write of `base` is conditioned on; none for an item written before ids existed. */
const idOf = (base: StoredObject<unknown>, expectedId?: string): string | undefined =>
  expectedId ?? base.id;

/** The condition of an `anyVersion` write: the same object (its id), live and not frozen. */
function anyVersionCondition(base: StoredObject<unknown>): Condition {
  return where.and(where.live(), where.notFrozen(), where.id(base.id));
}

/** What a tombstone does not keep of the object it replaces (it keeps key, kind, id, version). */
const TOMBSTONE_DROPS = [
  A.name,
  A.createdAt,
  A.updatedAt,
  A.labels,
  A.data,
  A.gsi1pk,
  A.gsi1sk,
] as const;

const conditionOf = (...parts: Array<Condition | undefined>): Condition | undefined => {
  const present = parts.filter((c): c is Condition => c !== undefined);
  return present.length === 0
    ? undefined
    : present.length === 1
      ? present[0]
      : where.and(...present);
};

/** ConditionExpression and placeholders, or nothing when there is no condition. */
function rendered(p: Placeholders, condition: Condition | undefined) {
  const expression = condition ? renderCondition(condition, p) : undefined;
  return {
    ...(expression ? { ConditionExpression: expression } : {}),
    ExpressionAttributeNames: p.namesOrUndefined,
    ExpressionAttributeValues: p.valuesOrUndefined,
  };
}

/**
 * Runs several writes atomically in one TransactWriteItems, each with its version or existence
 * condition. A cancellation is explained per failing item (ALREADY_EXISTS, NOT_FOUND, ABORTED
 * with the current object, or the op's own explanation). `TransactionConflict` and throttling
 * are retried with backoff, never reported as version conflicts. A `ClientRequestToken`
 * derived from the request id makes the SDK's retries of a lost response idempotent.
 */
export async function transactWrite(
  store: TableHandle,
  ops: TransactOp[],
  opts: { requestId: string },
): Promise<TransactResult> {
  const at = new Date().toISOString();
  const objects: Array<StoredObject<unknown> | undefined> = [];
  const items = ops.map((op, i) => {
    const TableName = store.tableName;
    const p = new Placeholders(`o${i}`);
    const ReturnValuesOnConditionCheckFailure = 'ALL_OLD' as const;
    switch (op.type) {
      case 'create': {
        const item = newItem(op.object, opts.requestId);
        objects.push(toObject(item));
        return {
          Put: {
            TableName,
            Item: item,
            ...rendered(p, where.absent()),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'update': {
        const expected = op.base.resourceVersion;
        if (op.anyVersion && !op.changes) {
          throw new Error('an update at any version writes structured changes, not whole data');
        }
        const condition = conditionOf(
          op.anyVersion ? anyVersionCondition(op.base) : objectCondition(op.base, op.expectedId),
          op.condition,
        );
        const { set, remove } = op.changes
          ? renderChanges(op.changes, p)
          : { set: [`${p.name(A.data)} = ${p.value(op.data)}`], remove: [] };
        set.push(
          `${p.name(A.updatedAt)} = ${p.value(at)}`,
          `${p.name(A.receipt)} = ${p.value(opts.requestId)}`,
        );
        const bump = op.anyVersion ? { add: `${p.name(A.version)} ${p.value(1)}` } : undefined;
        const update = updateExpression(set, remove, bump ?? versionBump(expected, p));
        const newData = op.changes ? applyChanges(op.base.data, op.changes) : op.data;
        objects.push(
          op.anyVersion
            ? undefined
            : { ...op.base, data: newData, resourceVersion: expected + 1, updatedAt: at },
        );
        return {
          Update: {
            TableName,
            Key: op.base.key,
            UpdateExpression: update,
            ...rendered(p, condition),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'delete': {
        objects.push(undefined);
        if (op.anyVersion) {
          // The tombstone is made in place, so the version stays what it is, unread.
          const set = [
            `${p.name(A.tombstone)} = ${p.value(true)}`,
            `${p.name(A.receipt)} = ${p.value(opts.requestId)}`,
            `${p.name(A.expiresAt)} = ${p.value(Math.floor(Date.now() / 1000) + TOMBSTONE_TTL_SECONDS)}`,
          ];
          const remove = TOMBSTONE_DROPS.map((a) => p.name(a));
          return {
            Update: {
              TableName,
              Key: op.base.key,
              UpdateExpression: updateExpression(set, remove, {}),
              ...rendered(p, conditionOf(anyVersionCondition(op.base), op.condition)),
              ReturnValuesOnConditionCheckFailure,
            },
          };
        }
        return {
          Put: {
            TableName,
            Item: {
              ...op.base.key,
              [A.tombstone]: true,
              [A.version]: op.base.resourceVersion,
              [A.id]: op.base.id,
              [A.kind]: op.base.kind,
              [A.receipt]: opts.requestId,
              [A.expiresAt]: Math.floor(Date.now() / 1000) + TOMBSTONE_TTL_SECONDS,
            },
            ...rendered(p, conditionOf(objectCondition(op.base, op.expectedId), op.condition)),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'check': {
        objects.push(undefined);
        const r = rendered(p, op.condition);
        return {
          ConditionCheck: {
            TableName,
            Key: op.key,
            ConditionExpression: r.ConditionExpression!,
            ExpressionAttributeNames: r.ExpressionAttributeNames,
            ExpressionAttributeValues: r.ExpressionAttributeValues,
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'counter': {
        objects.push(undefined);
        const update = `ADD ${p.name(COUNT)} ${p.value(op.by)}`;
        return {
          Update: {
            TableName,
            Key: op.key,
            UpdateExpression: update,
            ...rendered(p, op.condition),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'freeze': {
        objects.push(undefined);
        const update = `SET ${p.name(FROZEN)} = ${p.value(true)}`;
        return {
          Update: {
            TableName,
            Key: op.key,
            UpdateExpression: update,
            ...rendered(p, conditionOf(where.live(), op.condition)),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'putRecord': {
        objects.push(undefined);
        return {
          Put: {
            TableName,
            Item: { ...op.record, ...op.key },
            ...rendered(p, op.condition),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
      case 'deleteRecord': {
        objects.push(undefined);
        return {
          Delete: {
            TableName,
            Key: op.key,
            ...rendered(p, op.condition),
            ReturnValuesOnConditionCheckFailure,
          },
        };
      }
    }
    throw new Error(`unknown transaction op ${(op as { type: string }).type}`);
  });

  const serialized = JSON.stringify(items);
  assertWithinTransactionLimits(items.length, Buffer.byteLength(serialized));
  // The token covers the content too: a different transaction under the same request id (a
  // fallback, a re-read) must not be mistaken for a retry of the first.
  const fingerprint = createHash('sha256').update(serialized).digest('base64url');
  for (let attempt = 1; ; attempt++) {
    try {
      await store.client.send(
        new TransactWriteCommand({
          TransactItems: items,
          ClientRequestToken: createHash('sha256')
            .update(`${opts.requestId}:${attempt}:${fingerprint}`)
            .digest('base64url')
            .slice(0, 36),
        }),
      );
      return { objects, attempts: attempt };
    } catch (err) {
      if (!isTransactionCanceled(err)) translateSdkError(err);
      const reasons = err.CancellationReasons ?? [];
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed >= 0) {
        const olds = reasons.map((r) =>
          r.Item ? unmarshall(r.Item as Parameters<typeof unmarshall>[0]) : undefined,
        );
        const old = olds[failed];
        // This request's transaction already committed (a retry after its response was
        // lost, past the token's reach): the failing item carries its receipt at the version
        // the transaction wrote. Transactions are atomic, so all of it took effect.
        if (alreadyApplied(ops[failed]!, old, opts.requestId)) {
          return {
            objects: objects.map((o, i) => (olds[i] && isLive(olds[i]) ? toObject(olds[i]) : o)),
            attempts: attempt,
          };
        }
        throw explain(ops[failed]!, old);
      }
      const codes = reasons.map((r) => r.Code ?? 'None');
      const transient = codes.some((c) => TRANSIENT_REASONS.has(c) || THROTTLE_REASONS.has(c));
      if (!transient) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        if (codes.some((c) => THROTTLE_REASONS.has(c)))
          throw new ResourceExhausted(1, { cause: err });
        throw new Unavailable(1, { cause: err });
      }
      await backoff(attempt);
    }
  }
}

/**
 * A transaction over DynamoDB's limits would be refused by AWS after the use-case had decided
 * on it; the use-cases size their transactions with {@link PLATFORM} so this never fires.
 */
function assertWithinTransactionLimits(count: number, bytes: number): void {
  const { transactionItems, transactionBytes } = PLATFORM.dynamodb;
  if (count > transactionItems) {
    throw new Error(`a transaction of ${count} items exceeds ${transactionItems}`);
  }
  if (bytes > transactionBytes) {
    throw new Error(`a transaction of ${bytes} bytes exceeds ${transactionBytes}`);
  }
}

function alreadyApplied(op: TransactOp, old: Item | undefined, requestId: string): boolean {
  if (!old || old[A.receipt] !== requestId) return false;
  if (op.type === 'create') return isLive(old) && versionOf(old) === 1;
  // The receipt is this attempt's own; at any version, it is all there is to go by.
  if (op.type === 'update' && op.anyVersion) return isLive(old);
  if (op.type === 'update') return isLive(old) && versionOf(old) === op.base.resourceVersion + 1;
  if (op.type === 'delete') return old[A.tombstone] === true;
  return false;
}

function explain(op: TransactOp, old: Item | undefined): Error {
  switch (op.type) {
    case 'create':
      return new AlreadyExists(
        op.object.kind,
        op.object.name,
        isLive(old) ? toObject(old) : undefined,
      );
    case 'update':
    case 'delete': {
      if (!isLive(old)) return new NotFound(op.subject.kind, op.subject.name);
      const version = versionOf(old);
      const id = op.anyVersion ? op.base.id : idOf(op.base, op.expectedId);
      const idMismatch = id !== undefined && old[A.id] !== id;
      const versionMoved = !op.anyVersion && version !== op.base.resourceVersion;
      if (versionMoved || idMismatch || !op.failure) {
        return new Aborted(op.subject.kind, op.subject.name, version, toObject(old));
      }
      return op.failure(old);
    }
    case 'check':
      return op.failure(isLive(old) ? old : undefined);
    default:
      return op.failure ? op.failure(old) : new Error(`the ${op.type} condition failed`);
  }
}
