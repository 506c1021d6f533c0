import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from '#lib/store/types.ts';
import type { Bench } from '../support/local.ts';
import { meter } from '../support/meter.ts';
import { ratioOf, type Spread } from '../support/stats.ts';
import type { WindowPlan } from '../support/windows.ts';
import { alternate } from '../support/windows.ts';

type Counter = { count: number };
const KIND = 'GlobalSettings';

export interface ContentionSide {
  /** Successful updates per second, per window. */
  successes: Spread;
  /** Operations that gave up (the store's ABORTED after its attempts; none for the loop). */
  gaveUp: number;
  /** DynamoDB requests per successful update. */
  requestsPerSuccess: number;
  /** Updates that succeeded but are missing from the object at the end (must be 0). */
  lost: number;
}

export interface ContentionRow {
  writers: number;
  store: ContentionSide;
  naive: ContentionSide;
  ratio: number;
  /** Every window's successes per second, in the order they ran. */
  windows: { store: number[]; naive: number[] };
}

interface Window {
  successes: number;
  gaveUp: number;
  seconds: number;
}

/**
 * K writers increment one counter object for a window. Each success is counted by the writer
 * that made it; at the end the object must hold exactly that many increments at exactly that
 * many versions past 1, or updates were lost.
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
 * Server-driven writers on one object: the store's update (read, apply, conditional write; on a
 * conflict re-apply on the item the failed write returned, jittered backoff, at most 5 attempts)
 * against a naive loop that re-reads after every conflict and retries at once.
 */
export async function measureContention(
  bench: Bench,
  plan: WindowPlan,
  writerCounts: readonly number[],
): Promise<ContentionRow[]> {
  const table = await bench.newTable('bench-contention');
  const store = bench.store(table);
  const naiveClient = bench.documentClient();
  const storeMeter = meter(store.client);
  const naiveMeter = meter(naiveClient);
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

  const storeIncrement = (key: ItemKey) => async () => {
    try {
      await store.update<Counter>(
        key,
        { kind: KIND, name: key.pk },
        { apply: (cur) => ({ count: cur.data.count + 1 }) },
        { requestId: randomUUID() },
      );
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ABORTED') return false;
      throw err;
    }
  };
  const naiveIncrement = (key: ItemKey, deadline: () => number) => async () => {
    for (;;) {
      const read = await naiveClient.send(
        new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      const item = read.Item as { resource_version: number; data: Counter };
      try {
        await naiveClient.send(
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
        // Past the window a writer stops retrying; its update never happened.
        if (performance.now() > deadline()) return false;
      }
    }
  };

  const rows: ContentionRow[] = [];
  for (const k of writerCounts) {
    const sides = {
      store: { successes: 0, gaveUp: 0, lost: 0, requests: 0 },
      naive: { successes: 0, gaveUp: 0, lost: 0, requests: 0 },
    };
    const run = async (side: 'store' | 'naive', durationMs: number, record: boolean) => {
      const key = await freshCounter();
      const m = side === 'store' ? storeMeter : naiveMeter;
      m.reset();
      const end = performance.now() + durationMs;
      const w = await contend(
        k,
        durationMs,
        side === 'store' ? storeIncrement(key) : naiveIncrement(key, () => end),
      );
      const lost = await lostUpdates(key, w.successes);
      if (record) {
        sides[side].successes += w.successes;
        sides[side].gaveUp += w.gaveUp;
        sides[side].lost += lost;
        sides[side].requests += m.total;
      }
      return w.successes / w.seconds;
    };
    await run('store', plan.warmupMs, false);
    await run('naive', plan.warmupMs, false);
    const result = await alternate(plan.windows, {
      store: () => run('store', plan.windowMs, true),
      naive: () => run('naive', plan.windowMs, true),
    });
    const side = (s: 'store' | 'naive'): ContentionSide => ({
      successes: result.spreads[s],
      gaveUp: sides[s].gaveUp,
      requestsPerSuccess: sides[s].requests / Math.max(1, sides[s].successes),
      lost: sides[s].lost,
    });
    rows.push({
      writers: k,
      store: side('store'),
      naive: side('naive'),
      ratio: ratioOf(result.spreads.store, result.spreads.naive),
      windows: result.values,
    });
  }
  storeMeter.remove();
  naiveMeter.remove();
  store.client.destroy();
  naiveClient.destroy();
  await bench.dropTable(table);
  return rows;
}
