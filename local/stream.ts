import { request } from 'node:http';
import type { StreamRecord } from '#lib/watch/stream.ts';

/**
 * The dev server's event source mapping: reads DynamoDB Local's stream of the table (the
 * Streams API, spoken directly: DynamoDB Local does not check signatures) and hands each batch
 * to the same handler the deployed consumer runs (`functions/stream.ts`), shard by shard, in
 * order. A batch whose handler fails is handed over again, as Lambda retries it; a shard is
 * read from its start when the poller starts, and the feed appends nothing twice.
 */

export interface StreamPollerOptions {
  endpoint: string;
  table: string;
  /** The consumer: `functions/stream.ts`'s handler. */
  handle: (event: { Records: StreamRecord[] }) => Promise<unknown>;
  /** Between passes that found nothing new. @default 200 ms */
  idleMs?: number;
  log?: (line: string) => void;
}

export interface StreamPoller {
  /** Resolves once every record committed before the call has been handed over and handled. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/** One Streams API (or DynamoDB API) call, JSON over HTTP to DynamoDB Local. */
function call<T>(endpoint: string, target: string, body: unknown): Promise<T> {
  const service = target.startsWith('DynamoDBStreams') ? 'streams.dynamodb' : 'dynamodb';
  const payload = JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      endpoint,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(payload),
          'x-amz-target': target,
          // The credential names the same local account as the handlers' client.
          authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 300)
            reject(new Error(`${target}: ${res.statusCode} ${text}`));
          else resolve(JSON.parse(text) as T);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * DynamoDB Local's stream writes an empty map as `{}` where DynamoDB writes `{"M": {}}` (and
 * the SDK cannot read `{}`): its records are given the deployed form before they are handed over.
 */
function asDeployed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asDeployed);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 0) return { M: {} };
  const [[type, inner]] = entries as [[string, unknown]];
  if (entries.length === 1 && type === 'M') {
    return {
      M: Object.fromEntries(Object.entries(inner as object).map(([k, v]) => [k, asDeployed(v)])),
    };
  }
  if (entries.length === 1 && type === 'L') return { L: (inner as unknown[]).map(asDeployed) };
  return value;
}

function imageAsDeployed(image: Record<string, unknown> | undefined) {
  return image && Object.fromEntries(Object.entries(image).map(([k, v]) => [k, asDeployed(v)]));
}

function recordAsDeployed(record: StreamRecord): StreamRecord {
  const d = record.dynamodb;
  if (!d) return record;
  return {
    ...record,
    dynamodb: {
      ...d,
      OldImage: imageAsDeployed(d.OldImage) as typeof d.OldImage,
      NewImage: imageAsDeployed(d.NewImage) as typeof d.NewImage,
    },
  };
}

interface Shard {
  ShardId: string;
  SequenceNumberRange?: { EndingSequenceNumber?: string };
}

export async function startStreamPoller(opts: StreamPollerOptions): Promise<StreamPoller> {
  const idleMs = opts.idleMs ?? 200;
  const log = opts.log ?? (() => {});
  const described = await call<{ Table: { LatestStreamArn?: string } }>(
    opts.endpoint,
    'DynamoDB_20120810.DescribeTable',
    { TableName: opts.table },
  );
  const streamArn = described.Table.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${opts.table} has no stream`);
  /** Per shard: the iterator to read next (null: the shard is closed and read to its end). */
  const iterators = new Map<string, string | null>();
  let stopped = false;
  let round = 0;
  const waiters: Array<{ after: number; resolve: () => void }> = [];

  async function discover() {
    const res = await call<{ StreamDescription: { Shards: Shard[] } }>(
      opts.endpoint,
      'DynamoDBStreams_20120810.DescribeStream',
      { StreamArn: streamArn },
    );
    for (const shard of res.StreamDescription.Shards) {
      if (iterators.has(shard.ShardId)) continue;
      const it = await call<{ ShardIterator: string }>(
        opts.endpoint,
        'DynamoDBStreams_20120810.GetShardIterator',
        { StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' },
      );
      iterators.set(shard.ShardId, it.ShardIterator);
    }
  }

  let lastDiscovery = 0;
  /** One pass over every open shard (the shards looked up again every 5 s): true if any handed records over. */
  async function pass(): Promise<boolean> {
    if (waiters.length || iterators.size === 0 || Date.now() - lastDiscovery > 5_000) {
      await discover();
      lastDiscovery = Date.now();
    }
    let any = false;
    for (const [shard, iterator] of iterators) {
      let next: string | null = iterator;
      while (next && !stopped) {
        const res: { Records?: StreamRecord[]; NextShardIterator?: string } = await call(
          opts.endpoint,
          'DynamoDBStreams_20120810.GetRecords',
          { ShardIterator: next, Limit: 1000 },
        );
        const records = res.Records ?? [];
        if (records.length) {
          // A failure leaves the iterator where it was: the batch is handed over again.
          await opts.handle({ Records: records.map(recordAsDeployed) });
          any = true;
        }
        next = res.NextShardIterator ?? null;
        iterators.set(shard, next);
        if (!records.length) break;
      }
    }
    return any;
  }

  const loop = (async () => {
    while (!stopped) {
      let any = false;
      try {
        any = await pass();
        // Only a pass that handed everything over counts for `drain`.
        round++;
        for (const w of waiters.splice(0)) {
          if (round > w.after) w.resolve();
          else waiters.push(w);
        }
      } catch (err) {
        if (!stopped) log(`stream consumer: ${(err as Error).message}; retrying`);
      }
      if (!any && !stopped) await new Promise((r) => setTimeout(r, idleMs));
    }
  })();

  return {
    drain: () =>
      new Promise<void>((resolve) => {
        // A pass that starts after this call reads everything committed before it.
        waiters.push({ after: round + 1, resolve });
      }),
    stop: async () => {
      stopped = true;
      for (const w of waiters.splice(0)) w.resolve();
      await loop;
    },
  };
}
