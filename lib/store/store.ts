import { isDeepStrictEqual } from 'node:util';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { Aborted, AlreadyExists, NotFound } from '#lib/errors.ts';
import { PLATFORM, RESPONSE_BUDGET } from '#lib/platform-limits.ts';
import {
  A,
  type Item,
  isLive,
  itemOf,
  keyOf,
  newItem,
  TOMBSTONE_TTL_SECONDS,
  toObject,
  versionOf,
} from './attributes.ts';
import { BACKOFF_CAP_MS, backoff, MAX_ATTEMPTS } from './backoff.ts';
import { MARSHALL_OPTIONS } from './client.ts';
import { isConditionFailure, oldItemOf, updateExpression, versionBump } from './conditions.ts';
import {
  type Condition,
  changesSomething,
  Placeholders,
  renderChanges,
  renderCondition,
  where,
} from './expression.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import { Records } from './records.ts';
import { translateSdkError } from './sdk-errors.ts';
import { tableDefinition } from './table.ts';
import { type TransactOp, type TransactResult, transactWrite } from './transact.ts';
import type {
  ItemKey,
  Mutation,
  NewObject,
  Page,
  StoredObject,
  WriteOptions,
  WriteResult,
} from './types.ts';

export interface ListOptions {
  /** @default 100 */
  pageSize?: number;
  pageToken?: string;
  /** Every pair must match the object's labels. */
  labelSelector?: Record<string, string>;
}

export interface QueryOptions {
  /** Sort-key prefix within the partition. */
  prefix?: string;
  /** @default true */
  ascending?: boolean;
  pageSize?: number;
  pageToken?: string;
}

export interface DeleteOptions extends WriteOptions {
  /** Server-driven: the object as this request just read it; the first attempt starts unread. */
  current?: StoredObject<unknown>;
}

export interface DeleteResult<D> {
  /** The object as it was when deleted. */
  object: StoredObject<D>;
  resolvedByReceipt: boolean;
}

/** What describes an object in errors: its kind and name. */
interface Subject {
  kind: string;
  name: string;
}

const now = () => new Date().toISOString();

/**
 * The one module that talks to DynamoDB. Every write is conditional: creates on
 * `attribute_not_exists`, updates and deletes on the version they were based on.
 */
export class Store {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Bookkeeping records beside the objects. */
  readonly records: Records;

  /**
   * Bytes of stored objects one page of a list carries at most.
   * @default RESPONSE_BUDGET.pageBytes
   */
  readonly pageBytes: number;

  /**
   * What a server-driven {@link update} applies its change to again after a conflict and its
   * backoff: the item read afresh, or the item the failed write returned (`ALL_OLD`). Re-reading
   * costs a GetItem per retry but gives up less: the returned item ages during the backoff, and
   * under contention a write based on it mostly fails again (bench/RESULTS.md, contention).
   * @default 'reread'
   */
  readonly onConflict: 'reread' | 'reapply';

  constructor(
    client: DynamoDBDocumentClient,
    tableName: string,
    options: { pageBytes?: number; onConflict?: 'reread' | 'reapply' } = {},
  ) {
    this.client = client;
    this.tableName = tableName;
    this.records = new Records(this);
    this.pageBytes = options.pageBytes ?? RESPONSE_BUDGET.pageBytes;
    this.onConflict = options.onConflict ?? 'reread';
  }

  /** Creates an object at version 1; a taken key → ALREADY_EXISTS. */
  async create<D>(obj: NewObject<D>, opts: { requestId: string }): Promise<WriteResult<D>> {
    const item = this.newItem(obj, opts.requestId);
    const p = new Placeholders();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: renderCondition(where.absent(), p),
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { object: toObject<D>(item), changed: true, attempts: 1, resolvedByReceipt: false };
    } catch (err) {
      if (!isConditionFailure(err)) translateSdkError(err);
      const old = oldItemOf(err);
      // The SDK retried a create whose first response was lost: the item is ours.
      if (old && isLive(old) && old[A.receipt] === opts.requestId && versionOf(old) === 1) {
        return { object: toObject<D>(old), changed: true, attempts: 1, resolvedByReceipt: true };
      }
      throw new AlreadyExists(obj.kind, obj.name, isLive(old) ? toObject(old) : undefined);
    }
  }

  /** A strongly consistent read; undefined when absent or deleted. */
  async get<D>(key: ItemKey): Promise<StoredObject<D> | undefined> {
    const item = await this.getItem(key);
    return item ? toObject<D>(item) : undefined;
  }

  /**
   * Strongly consistent reads of several items in one `BatchGetItem` (more than
   * {@link PLATFORM.dynamodb.batchGetItems} keys take more requests), in the order of `keys`;
   * undefined where absent or deleted. Keys DynamoDB leaves unprocessed (throttling, the 16 MB
   * response bound) are asked for again after the store's backoff.
   */
  async getMany<D = unknown>(keys: readonly ItemKey[]): Promise<(StoredObject<D> | undefined)[]> {
    const found = new Map<string, Item>();
    const id = (k: ItemKey) => `${k.pk}\u0000${k.sk}`;
    const unique = [...new Map(keys.map((k) => [id(k), { pk: k.pk, sk: k.sk }])).values()];
    for (let i = 0; i < unique.length; i += PLATFORM.dynamodb.batchGetItems) {
      let pending: ItemKey[] = unique.slice(i, i + PLATFORM.dynamodb.batchGetItems);
      for (let attempt = 1; pending.length; attempt++) {
        if (attempt > 1) await backoff(Math.min(attempt - 1, MAX_ATTEMPTS));
        try {
          const res = await this.client.send(
            new BatchGetCommand({
              RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
            }),
          );
          for (const item of (res.Responses?.[this.tableName] ?? []) as Item[]) {
            found.set(id(item as unknown as ItemKey), item);
          }
          pending = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as ItemKey[];
        } catch (err) {
          translateSdkError(err);
        }
      }
    }
    return keys.map((k) => {
      const item = found.get(id(k));
      return isLive(item) ? toObject<D>(item!) : undefined;
    });
  }

  async mustGet<D>(key: ItemKey, subject: Subject): Promise<StoredObject<D>> {
    const obj = await this.get<D>(key);
    if (!obj) throw new NotFound(subject.kind, subject.name);
    return obj;
  }

  /**
   * The two requests every write path sends, this consistent GetItem and the conditional
   * UpdateItem of {@link sendUpdate}, marshal their own values and go out as low-level commands:
   * a document command resolves a second middleware stack per request and walks its input and
   * output again, a measurable share of the store's latency over a raw UpdateItem at c=1
   * (bench/RESULTS.md, store overhead).
   */
  private async getItem(key: ItemKey): Promise<Item | undefined> {
    try {
      const res = await this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: marshall(key),
          ConsistentRead: true,
        }),
      );
      const item = res.Item && (unmarshall(res.Item) as Item);
      return isLive(item) ? item : undefined;
    } catch (err) {
      translateSdkError(err);
    }
  }

  /**
   * Applies a mutation under optimistic concurrency.
   *
   * A blind mutation (structured changes whose outcome does not depend on the rest of the
   * object) is one UpdateItem and no read, client- and server-driven alike: conditioned on
   * what the change itself requires (the object live and not frozen, its own requirements, the
   * no-op guard) and, client-driven, on the version — never on a version it did not read. A
   * failed condition is explained from the item DynamoDB returned: gone → NOT_FOUND, other
   * version (client-driven) → ABORTED with the current object, else the change's pure
   * `apply(current)` decides: nothing to do (a no-op success, version kept) or a domain error.
   *
   * Any other mutation reads, applies and writes conditioned on the version it read (the shape
   * of Kubernetes' `GuaranteedUpdate`); server-driven, a conflict backs off, reads again (see
   * {@link onConflict}) and re-applies, up to {@link MAX_ATTEMPTS} attempts.
   */
  async update<D>(
    key: ItemKey,
    subject: Subject,
    mutation: Mutation<D>,
    opts: WriteOptions & {
      /** The object as this request just read it: the first attempt starts from it, unread. */
      current?: StoredObject<D>;
    },
  ): Promise<WriteResult<D>> {
    if (mutation.blind) return this.updateBlind(key, subject, mutation, opts);
    const expected = opts.expectedResourceVersion ?? 0;
    const clientDriven = expected > 0;
    let attempts = 0;
    let current: Item | undefined = opts.current ? itemOf(opts.current) : undefined;
    for (;;) {
      if (!current) {
        current = await this.getItem(key);
        if (!current) throw new NotFound(subject.kind, subject.name);
        // A retry of a request whose write already took effect: its receipt is on the item.
        if (
          current[A.receipt] === opts.requestId &&
          (!clientDriven || versionOf(current) === expected + 1)
        ) {
          return { object: toObject<D>(current), changed: true, attempts, resolvedByReceipt: true };
        }
      }
      this.assertPrecondition(current, subject, opts);
      const before = toObject<D>(current);
      const next = mutation.apply(before);
      if (next === undefined || isDeepStrictEqual(next, before.data)) {
        return { object: before, changed: false, attempts, resolvedByReceipt: false };
      }
      attempts++;
      const version = versionOf(current);
      const p = new Placeholders();
      const outcome = await this.sendUpdate<D>(key, version, opts, p, {
        set: [`${p.name(A.data)} = ${p.value(next)}`],
        remove: [],
        bump: versionBump(version, p),
        condition: this.writeCondition(version, opts),
      });
      if (outcome.ok) return { ...outcome.result, attempts };
      current = outcome.current;
      if (!current) throw new NotFound(subject.kind, subject.name);
      if (clientDriven || attempts >= MAX_ATTEMPTS) {
        throw new Aborted(subject.kind, subject.name, versionOf(current), toObject(current));
      }
      await backoff(attempts);
      if (this.onConflict === 'reread') current = undefined;
    }
  }

  /** A version (or id) the caller expects and the item does not have → ABORTED. */
  private assertPrecondition(item: Item, subject: Subject, opts: WriteOptions): void {
    const expected = opts.expectedResourceVersion ?? 0;
    if (
      (opts.expectedId && item[A.id] !== opts.expectedId) ||
      (expected > 0 && versionOf(item) !== expected)
    ) {
      throw new Aborted(subject.kind, subject.name, versionOf(item), toObject(item));
    }
  }

  /** What every update of an object is conditioned on: the version it is based on, not frozen. */
  private writeCondition(version: number | undefined, opts: WriteOptions): Condition {
    return where.and(
      version === undefined ? where.live() : where.version(version),
      where.notFrozen(),
      ...(opts.expectedId ? [where.id(opts.expectedId)] : []),
    );
  }

  private async updateBlind<D>(
    key: ItemKey,
    subject: Subject,
    mutation: Mutation<D>,
    opts: WriteOptions,
  ): Promise<WriteResult<D>> {
    const blind = mutation.blind!;
    const expected = opts.expectedResourceVersion ?? 0;
    const version = expected > 0 ? expected : undefined;
    for (let attempts = 1; ; attempts++) {
      const p = new Placeholders();
      const { set, remove } = renderChanges(blind.changes, p);
      const outcome = await this.sendUpdate<D>(key, version, opts, p, {
        set,
        remove,
        bump: versionBump(version, p),
        condition: where.and(
          this.writeCondition(version, opts),
          // A server-driven retry of this very write (its response lost) meets its receipt.
          ...(version === undefined ? [where.notReceipt(opts.requestId)] : []),
          ...(blind.requires ? [blind.requires] : []),
          changesSomething(blind.changes),
        ),
      });
      if (outcome.ok) return { ...outcome.result, attempts };
      const current = outcome.current;
      if (!current) throw new NotFound(subject.kind, subject.name);
      this.assertPrecondition(current, subject, opts);
      const before = toObject<D>(current);
      const next = mutation.apply(before);
      if (next === undefined || isDeepStrictEqual(next, before.data)) {
        return { object: before, changed: false, attempts, resolvedByReceipt: false };
      }
      // The item changed between the condition and the explanation: try again.
      if (attempts >= MAX_ATTEMPTS) {
        throw new Aborted(subject.kind, subject.name, versionOf(current), before);
      }
    }
  }

  /**
   * Sends one conditional UpdateItem that also stamps the update time and the receipt, and
   * returns the new object (ALL_NEW) or the item that failed the condition (ALL_OLD).
   */
  private async sendUpdate<D>(
    key: ItemKey,
    expected: number | undefined,
    opts: WriteOptions,
    p: Placeholders,
    write: {
      set: string[];
      remove: string[];
      bump: { set?: string; add?: string };
      condition: Condition;
    },
  ): Promise<WriteOutcome<D>> {
    const set = [
      ...write.set,
      `${p.name(A.updatedAt)} = ${p.value(now())}`,
      `${p.name(A.receipt)} = ${p.value(opts.requestId)}`,
    ];
    const UpdateExpression = updateExpression(set, write.remove, write.bump);
    const ConditionExpression = renderCondition(write.condition, p);
    try {
      const res = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(key),
          UpdateExpression,
          ConditionExpression,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: marshall(p.values, MARSHALL_OPTIONS),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = unmarshall(res.Attributes!) as Item;
      return {
        ok: true,
        result: { object: toObject<D>(item), changed: true, attempts: 1, resolvedByReceipt: false },
      };
    } catch (err) {
      if (!isConditionFailure(err)) translateSdkError(err);
      const old = oldItemOf(err);
      if (!isLive(old)) return { ok: false, current: undefined };
      // Our own write already applied (the SDK retried after a lost response): its receipt is
      // on the item, at exactly the version this write produces when it was based on one.
      if (
        old[A.receipt] === opts.requestId &&
        (expected === undefined || versionOf(old) === expected + 1)
      ) {
        return {
          ok: true,
          result: { object: toObject<D>(old), changed: true, attempts: 1, resolvedByReceipt: true },
        };
      }
      return { ok: false, current: old };
    }
  }

  /**
   * Deletes an object, conditioned on its version when one is expected (otherwise on the
   * version read). The item is replaced by a short-lived tombstone that carries the receipt,
   * so a retried delete is recognised rather than reported as NOT_FOUND.
   */
  async delete<D>(key: ItemKey, subject: Subject, opts: DeleteOptions): Promise<DeleteResult<D>> {
    const expected = opts.expectedResourceVersion ?? 0;
    let current: Item | undefined;
    if (expected === 0) {
      current = opts.current ? itemOf(opts.current) : await this.getItem(key);
      if (!current) throw new NotFound(subject.kind, subject.name);
    }
    for (let attempt = 1; ; attempt++) {
      const version = current ? versionOf(current) : expected;
      if (current)
        this.assertPrecondition(current, subject, { ...opts, expectedResourceVersion: 0 });
      const p = new Placeholders();
      const condition = where.and(
        where.version(version),
        ...(opts.expectedId ? [where.id(opts.expectedId)] : []),
      );
      try {
        const res = await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: this.tombstone(key, current, version, opts.requestId),
            ConditionExpression: renderCondition(condition, p),
            ExpressionAttributeNames: p.names,
            ExpressionAttributeValues: p.values,
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { object: toObject<D>(res.Attributes as Item), resolvedByReceipt: false };
      } catch (err) {
        if (!isConditionFailure(err)) translateSdkError(err);
        const old = oldItemOf(err);
        if (old && old[A.tombstone] === true && old[A.receipt] === opts.requestId) {
          const before = current ?? old;
          return { object: toObject<D>(before), resolvedByReceipt: true };
        }
        if (!isLive(old)) throw new NotFound(subject.kind, subject.name);
        if (expected > 0 || attempt >= MAX_ATTEMPTS) {
          throw new Aborted(subject.kind, subject.name, versionOf(old), toObject(old));
        }
        current = old;
        await backoff(attempt);
      }
    }
  }

  private tombstone(
    key: ItemKey,
    current: Item | undefined,
    version: number,
    requestId: string,
  ): Item {
    return {
      ...key,
      [A.tombstone]: true,
      [A.version]: version,
      ...(current ? { [A.id]: current[A.id], [A.kind]: current[A.kind] } : {}),
      [A.receipt]: requestId,
      [A.expiresAt]: Math.floor(Date.now() / 1000) + TOMBSTONE_TTL_SECONDS,
    };
  }

  /**
   * A transactional CAS with retries, the one loop of its kind: `read` what the decision needs,
   * `plan` the transaction from it (or say there is nothing to write), write it; when another
   * writer changed an item meanwhile (ABORTED), read and plan again after the store's backoff,
   * within its attempt budget. A plan that must not be re-planned (a client-driven
   * precondition) says so with `retry`.
   * @default retry: every ABORTED; maxAttempts: MAX_ATTEMPTS
   */
  async transactWithRetry<S, R>(opts: {
    requestId: string;
    read: (attempt: number) => Promise<S>;
    plan: (state: S, attempt: number) => TransactPlan<R>;
    /** Whether a failure is a conflict to read and plan again after. */
    retry?: (err: unknown, attempt: number) => boolean;
    maxAttempts?: number;
    /**
     * Instead of an attempt budget, a time budget (epoch ms): conflicts are read and planned
     * again, with the same backoff, for as long as the next attempt can start before it.
     */
    until?: number;
  }): Promise<{ value: R; attempts: number }> {
    const maxAttempts = opts.until === undefined ? (opts.maxAttempts ?? MAX_ATTEMPTS) : Infinity;
    let attempts = 0;
    for (let attempt = 1; ; attempt++) {
      const state = await opts.read(attempt);
      const plan = opts.plan(state, attempt);
      if ('done' in plan) return { value: plan.done, attempts };
      try {
        const res = await this.transact(plan.ops, { requestId: `${opts.requestId}:${attempt}` });
        attempts += res.attempts;
        return { value: plan.result(res), attempts };
      } catch (err) {
        const inTime = opts.until === undefined || Date.now() + BACKOFF_CAP_MS < opts.until;
        const retry =
          attempt < maxAttempts &&
          inTime &&
          (opts.retry ? opts.retry(err, attempt) : err instanceof Aborted);
        if (!retry) throw err;
        attempts++;
        await backoff(Math.min(attempt, MAX_ATTEMPTS));
      }
    }
  }

  /** Several writes in one TransactWriteItems; see {@link transactWrite}. */
  transact(ops: TransactOp[], opts: { requestId: string }): Promise<TransactResult> {
    return transactWrite(this, ops, opts);
  }

  /**
   * Like {@link update}, but the write is a transaction together with `extras(before, next)`
   * (bookkeeping and condition checks on other items), so a cross-object invariant holds by
   * construction. The object is read first: a transaction cannot return the new item.
   */
  async updateInTransaction<D>(
    key: ItemKey,
    subject: Subject,
    mutation: Pick<Mutation<D>, 'apply'>,
    opts: WriteOptions & {
      /** The object as this request just read it: the first attempt starts from it, unread. */
      current?: StoredObject<D>;
    },
    extras: (before: StoredObject<D>, next: D) => TransactOp[],
  ): Promise<WriteResult<D> & { related: Array<StoredObject<unknown> | undefined> }> {
    const expected = opts.expectedResourceVersion ?? 0;
    let current = opts.current ?? (await this.mustGet<D>(key, subject));
    for (let attempts = 1; ; attempts++) {
      if (opts.expectedId && current.id !== opts.expectedId) {
        throw new Aborted(subject.kind, subject.name, current.resourceVersion, current);
      }
      if (expected > 0 && current.resourceVersion !== expected) {
        throw new Aborted(subject.kind, subject.name, current.resourceVersion, current);
      }
      const next = mutation.apply(current);
      if (next === undefined || isDeepStrictEqual(next, current.data)) {
        return {
          object: current,
          changed: false,
          attempts: attempts - 1,
          resolvedByReceipt: false,
          related: [],
        };
      }
      try {
        const res = await this.transact(
          [{ type: 'update', subject, base: current, data: next }, ...extras(current, next)],
          { requestId: opts.requestId },
        );
        return {
          object: res.objects[0] as StoredObject<D>,
          changed: true,
          attempts,
          resolvedByReceipt: false,
          related: res.objects.slice(1),
        };
      } catch (err) {
        const conflict =
          err instanceof Aborted && err.kind === subject.kind && err.objectName === subject.name;
        if (!conflict || expected > 0 || attempts >= MAX_ATTEMPTS) throw err;
        current = err.current as StoredObject<D>;
        await backoff(attempts);
      }
    }
  }

  /** Lists objects of one `byKind` partition, ordered by name, with opaque page tokens. */
  async list<D>(gsi1pk: string, opts: ListOptions = {}): Promise<Page<StoredObject<D>>> {
    const pageSize = opts.pageSize ?? 100;
    const selector = Object.entries(opts.labelSelector ?? {});
    const names: Record<string, string> = { '#gpk': A.gsi1pk };
    const values: Record<string, unknown> = { ':gpk': gsi1pk };
    const filters = selector.map(([k, v], i) => {
      names[`#l${i}`] = k;
      values[`:l${i}`] = v;
      return `#labels.#l${i} = :l${i}`;
    });
    if (filters.length) names['#labels'] = A.labels;
    const index = tableDefinition.indexes[0].name;
    return this.paginate<D>(
      {
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: '#gpk = :gpk',
        FilterExpression: filters.length ? filters.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      pageSize,
      opts.pageToken,
      (item) => ({
        pk: item[A.pk],
        sk: item[A.sk],
        gsi1pk: item[A.gsi1pk],
        gsi1sk: item[A.gsi1sk],
      }),
      gsi1pk,
      {
        attributes: [A.pk, A.sk, A.gsi1pk, A.gsi1sk],
        within: (cursor) => cursor[A.gsi1pk] === gsi1pk,
      },
    );
  }

  /** A strongly consistent query of one partition, e.g. a sandbox's children. */
  async query<D>(pk: string, opts: QueryOptions = {}): Promise<Page<StoredObject<D>>> {
    const names: Record<string, string> = { '#pk': A.pk, '#tomb': A.tombstone };
    const values: Record<string, unknown> = { ':pk': pk };
    let condition = '#pk = :pk';
    if (opts.prefix) {
      names['#sk'] = A.sk;
      values[':prefix'] = opts.prefix;
      condition += ' AND begins_with(#sk, :prefix)';
    }
    return this.paginate<D>(
      {
        TableName: this.tableName,
        KeyConditionExpression: condition,
        FilterExpression: 'attribute_not_exists(#tomb)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ScanIndexForward: opts.ascending ?? true,
      },
      opts.pageSize ?? 1000,
      opts.pageToken,
      (item) => ({ pk: item[A.pk], sk: item[A.sk] }),
      pk,
      {
        attributes: [A.pk, A.sk],
        within: (cursor) => cursor[A.pk] === pk && cursor[A.sk]!.startsWith(opts.prefix ?? ''),
      },
    );
  }

  /** Every live object of one partition (all pages). */
  async queryAll<D>(pk: string, prefix?: string): Promise<StoredObject<D>[]> {
    const out: StoredObject<D>[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.query<D>(pk, { prefix, pageToken });
      out.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  /**
   * Fills a page of `pageSize` matches. The next token is built from the last item returned,
   * so a filtered read never skips or repeats an item across pages.
   */
  private async paginate<D>(
    input: ConstructorParameters<typeof QueryCommand>[0],
    pageSize: number,
    pageToken: string | undefined,
    cursorOf: (item: Item) => Record<string, unknown>,
    scope: string,
    expect: Parameters<typeof decodePageToken>[2],
  ): Promise<Page<StoredObject<D>>> {
    let start: Record<string, unknown> | undefined = pageToken
      ? decodePageToken(pageToken, scope, expect)
      : undefined;
    const items: Item[] = [];
    // A page also ends before its objects pass the byte budget (it always holds one), so no
    // list response can reach Lambda's 6 MB payload limit, however large its objects are.
    let bytes = 0;
    let full = false;
    try {
      for (;;) {
        const res = await this.client.send(
          new QueryCommand({
            ...input,
            ExclusiveStartKey: start,
            Limit: Math.min(1000, pageSize - items.length + 1),
          }),
        );
        for (const item of res.Items ?? []) {
          if (!isLive(item)) continue;
          const size = Buffer.byteLength(JSON.stringify(item));
          if (items.length > 0 && items.length < pageSize && bytes + size > this.pageBytes) {
            full = true;
            break;
          }
          bytes += size;
          items.push(item);
        }
        start = res.LastEvaluatedKey;
        if (full || items.length > pageSize || !start) break;
      }
    } catch (err) {
      translateSdkError(err);
    }
    const more = full || items.length > pageSize;
    const page = items.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      items: page.map((item) => toObject<D>(item)),
      nextPageToken: more && last ? encodePageToken(scope, cursorOf(last)) : undefined,
    };
  }

  /** Builds the full item of a new object at version 1. */
  newItem<D>(obj: NewObject<D>, requestId: string): Item {
    return newItem(obj, requestId);
  }
}

/** What a {@link Store.transactWithRetry} plan decided: a transaction, or nothing to write. */
export type TransactPlan<R> =
  | { ops: TransactOp[]; result: (res: TransactResult) => R }
  | { done: R };

type WriteOutcome<D> =
  | { ok: true; result: WriteResult<D> }
  | { ok: false; current: Item | undefined };

export { keyOf };
