import { performance } from 'node:perf_hooks';
import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { OBJECT_KINDS } from '#lib/domain/keys.ts';
import {
  type BackfillProgress,
  backfillResourceVersions,
  DEFAULT_CONCURRENCY,
  DEFAULT_SEGMENTS,
} from '#lib/jobs/backfill.ts';
import type { ItemKey } from '#lib/store/types.ts';
import { batchPut, buildSeed } from '#test/support/legacy-items.ts';
import { meter } from '#test/support/sdk-meter.ts';
import type { Bench } from '../support/local.ts';
import { CpuAccount } from '../support/process-cpu.ts';
import { ratioOf, type Spread, spread } from '../support/stats.ts';

/** Stamps the backfill keeps in flight: its default segments × its default per-segment concurrency. */
export const BACKFILL_CONCURRENCY = DEFAULT_SEGMENTS * DEFAULT_CONCURRENCY;

export interface BackfillResult {
  /** Legacy items the backfill stamped (one table). */
  items: number;
  /** The backfill's default scan segments and stamps in flight per segment. */
  segments: number;
  perSegment: number;
  /** Stamps in flight on both sides. */
  concurrency: number;
  windowMs: number;
  /** Items stamped per second in each window of the backfill (stopped and resumed). */
  backfill: Spread;
  /** Conditional UpdateItem stamps of known keys per second, per window. */
  raw: Spread;
  ratio: number;
  /** Every kept window's items per second, in the order they ran. */
  windows: { backfill: number[]; raw: number[] };
  /** The whole backfill, scan, stamps, stops, resumes and verify pass: items per second. */
  backfillOverall: number;
  rawOverall: number;
  /** DynamoDB requests the backfill sent per stamped item (scan pages and verify included). */
  requestsPerItem: number;
  /** CPU µs per stamped item of each process, from /proc over every window. */
  cpuPerItem: { backfill: Record<string, number>; raw: Record<string, number> };
  secondRun: {
    /** Writes sent by the second runs over the fully stamped table (must be 0). */
    writes: number;
    /**
     * Items read by the scans of a second run per second, per run: its first count, which finds
     * nothing, so no stamping scan or verify follows.
     */
    scanned: Spread;
    /** Items of the table covered per second by the whole second run, per run. */
    tableItems: Spread;
    /**
     * The floor under it: DynamoDB Local scanning the same table with the verify pass's own
     * request (parallel segments, 1 MB pages, `Select: COUNT`, consistent), per run.
     */
    rawScan: Spread;
    /**
     * What `migrate run` does once migration 005 is done: its verify alone (one counting scan),
     * items per second, per run.
     */
    verifyOnly: Spread;
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

/**
 * The resource-version backfill against raw conditional stamps at the same concurrency, each on
 * a table of `items` legacy items (seeded with BatchWriteItem). The backfill is resumable, so it
 * runs in windows: stopped by its signal after `windowMs`, resumed from its progress in the next
 * window, alternating with windows of raw stamps, until it is done. The fully stamped table is
 * then run over again, alternating with the raw scan floor and with the verify alone.
 */
export async function measureBackfill(
  bench: Bench,
  items: number,
  windowMs: number,
  secondRuns: number,
): Promise<BackfillResult> {
  const seedTable = async (side: string) => {
    const table = await bench.newTable(`bench-backfill-${side}`);
    const store = bench.store(table);
    const seed = buildSeed({ legacy: items, prefix: `${side}-` });
    await batchPut(store, seed.all);
    return {
      table,
      store,
      keys: seed.legacy.map((i) => ({ pk: i.pk as string, sk: i.sk as string })),
    };
  };
  const backfillSide = await seedTable('b');
  const rawSide = await seedTable('r');
  const raw = bench.rawClient();
  const pids = { bench: process.pid, 'DynamoDB Local': bench.db.pid };
  const backfillCpu = new CpuAccount(pids);
  const rawCpu = new CpuAccount(pids);
  const counter = meter(backfillSide.store.client);

  let progress: BackfillProgress | undefined;
  let done = false;
  let stamped = 0;
  let backfillSeconds = 0;
  const backfillWindow = async () => {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), windowMs);
    const started = performance.now();
    const result = await backfillResourceVersions(backfillSide.store, {
      rate: 0,
      signal: stop.signal,
      resumeFrom: progress,
    });
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    backfillSeconds += seconds;
    stamped += result.counts.stamped;
    progress = result.progress;
    if (result.outcome === 'done') done = true;
    else if (result.outcome !== 'stopped') throw new Error(`backfill ended ${result.outcome}`);
    return result.counts.stamped / seconds;
  };

  const stamp = rawStamp(raw, rawSide.table);
  let next = 0;
  let rawStamped = 0;
  let rawSeconds = 0;
  /** Raw stamps for one window; a window that ran out of keys is cut short and not kept. */
  const rawWindow = async (): Promise<number | undefined> => {
    const started = performance.now();
    const deadline = started + windowMs;
    let ops = 0;
    await Promise.all(
      Array.from({ length: BACKFILL_CONCURRENCY }, async () => {
        while (performance.now() < deadline && next < rawSide.keys.length) {
          await stamp(rawSide.keys[next++]!);
          ops++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    rawStamped += ops;
    rawSeconds += seconds;
    return next < rawSide.keys.length ? ops / seconds : undefined;
  };

  const backfillRates: number[] = [];
  const rawRates: number[] = [];
  let first = true;
  while (!done) {
    const rate = await backfillCpu.measure(backfillWindow);
    // Neither the window that ran the first count (a new backfill counts what lacks a version
    // before it stamps: lib/jobs/backfill.ts) nor the one that ran the verify pass is a
    // stamping window; both passes are in `backfillOverall`.
    if (!(first || done) || (first && done)) backfillRates.push(rate);
    first = false;
    if (next < rawSide.keys.length) {
      const rate = await rawCpu.measure(rawWindow);
      if (rate !== undefined) rawRates.push(rate);
    }
  }
  counter.remove();
  if (stamped !== items) throw new Error(`backfill stamped ${stamped} of ${items}`);
  const requests = counter.total;

  const scanned: number[] = [];
  const covered: number[] = [];
  const rawScans: number[] = [];
  const verifies: number[] = [];
  let writes = 0;
  for (let run = 0; run < secondRuns; run++) {
    const second = meter(backfillSide.store.client);
    const started = performance.now();
    const result = await backfillResourceVersions(backfillSide.store, { rate: 0 });
    const seconds = (performance.now() - started) / 1000;
    second.remove();
    const c = second.counts;
    writes +=
      (c.UpdateItem ?? 0) + (c.PutItem ?? 0) + (c.DeleteItem ?? 0) + (c.TransactWriteItems ?? 0);
    scanned.push((result.counts.scanned + result.counts.verified) / seconds);
    covered.push(items / seconds);
    rawScans.push(await rawScanPerSecond(raw, backfillSide.table));
    const verifyStarted = performance.now();
    const verify = await backfillResourceVersions(backfillSide.store, { verifyOnly: true });
    if (verify.unversioned !== 0) throw new Error('the verify found unversioned items');
    verifies.push(verify.counts.verified / ((performance.now() - verifyStarted) / 1000));
  }

  raw.destroy();
  for (const side of [backfillSide, rawSide]) {
    side.store.client.destroy();
    await bench.dropTable(side.table);
  }
  const backfillSpread = spread(backfillRates);
  const rawSpread = spread(rawRates);
  return {
    items: stamped,
    segments: DEFAULT_SEGMENTS,
    perSegment: DEFAULT_CONCURRENCY,
    concurrency: BACKFILL_CONCURRENCY,
    windowMs,
    backfill: backfillSpread,
    raw: rawSpread,
    ratio: ratioOf(backfillSpread, rawSpread),
    windows: { backfill: backfillRates, raw: rawRates },
    backfillOverall: stamped / backfillSeconds,
    rawOverall: rawStamped / rawSeconds,
    requestsPerItem: requests / stamped,
    cpuPerItem: { backfill: backfillCpu.perOp(stamped), raw: rawCpu.perOp(rawStamped) },
    secondRun: {
      writes,
      scanned: spread(scanned),
      tableItems: spread(covered),
      rawScan: spread(rawScans),
      verifyOnly: spread(verifies),
    },
  };
}
