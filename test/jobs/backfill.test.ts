import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { ProviderData } from '#lib/domain/types.ts';
import { backfillResourceVersions } from '#lib/jobs/backfill.ts';
import { Store } from '#lib/store/store.ts';
import {
  itemsByKey,
  keyString,
  type RawItem,
  seedLegacyItems,
} from '#test/support/legacy-items.ts';
import { requestKey } from '#test/support/request-key.ts';
import { createTestStore } from '#test/support/store.ts';

/** An API-style server-driven CAS write that adds one config entry. */
function addConfig(store: Store, item: RawItem, entry: string) {
  const key = { pk: item.pk as string, sk: item.sk as string };
  return store.update<ProviderData>(
    key,
    { kind: 'Provider', name: item.name as string },
    {
      apply: (cur) => ({ ...cur.data, config: { ...cur.data.config, [entry]: 'set' } }),
    },
    { requestId: randomUUID() },
  );
}

const isStamp = (input: { UpdateExpression?: string }) =>
  input.UpdateExpression === 'SET #rv = :one';

/** Runs `before` ahead of each matching request, inside the request's own path. */
function beforeRequests(
  client: DynamoDBDocumentClient,
  before: (command: string, input: Record<string, unknown>) => Promise<void>,
): () => void {
  const name = `before-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      await before(
        (context as { commandName?: string }).commandName ?? '',
        args.input as Record<string, unknown>,
      );
      return next(args);
    },
    { step: 'build', name },
  );
  return () => client.middlewareStack.remove(name);
}

describe('resource-version backfill', () => {
  it('stamps every legacy object item at version 1 across kinds and segments, and leaves everything else alone', async () => {
    // arrange
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 2_100, versioned: 450, nonObjects: 450 });

    // act
    const first = await backfillResourceVersions(store, { segments: 4, rate: 0 });

    // assert
    expect(first.outcome).toBe('done');
    expect(first.unversioned).toBe(0);
    expect(first.counts).toMatchObject({
      scanned: 3_000,
      stamped: 2_100,
      skipped: 450,
      ignored: 450,
      conflicts: 0,
    });
    const stored = await itemsByKey(store);
    expect(stored.size).toBe(3_000);
    for (const item of seed.legacy) {
      expect(stored.get(keyString(item))).toEqual({ ...item, resource_version: 1 });
    }
    for (const item of [...seed.versioned, ...seed.nonObjects]) {
      expect(stored.get(keyString(item))).toEqual(item);
    }

    // A second run's first count finds nothing to stamp: one counting scan, no stamping scan.
    const second = await backfillResourceVersions(store, { segments: 3, rate: 0 });
    expect(second.outcome).toBe('done');
    expect(second.progress.pass).toBe(0);
    expect(second.counts).toMatchObject({ scanned: 0, verified: 3_000, stamped: 0 });
    expect(await itemsByKey(store)).toEqual(stored);
  });

  it('a dry run counts what it would stamp and writes nothing', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 500, versioned: 50, nonObjects: 60 });
    const before = await itemsByKey(store);

    const result = await backfillResourceVersions(store, { segments: 2, rate: 0, dryRun: true });

    expect(result.outcome).toBe('dry-run');
    expect(result.unversioned).toBe(500);
    expect(result.counts).toMatchObject({ wouldStamp: 500, stamped: 0, skipped: 50, ignored: 60 });
    expect(await itemsByKey(store)).toEqual(before);
  });

  it('an API write between the scan and the stamp wins: its update is kept and its version is right', async () => {
    // arrange: the API updates every 5th provider just before the backfill's stamp reaches it
    const store = await createTestStore();
    const api = await apiStoreOn(store);
    const seed = await seedLegacyItems(store, { legacy: 350 });
    const providers = seed.legacy.filter((item) => item.kind === 'Provider');
    const raced = new Set(providers.filter((_, i) => i % 5 === 0).map(keyString));
    const remove = beforeRequests(store.client, async (command, input) => {
      const key = requestKey(input.Key as Record<string, unknown> | undefined);
      if (command !== 'UpdateItemCommand' || !isStamp(input) || !key) return;
      const k = `${key.pk}|${key.sk}`;
      if (!raced.has(k)) return;
      raced.delete(k);
      const item = providers.find((p) => keyString(p) === k)!;
      const res = await addConfig(api, item, 'raced');
      expect(res.object.resourceVersion).toBe(2);
    });

    // act
    let result: Awaited<ReturnType<typeof backfillResourceVersions>>;
    try {
      result = await backfillResourceVersions(store, { segments: 4, rate: 0 });
    } finally {
      remove();
    }

    // assert
    const racedCount = providers.filter((_, i) => i % 5 === 0).length;
    expect(raced.size).toBe(0);
    expect(result.outcome).toBe('done');
    expect(result.counts.conflicts).toBe(racedCount);
    expect(result.counts.stamped).toBe(350 - racedCount);
    const stored = await itemsByKey(store);
    providers.forEach((item, i) => {
      const now = stored.get(keyString(item))!;
      if (i % 5 === 0) {
        expect(now.resource_version).toBe(2);
        expect((now.data as ProviderData).config).toEqual({ raced: 'set' });
      } else {
        expect(now.resource_version).toBe(1);
        expect((now.data as ProviderData).config).toEqual({});
      }
    });
  });

  it('concurrent API updates during the backfill are never lost', async () => {
    // arrange
    const store = await createTestStore();
    const api = await apiStoreOn(store);
    const seed = await seedLegacyItems(store, { legacy: 700 });
    const providers = seed.legacy.filter((item) => item.kind === 'Provider');
    const writes = new Map<string, number>();

    // act: every provider gets 1–3 updates while the backfill runs
    const [result] = await Promise.all([
      backfillResourceVersions(store, { segments: 4, rate: 0 }),
      (async () => {
        for (let round = 0; round < 3; round++) {
          await Promise.all(
            providers
              .filter((_, i) => i % 3 >= round)
              .map(async (item) => {
                await addConfig(api, item, `round${round}`);
                writes.set(keyString(item), (writes.get(keyString(item)) ?? 0) + 1);
              }),
          );
        }
      })(),
    ]);

    // assert
    expect(result.outcome).toBe('done');
    const stored = await itemsByKey(store);
    for (const item of providers) {
      const n = writes.get(keyString(item)) ?? 0;
      const now = stored.get(keyString(item))!;
      expect(now.resource_version).toBe(1 + n);
      expect(Object.keys((now.data as ProviderData).config).sort()).toEqual(
        ['round0', 'round1', 'round2'].slice(0, n),
      );
    }
    for (const item of seed.legacy.filter((i) => i.kind !== 'Provider')) {
      expect(stored.get(keyString(item))?.resource_version).toBe(1);
    }
    const c = result.counts;
    expect(c.stamped + c.conflicts + c.skipped).toBe(700);
  });

  it('a stop inside a page checkpoints after the last finished item: the resume reads on from there', async () => {
    // arrange: one segment, one page holding every item; the stop comes after 100 stamps
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 300 });
    const stop = new AbortController();
    let stamps = 0;
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const command = (context as { commandName?: string }).commandName;
        if (
          command === 'UpdateItemCommand' &&
          isStamp(args.input as { UpdateExpression?: string })
        ) {
          if (++stamps === 100) stop.abort();
        }
        return result;
      },
      { step: 'build', name: 'stop-after-100' },
    );
    const options = { segments: 1, pageSize: 1_000, concurrency: 1, rate: 0 };

    // act
    const first = await backfillResourceVersions(store, { ...options, signal: stop.signal });
    const second = await backfillResourceVersions(store, {
      ...options,
      resumeFrom: first.progress,
    });

    // assert
    expect(first.outcome).toBe('stopped');
    expect(first.counts.stamped).toBe(100);
    expect(first.progress.backfill[0]).toMatchObject({ done: false, stamped: 100, scanned: 100 });
    expect(second.outcome).toBe('done');
    // The 100 stamped items are not read again: the page resumes after the hundredth.
    expect(second.counts).toMatchObject({ scanned: 200, stamped: 200, skipped: 0 });
    expect(second.totals).toMatchObject({ scanned: 300, stamped: 300, skipped: 0 });
    const stored = await itemsByKey(store);
    for (const item of seed.legacy) {
      expect(stored.get(keyString(item))).toEqual({ ...item, resource_version: 1 });
    }
  });

  it('honours throttling: throttled stamps and scans are retried after a backoff', async () => {
    // arrange: the SDK does not retry, so every throttle reaches the backfill
    const store = await createTestStore({ maxAttempts: 1 });
    await seedLegacyItems(store, { legacy: 150 });
    let stampThrottles = 6;
    let scanThrottles = 2;
    const remove = beforeRequests(store.client, async (command, input) => {
      const throttle =
        (command === 'UpdateItemCommand' && isStamp(input) && stampThrottles-- > 0) ||
        (command === 'ScanCommand' && scanThrottles-- > 0);
      if (throttle) {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
          name: 'ProvisionedThroughputExceededException',
          $metadata: { httpStatusCode: 400 },
        });
      }
    });

    // act
    let result: Awaited<ReturnType<typeof backfillResourceVersions>>;
    try {
      result = await backfillResourceVersions(store, { segments: 2, rate: 1_000 });
    } finally {
      remove();
    }

    // assert
    expect(result.outcome).toBe('done');
    expect(result.counts.throttled).toBe(8);
    expect(result.counts.stamped).toBe(150);
    const stored = await itemsByKey(store);
    expect([...stored.values()].every((item) => item.resource_version === 1)).toBe(true);
  });

  it('the verify pass starts another pass when legacy items appear behind the scan', async () => {
    // arrange: an old writer adds a legacy item right after the first pass's stamps
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 200 });
    const late = await seedLater(store);
    let added = false;
    let stamping = false;
    const remove = beforeRequests(store.client, async (command, input) => {
      if (command === 'UpdateItemCommand' && isStamp(input)) stamping = true;
      if (stamping && !added && (input as { Select?: string }).Select === 'COUNT') {
        added = true;
        await late();
      }
    });

    // act
    let result: Awaited<ReturnType<typeof backfillResourceVersions>>;
    try {
      result = await backfillResourceVersions(store, { segments: 2, rate: 0 });
    } finally {
      remove();
    }

    // assert
    expect(result.outcome).toBe('done');
    expect(result.progress.pass).toBe(2);
    expect(result.counts.stamped).toBe(seed.legacy.length + 1);
    expect(result.totals.stamped).toBe(seed.legacy.length + 1);
  });
});

/** A second store on the same table with its own client, as another process would have. */
async function apiStoreOn(store: Store): Promise<Store> {
  const { createDocumentClient } = await import('#lib/store/client.ts');
  const { dynamoEndpoint } = await import('#test/support/store.ts');
  return new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), store.tableName);
}

/** Returns a function that writes one legacy item the way pre-version code did. */
async function seedLater(store: Store): Promise<() => Promise<void>> {
  const other = await apiStoreOn(store);
  return async () => {
    const { batchPut, buildSeed } = await import('#test/support/legacy-items.ts');
    await batchPut(other, buildSeed({ legacy: 1, prefix: 'late' }).legacy);
  };
}
