import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Aborted, AlreadyExists, NotFound, ResourceExhausted, Unavailable } from '#lib/errors.ts';
import { PLATFORM } from '#lib/platform-limits.ts';
import { A, type Item, isLive, TOMBSTONE_TTL_SECONDS, toObject, versionOf } from './attributes.ts';
import { backoff, MAX_ATTEMPTS } from './backoff.ts';
import { versionBump, versionCondition } from './conditions.ts';
import { translateSdkError } from './sdk-errors.ts';
import type { Store } from './store.ts';
import type { ItemKey, NewObject, StoredObject } from './types.ts';

interface Subject {
  kind: string;
  name: string;
}

/** An extra condition on an op, in the caller's own `#n`/`:v` placeholders. */
export interface Condition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** Explains a failed condition from the item as it was (undefined: absent or deleted). */
export type FailureExplainer = (old: Item | undefined) => Error;

export type TransactOp =
  | { type: 'create'; object: NewObject<unknown> }
  | {
      type: 'update';
      subject: Subject;
      /** The object the new data was computed from; its version is the condition. */
      base: StoredObject<unknown>;
      /** The whole new data; or, with `patch`, omitted. */
      data?: unknown;
      /**
       * Sets (or, for an undefined value, removes) top-level fields of the data instead of
       * rewriting all of it, so a small change to a large object stays a small write.
       */
      patch?: Record<string, unknown>;
      expectedId?: string;
      condition?: Condition;
      failure?: FailureExplainer;
    }
  | {
      type: 'delete';
      subject: Subject;
      base: StoredObject<unknown>;
      expectedId?: string;
      condition?: Condition;
      failure?: FailureExplainer;
    }
  | {
      type: 'check';
      key: ItemKey;
      condition: Condition;
      failure: FailureExplainer;
    }
  | {
      /** A write to a bookkeeping item that is not an object (no version, no receipt). */
      type: 'record';
      key: ItemKey;
      update?: Condition & { expression: string };
      put?: Item;
      remove?: boolean;
      condition?: Condition;
      failure?: FailureExplainer;
    };

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

/** Builds the per-op inputs with placeholders namespaced by op index (`#n` → `#n_3`). */
function scoped(condition: Condition | undefined, i: number) {
  if (!condition) return { expression: undefined, names: {}, values: {} };
  const rename = (s: string) => s.replace(/([#:][A-Za-z0-9_]+)/g, `$1_${i}`);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(condition.names ?? {})) names[`${k}_${i}`] = v;
  for (const [k, v] of Object.entries(condition.values ?? {})) values[`${k}_${i}`] = v;
  return { expression: rename(condition.expression), names, values };
}

function and(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((p): p is string => !!p);
  return present.length ? present.map((p) => `(${p})`).join(' AND ') : undefined;
}

function nonEmpty<T extends object>(o: T): T | undefined {
  return Object.keys(o).length ? o : undefined;
}

/**
 * Runs several writes atomically in one TransactWriteItems, each with its version or existence
 * condition. A cancellation is explained per failing item (ALREADY_EXISTS, NOT_FOUND, ABORTED
 * with the current object, or the op's own explanation). `TransactionConflict` and throttling
 * are retried with backoff, never reported as version conflicts. A `ClientRequestToken`
 * derived from the request id makes the SDK's retries of a lost response idempotent.
 */
export async function transactWrite(
  store: Store,
  ops: TransactOp[],
  opts: { requestId: string },
): Promise<TransactResult> {
  const at = new Date().toISOString();
  const objects: Array<StoredObject<unknown> | undefined> = [];
  const items = ops.map((op, i) => {
    const table = store.tableName;
    switch (op.type) {
      case 'create': {
        const item = store.newItem(op.object, opts.requestId);
        objects.push(toObject(item));
        return {
          Put: {
            TableName: table,
            Item: item,
            ConditionExpression: `attribute_not_exists(#pk_${i}) OR #tomb_${i} = :true_${i}`,
            ExpressionAttributeNames: { [`#pk_${i}`]: A.pk, [`#tomb_${i}`]: A.tombstone },
            ExpressionAttributeValues: { [`:true_${i}`]: true },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        };
      }
      case 'update': {
        const expected = op.base.resourceVersion;
        const bump = versionBump(expected);
        const extra = scoped(op.condition, i);
        const base = scoped(
          {
            expression:
              versionCondition(expected) + (op.expectedId ? ' AND #id = :expectedId' : ''),
            names: {
              '#rv': A.version,
              '#tomb': A.tombstone,
              ...(expected === 1 ? { '#pk': A.pk } : {}),
              ...(op.expectedId ? { '#id': A.id } : {}),
            },
            values: {
              ':expected': expected,
              ...(op.expectedId ? { ':expectedId': op.expectedId } : {}),
            },
          },
          i,
        );
        const fields = Object.entries(op.patch ?? {});
        const patchNames = Object.fromEntries(fields.map(([f], j) => [`#f${j}`, f]));
        const patchValues = Object.fromEntries(
          fields.flatMap(([, v], j) => (v === undefined ? [] : [[`:f${j}`, v]])),
        );
        const setFields = op.patch
          ? fields.flatMap(([, v], j) => (v === undefined ? [] : [`#data.#f${j} = :f${j}`]))
          : ['#data = :data'];
        const removeFields = fields.flatMap(([, v], j) =>
          v === undefined ? [`#data.#f${j}`] : [],
        );
        const set = scoped(
          {
            expression:
              `SET ${[...setFields, '#updatedAt = :now', '#receipt = :rid'].join(', ')}` +
              (bump.set ? `, ${bump.set}` : '') +
              (removeFields.length ? ` REMOVE ${removeFields.join(', ')}` : '') +
              (bump.add ? ` ADD ${bump.add}` : ''),
            names: {
              '#data': A.data,
              '#updatedAt': A.updatedAt,
              '#receipt': A.receipt,
              '#rv': A.version,
              ...patchNames,
            },
            values: {
              ...(op.patch ? patchValues : { ':data': op.data }),
              ':now': at,
              ':rid': opts.requestId,
              ':one': 1,
            },
          },
          i,
        );
        const data = op.patch
          ? Object.fromEntries(
              Object.entries({ ...(op.base.data as object), ...op.patch }).filter(
                ([, v]) => v !== undefined,
              ),
            )
          : op.data;
        objects.push({ ...op.base, data, resourceVersion: expected + 1, updatedAt: at });
        return {
          Update: {
            TableName: table,
            Key: op.base.key,
            UpdateExpression: set.expression,
            ConditionExpression: and(base.expression, extra.expression),
            ExpressionAttributeNames: { ...set.names, ...base.names, ...extra.names },
            ExpressionAttributeValues: { ...set.values, ...base.values, ...extra.values },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        };
      }
      case 'delete': {
        const expected = op.base.resourceVersion;
        const extra = scoped(op.condition, i);
        const base = scoped(
          {
            expression:
              versionCondition(expected) + (op.expectedId ? ' AND #id = :expectedId' : ''),
            names: {
              '#rv': A.version,
              '#tomb': A.tombstone,
              ...(expected === 1 ? { '#pk': A.pk } : {}),
              ...(op.expectedId ? { '#id': A.id } : {}),
            },
            values: {
              ':expected': expected,
              ...(op.expectedId ? { ':expectedId': op.expectedId } : {}),
            },
          },
          i,
        );
        objects.push(undefined);
        return {
          Put: {
            TableName: table,
            Item: {
              ...op.base.key,
              [A.tombstone]: true,
              [A.version]: expected,
              [A.id]: op.base.id,
              [A.kind]: op.base.kind,
              [A.receipt]: opts.requestId,
              [A.expiresAt]: Math.floor(Date.now() / 1000) + TOMBSTONE_TTL_SECONDS,
            },
            ConditionExpression: and(base.expression, extra.expression),
            ExpressionAttributeNames: { ...base.names, ...extra.names },
            ExpressionAttributeValues: nonEmpty({ ...base.values, ...extra.values }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        };
      }
      case 'check': {
        const c = scoped(op.condition, i);
        objects.push(undefined);
        return {
          ConditionCheck: {
            TableName: table,
            Key: op.key,
            ConditionExpression: c.expression!,
            ExpressionAttributeNames: nonEmpty(c.names),
            ExpressionAttributeValues: nonEmpty(c.values),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        };
      }
      case 'record': {
        const c = scoped(op.condition, i);
        objects.push(undefined);
        const common = {
          TableName: table,
          ConditionExpression: c.expression,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        };
        if (op.update) {
          const u = scoped(op.update, i);
          return {
            Update: {
              ...common,
              Key: op.key,
              UpdateExpression: u.expression!,
              ExpressionAttributeNames: nonEmpty({ ...u.names, ...c.names }),
              ExpressionAttributeValues: nonEmpty({ ...u.values, ...c.values }),
            },
          };
        }
        if (op.put) {
          return {
            Put: {
              ...common,
              Item: { ...op.put, ...op.key },
              ExpressionAttributeNames: nonEmpty(c.names),
              ExpressionAttributeValues: nonEmpty(c.values),
            },
          };
        }
        return {
          Delete: {
            ...common,
            Key: op.key,
            ExpressionAttributeNames: nonEmpty(c.names),
            ExpressionAttributeValues: nonEmpty(c.values),
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
      if (
        !(err instanceof TransactionCanceledException) &&
        (err as Error)?.name !== 'TransactionCanceledException'
      ) {
        translateSdkError(err);
      }
      const reasons = (err as TransactionCanceledException).CancellationReasons ?? [];
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
      const idMismatch = op.expectedId !== undefined && old[A.id] !== op.expectedId;
      if (version !== op.base.resourceVersion || idMismatch || !op.failure) {
        return new Aborted(op.subject.kind, op.subject.name, version, toObject(old));
      }
      return op.failure(old);
    }
    case 'check':
      return op.failure(isLive(old) ? old : undefined);
    case 'record':
      return op.failure ? op.failure(old) : new Error('bookkeeping condition failed');
  }
}
