import { performance } from 'node:perf_hooks';
import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { OBJECT_KINDS } from '#lib/domain/keys.ts';
import { backfillResourceVersions, DEFAULT_SEGMENTS } from '#lib/jobs/backfill.ts';
import type { Store } from '#lib/store/store.ts';
import type { ItemKey } from '#lib/store/types.ts';
import { batchPut, buildSeed } from '#test/support/legacy-items.ts';
import type { Bench } from '../support/local.ts';
import { meter } from '../support/meter.ts';
import { CpuAccount } from '../support/process-cpu.ts';
import { ratioOf, type Spread, spread } from '../support/stats.ts';

/** Stamps the backfill keeps in flight: its default segments × its default per-segment concurrency. */
export const BACKFILL_CONCURRENCY = DEFAULT_SEGMENTS * 4;

export interface BackfillResult {
  /** Legacy items stamped by the backfill over all its windows. */
  items: number;
  itemsPerWindow: number;
  concurrency: number;
  /** Items stamped per second over the whole run (scan, stamps, verify pass), per window. */
  backfill: Spread;
  /** The same over the stamping phase only (the verify pass left out). */
  stampingPhase: Spread;
  /** Conditional UpdateItem stamps of known keys per second, per window. */
  raw: Spread;
  ratio: number;
  /** DynamoDB requests the backfill sent per stamped item (scan pages and verify included). */
  requestsPerItem: number;
  /** CPU µs per stamped item of each process, from /proc over every window. */
  cpuPerItem: { backfill: Record<string, number>; raw: Record<string, number> };
  secondRun: {
    /** Writes sent by second runs over fully stamped tables (must be 0). */
    writes: number;
    /** Items read by the scans of a second run (stamping scan + verify) per second, per window. */
    scanned: Spread;
    /** Items of the table covered per second by the whole second run, per window. */
    tableItems: Spread;
    /**
     * The floor under it: DynamoDB Local scanning the same table with the verify pass's own
     * request (parallel segments, 1,000 items a page, `Select: COUNT`, consistent), per window.
     */
    rawScan: Spread;
  };
}

/** The raw floor: the backfill's own stamp (same expression and condition), keys known up front. */
function rawStamp(client: DynamoDBClient, table: string) {
  const kinds: Record<string, AttributeValue> = Object.fromEntries(
    OBJECT_KINDS.map((k, i) => [`:k${i}`, { S: k }]),
  );
  const list = OBJECT_KINDS.map((_, i) => `:k${i}`).join(', ');
  return (key: ItemKey) =>
    client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        UpdateExpression: 'SET #rv = :one',
        ConditionExpression: `attribute_exists(#pk) AND attribute_not_exists(#rv) AND attribute_not_exists(#tomb) AND #kind IN (${list})`,
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#rv': 'resource_version',
          '#tomb': 'tombstone',
          '#kind': 'kind',
        },
        ExpressionAttributeValues: { ':one': { N: '1' }, ...kinds },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
}

/** One full parallel scan as the verify pass sends it, without the job around it. */
async function rawScanPerSecond(client: DynamoDBClient, table: string): Promise<number> {
  const kinds: Record<string, AttributeValue> = Object.fromEntries(
    OBJECT_KINDS.map((k, i) => [`:k${i}`, { S: k }]),
  );
  const list = OBJECT_KINDS.map((_, i) => `:k${i}`).join(', ');
  let scanned = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: DEFAULT_SEGMENTS }, async (_, segment) => {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const res = await client.send(
          new ScanCommand({
            TableName: table,
            Segment: segment,
            TotalSegments: DEFAULT_SEGMENTS,
            ExclusiveStartKey: start,
            Limit: 1000,
            ConsistentRead: true,
            Select: 'COUNT',
            FilterExpression: `attribute_not_exists(#rv) AND attribute_not_exists(#tomb) AND #kind IN (${list})`,
            ExpressionAttributeNames: {
              '#kind': 'kind',
              '#rv': 'resource_version',
              '#tomb': 'tombstone',
            },
            ExpressionAttributeValues: kinds,
          }),
        );
        scanned += res.ScannedCount ?? 0;
        start = res.LastEvaluatedKey;
      } while (start);
    }),
  );
  return scanned / ((performance.now() - started) / 1000);
}

async function stampAll(
  keys: readonly ItemKey[],
  concurrency: number,
  stamp: (key: ItemKey) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) await stamp(keys[next++]!);
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * The resource-version backfill against raw conditional stamps of the same number of legacy
 * items at the same concurrency. Each window stamps a table of its own (seeded with
 * BatchWriteItem), the backfill's and the raw side's alternating; together the backfill's
 * windows stamp `totalItems`. Each backfill table is then run over a second time.
 */
export async function measureBackfill(
  bench: Bench,
  windows: number,
  totalItems: number,
): Promise<BackfillResult> {
  const perWindow = Math.ceil(totalItems / windows);
  const seedTable = async (side: string, w: number) => {
    const table = await bench.newTable(`bench-backfill-${side}${w}`);
    const store = bench.store(table);
    const seed = buildSeed({ legacy: perWindow, prefix: `${side}${w}-` });
    await batchPut(store, seed.all);
    return {
      table,
      store,
      keys: seed.legacy.map((i) => ({ pk: i.pk as string, sk: i.sk as string })),
    };
  };
  const tables: Array<{
    backfill: Awaited<ReturnType<typeof seedTable>>;
    raw: Awaited<ReturnType<typeof seedTable>>;
  }> = [];
  for (let w = 0; w < windows; w++) {
    tables.push({ backfill: await seedTable('b', w), raw: await seedTable('r', w) });
  }

  const raw = bench.rawClient();
  const backfillRates: number[] = [];
  const stampingRates: number[] = [];
  const rawRates: number[] = [];
  let stamped = 0;
  let requests = 0;
  const runBackfill = async (store: Store) => {
    const counter = meter(store.client);
    const started = performance.now();
    let stampingEnded = 0;
    const result = await backfillResourceVersions(store, {
      rate: 0,
      onProgress: (s) => {
        if (s.phase === 'verify' && !stampingEnded) stampingEnded = performance.now();
      },
    });
    const seconds = (performance.now() - started) / 1000;
    counter.remove();
    if (result.outcome !== 'done') throw new Error(`backfill ended ${result.outcome}`);
    return { result, seconds, stampingSeconds: (stampingEnded - started) / 1000, counter };
  };

  const pids = { bench: process.pid, 'DynamoDB Local': bench.db.pid };
  const backfillCpu = new CpuAccount(pids);
  const rawCpu = new CpuAccount(pids);
  for (const { backfill, raw: rawSide } of tables) {
    const run = await backfillCpu.measure(() => runBackfill(backfill.store));
    if (run.result.counts.stamped !== perWindow) {
      throw new Error(`backfill stamped ${run.result.counts.stamped} of ${perWindow}`);
    }
    stamped += run.result.counts.stamped;
    requests += run.counter.total;
    backfillRates.push(perWindow / run.seconds);
    stampingRates.push(perWindow / run.stampingSeconds);
    const seconds = await rawCpu.measure(() =>
      stampAll(rawSide.keys, BACKFILL_CONCURRENCY, rawStamp(raw, rawSide.table)),
    );
    rawRates.push(rawSide.keys.length / seconds);
  }

  const scanned: number[] = [];
  const covered: number[] = [];
  const rawScans: number[] = [];
  let writes = 0;
  for (const { backfill } of tables) {
    const run = await runBackfill(backfill.store);
    const c = run.counter.counts;
    writes +=
      (c.UpdateItem ?? 0) + (c.PutItem ?? 0) + (c.DeleteItem ?? 0) + (c.TransactWriteItems ?? 0);
    scanned.push((run.result.counts.scanned + run.result.counts.verified) / run.seconds);
    covered.push(perWindow / run.seconds);
    rawScans.push(await rawScanPerSecond(raw, backfill.table));
  }

  raw.destroy();
  for (const { backfill, raw: rawSide } of tables) {
    backfill.store.client.destroy();
    rawSide.store.client.destroy();
    await bench.dropTable(backfill.table);
    await bench.dropTable(rawSide.table);
  }
  const backfillSpread = spread(backfillRates);
  const rawSpread = spread(rawRates);
  return {
    items: stamped,
    itemsPerWindow: perWindow,
    concurrency: BACKFILL_CONCURRENCY,
    backfill: backfillSpread,
    stampingPhase: spread(stampingRates),
    raw: rawSpread,
    ratio: ratioOf(backfillSpread, rawSpread),
    requestsPerItem: requests / stamped,
    cpuPerItem: { backfill: backfillCpu.perOp(stamped), raw: rawCpu.perOp(stamped) },
    secondRun: {
      writes,
      scanned: spread(scanned),
      tableItems: spread(covered),
      rawScan: spread(rawScans),
    },
  };
}
