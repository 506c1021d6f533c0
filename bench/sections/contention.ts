import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { backoff, MAX_ATTEMPTS } from '#lib/store/backoff.ts';
import { change } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { ItemKey, Mutation } from '#lib/store/types.ts';
import { meter } from '#test/support/sdk-meter.ts';
import type { Bench } from '../support/local.ts';
import { ratioOf, type Spread } from '../support/stats.ts';
import type { WindowPlan } from '../support/windows.ts';
import { alternate } from '../support/windows.ts';

type Counter = { count: number };
type ConflictHandling = Store['onConflict'];
const KIND = 'GlobalSettings';

/**
 * The sides of a row, alternating window by window in this order (the store's default next to
 * the baseline it is held to, whose medians are closest to even):
 * - `store`: the increment as a change that must read (`apply` only), through `Store.update`
 *   as the store is configured by default;
 * - `baseline`: the loop a user of ElectroDB or dynamodb-toolbox writes;
 * - `storeOther`: the same as `store` through a store configured with the other conflict
 *   handling, which shows why the default is what it is;
 * - `commuting`: the same increment as a blind structured change (one UpdateItem, no read).
 */
export const CONTENTION_SIDES = ['store', 'baseline', 'storeOther', 'commuting'] as const;
export type ContentionSideName = (typeof CONTENTION_SIDES)[number];

export interface ContentionSide {
  /** Successful updates per second, per window. */
  successes: Spread;
  /** Operations begun in the recorded windows: each either succeeded or gave up. */
  operations: number;
  /** Operations that gave up after their attempts (the store's ABORTED). */
  gaveUp: number;
  /** DynamoDB requests per successful update. */
  requestsPerSuccess: number;
  /** Updates that succeeded but are missing from the object at the end (must be 0). */
  lost: number;
}

export interface ContentionRow {
  writers: number;
  sides: Record<ContentionSideName, ContentionSide>;
  /** Successes per second over the baseline's, by medians. */
  ratios: Record<Exclude<ContentionSideName, 'baseline'>, number>;
  /** Every window's successes per second, in the order they ran. */
  windows: Record<ContentionSideName, number[]>;
}

export interface ContentionResult {
  /** The conflict handling of a default store (`store`), and the other one (`storeOther`). */
  onConflict: { store: ConflictHandling; storeOther: ConflictHandling };
  maxAttempts: number;
  rows: ContentionRow[];
}

interface Window {
  successes: number;
  gaveUp: number;
  seconds: number;
}

/** The share of a side's operations that gave up. */
export const gaveUpShare = (s: ContentionSide) => (s.operations ? s.gaveUp / s.operations : 0);

/**
 * K writers increment one counter object for a window; no writer starts an operation after it,
 * and the window ends when the last one settles. Each success is counted by the writer that
 * made it; at the end the object must hold exactly that many increments at exactly that many
 * versions past 1, or updates were lost.
 */
async function contend(
  writers: number,
  durationMs: number,
  increment: () => Promise<boolean>,
): Promise<Window> {
  const started = performance.now();
  const deadline = started + durationMs;
  let successes = 0;
  let gaveUp = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (performance.now() < deadline) {
        if (await increment()) successes++;
        else gaveUp++;
      }
    }),
  );
  return { successes, gaveUp, seconds: (performance.now() - started) / 1000 };
}

/**
 * Server-driven writers on one object, K at a time. The store's update of a change that must
 * read (read, apply, write conditioned on the version; on a conflict back off and apply again,
 * on a fresh read or on the item the failed write returned, at most {@link MAX_ATTEMPTS}
 * attempts) and the same increment as a commuting blind write, against the loop a user would
 * write with ElectroDB or dynamodb-toolbox: read, apply, write conditioned on the version; on a
 * conditional failure the same full-jitter backoff (lib/store/backoff.ts), a re-read and
 * another write, at most as many attempts, then give up.
 */
export async function measureContention(
  bench: Bench,
  plan: WindowPlan,
  writerCounts: readonly number[],
): Promise<ContentionResult> {
  const table = await bench.newTable('bench-contention');
  const store = bench.store(table);
  const other: ConflictHandling = store.onConflict === 'reread' ? 'reapply' : 'reread';
  const stores: Record<Exclude<ContentionSideName, 'baseline'>, Store> = {
    store,
    storeOther: bench.store(table, { onConflict: other }),
    commuting: bench.store(table),
  };
  const baselineClient = bench.documentClient();
  const meters = {
    store: meter(stores.store.client),
    storeOther: meter(stores.storeOther.client),
    commuting: meter(stores.commuting.client),
    baseline: meter(baselineClient),
  };
  let objects = 0;

  const freshCounter = async (): Promise<ItemKey> => {
    const key = { pk: `counter#${++objects}`, sk: '@' };
    await store.create<Counter>(
      { key, kind: KIND, name: key.pk, data: { count: 0 } },
      { requestId: randomUUID() },
    );
    return key;
  };
  /** Increments that are on the object, checked against what the writers counted. */
  const lostUpdates = async (key: ItemKey, successes: number): Promise<number> => {
    const obj = await store.mustGet<Counter>(key, { kind: KIND, name: key.pk });
    const byCount = successes - obj.data.count;
    const byVersion = successes - (obj.resourceVersion - 1);
    if (byCount !== byVersion) {
      throw new Error(`counter ${key.pk}: count ${obj.data.count}, version ${obj.resourceVersion}`);
    }
    return byCount;
  };

  const mustRead: Mutation<Counter> = { apply: (cur) => ({ count: cur.data.count + 1 }) };
  const commuting: Mutation<Counter> = {
    ...mustRead,
    blind: { changes: [change.increment(['count'])] },
  };
  const storeIncrement = (s: Store, mutation: Mutation<Counter>, key: ItemKey) => async () => {
    try {
      await s.update<Counter>(key, { kind: KIND, name: key.pk }, mutation, {
        requestId: randomUUID(),
      });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ABORTED') return false;
      throw err;
    }
  };
  const baselineIncrement = (key: ItemKey) => async () => {
    for (let attempt = 1; ; attempt++) {
      const read = await baselineClient.send(
        new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      const item = read.Item as { resource_version: number; data: Counter };
      try {
        await baselineClient.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'SET #data = :data ADD #rv :one',
            ConditionExpression: '#rv = :expected',
            ExpressionAttributeNames: { '#data': 'data', '#rv': 'resource_version' },
            ExpressionAttributeValues: {
              ':data': { count: item.data.count + 1 },
              ':expected': item.resource_version,
              ':one': 1,
            },
          }),
        );
        return true;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        if (attempt >= MAX_ATTEMPTS) return false;
        await backoff(attempt);
      }
    }
  };
  const incrementOf = (side: ContentionSideName, key: ItemKey) =>
    side === 'baseline'
      ? baselineIncrement(key)
      : storeIncrement(stores[side], side === 'commuting' ? commuting : mustRead, key);

  const rows: ContentionRow[] = [];
  for (const k of writerCounts) {
    const totals = Object.fromEntries(
      CONTENTION_SIDES.map((s) => [s, { successes: 0, gaveUp: 0, lost: 0, requests: 0 }]),
    ) as Record<
      ContentionSideName,
      { successes: number; gaveUp: number; lost: number; requests: number }
    >;
    const run = async (side: ContentionSideName, durationMs: number, record: boolean) => {
      const key = await freshCounter();
      const m = meters[side];
      m.reset();
      const w = await contend(k, durationMs, incrementOf(side, key));
      const lost = await lostUpdates(key, w.successes);
      if (record) {
        totals[side].successes += w.successes;
        totals[side].gaveUp += w.gaveUp;
        totals[side].lost += lost;
        totals[side].requests += m.total;
      }
      return w.successes / w.seconds;
    };
    for (const side of CONTENTION_SIDES) await run(side, plan.warmupMs, false);
    const result = await alternate(
      plan.windows,
      Object.fromEntries(
        CONTENTION_SIDES.map((s) => [s, () => run(s, plan.windowMs, true)]),
      ) as Record<ContentionSideName, () => Promise<number>>,
    );
    const sideOf = (s: ContentionSideName): ContentionSide => ({
      successes: result.spreads[s],
      operations: totals[s].successes + totals[s].gaveUp,
      gaveUp: totals[s].gaveUp,
      requestsPerSuccess: totals[s].requests / Math.max(1, totals[s].successes),
      lost: totals[s].lost,
    });
    const sides = Object.fromEntries(CONTENTION_SIDES.map((s) => [s, sideOf(s)])) as Record<
      ContentionSideName,
      ContentionSide
    >;
    const over = (s: ContentionSideName) => ratioOf(result.spreads[s], result.spreads.baseline);
    rows.push({
      writers: k,
      sides,
      ratios: {
        store: over('store'),
        storeOther: over('storeOther'),
        commuting: over('commuting'),
      },
      windows: result.values,
    });
  }
  for (const m of Object.values(meters)) m.remove();
  for (const s of Object.values(stores)) s.client.destroy();
  baselineClient.destroy();
  await bench.dropTable(table);
  return {
    onConflict: { store: store.onConflict, storeOther: other },
    maxAttempts: MAX_ATTEMPTS,
    rows,
  };
}
