import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inferenceRouteIndex, inferenceRouteKey } from '#lib/domain/inference.ts';
import { index, Kind, keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';

export type RawItem = Record<string, unknown>;

export interface SeedPlan {
  /** Object items of every kind without `resource_version`. */
  legacy: number;
  /** Object items that already carry a version (1–4). */
  versioned?: number;
  /** Items that are not objects: bookkeeping, tombstones, other kinds. */
  nonObjects?: number;
  /** Distinguishes names when one table gets several seeds. */
  prefix?: string;
}

export interface SeedSet {
  legacy: RawItem[];
  versioned: RawItem[];
  nonObjects: RawItem[];
  all: RawItem[];
}

const CREATED = '2024-01-02T03:04:05.000Z';

/** A legacy object item of one of the kinds, as written before versions existed. */
function legacyObject(i: number, prefix: string): RawItem {
  const name = `${prefix}${i}`;
  const base = {
    id: randomUUID(),
    name,
    created_at: CREATED,
    updated_at: CREATED,
    labels: { seed: prefix || 'x' },
    last_request_id: `seed-${i}`,
  };
  switch (i % 7) {
    case 0:
      return {
        ...keys.provider(name),
        ...index.provider(name),
        ...base,
        kind: Kind.Provider,
        data: { type: 'github', credentials: { token: 't' }, config: {} },
      };
    case 1:
      return {
        ...keys.sandbox(name),
        ...index.sandbox(name),
        ...base,
        kind: Kind.Sandbox,
        data: {
          spec: { environment: {}, providers: [], gpu: false },
          phase: 'READY',
          conditions: [],
          currentPolicyVersion: null,
          latestPolicyVersion: 0,
        },
      };
    case 2:
      return {
        ...keys.sandboxSettings(name),
        ...base,
        kind: Kind.SandboxSettings,
        data: { settings: { a: true } },
      };
    case 3:
      return {
        ...keys.policyRevision(name, i),
        ...base,
        kind: Kind.PolicyRevision,
        data: { version: i, policy: {}, status: 'LOADED', hash: 'h' },
      };
    case 4:
      return {
        ...keys.sshSession(name, `sess${i}`),
        ...index.sshSession(name, `sess${i}`),
        ...base,
        kind: Kind.SSHSession,
        data: { sandboxName: name, tokenHash: 'x', expiresAt: null, revoked: false },
      };
    case 5:
      return {
        ...keys.service(name, 'web'),
        ...index.service(name, 'web'),
        ...base,
        kind: Kind.Service,
        data: { sandboxName: name, service: 'web', targetPort: 80, domain: false, url: 'u' },
      };
    default:
      return {
        ...inferenceRouteKey(name),
        ...inferenceRouteIndex(name),
        ...base,
        kind: Kind.InferenceRoute,
        data: { providerName: 'p', modelId: 'm', timeoutSeconds: 30 },
      };
  }
}

/** Something the backfill must leave alone. */
function nonObject(i: number, prefix: string): RawItem {
  const name = `${prefix}n${i}`;
  switch (i % 6) {
    case 0:
      return { ...keys.providerRefs(name), count: 2 };
    case 1:
      return { ...keys.providerRef(name, 'sb'), sandbox: 'sb' };
    case 2:
      return { ...keys.sshSessionPointer(name), sandbox: 'sb' };
    case 3:
      // A tombstone keeps the kind and version of the object it replaced.
      return {
        ...keys.sandbox(name),
        tombstone: true,
        kind: Kind.Sandbox,
        id: randomUUID(),
        resource_version: 3,
        last_request_id: 'r',
        expires_at: 4102444800,
      };
    case 4:
      // Odd but possible: a tombstone without a version must not be stamped either.
      return { ...keys.provider(name), tombstone: true, kind: Kind.Provider, id: randomUUID() };
    default:
      return {
        pk: `idem#${name}`,
        sk: '@',
        kind: i % 12 === 5 ? Kind.Migration : 'IdempotencyRecord',
        data: { status: 200 },
      };
  }
}

export function buildSeed(plan: SeedPlan): SeedSet {
  const prefix = plan.prefix ?? '';
  const legacy = Array.from({ length: plan.legacy }, (_, i) => legacyObject(i, `${prefix}l`));
  const versioned = Array.from({ length: plan.versioned ?? 0 }, (_, i) => ({
    ...legacyObject(i, `${prefix}v`),
    resource_version: 1 + (i % 4),
  }));
  const nonObjects = Array.from({ length: plan.nonObjects ?? 0 }, (_, i) => nonObject(i, prefix));
  return { legacy, versioned, nonObjects, all: [...legacy, ...versioned, ...nonObjects] };
}

/**
 * Fixture loading into a test's own fresh table: BatchWriteItem (which takes no condition) in
 * chunks of 25, retrying unprocessed items.
 */
export async function batchPut(store: Store, items: RawItem[]): Promise<void> {
  const chunks: RawItem[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      let requests = (chunks[next++] ?? []).map((Item) => ({ PutRequest: { Item } }));
      while (requests.length) {
        const res = await store.client.send(
          new BatchWriteCommand({ RequestItems: { [store.tableName]: requests } }),
        );
        requests = (res.UnprocessedItems?.[store.tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

export async function seedLegacyItems(store: Store, plan: SeedPlan): Promise<SeedSet> {
  const seed = buildSeed(plan);
  await batchPut(store, seed.all);
  return seed;
}

/** Every item of the table, read consistently. */
export async function scanAll(store: Store): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await store.client.send(
      new ScanCommand({
        TableName: store.tableName,
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return items;
}

export const keyString = (item: RawItem) => `${item.pk}|${item.sk}`;

/** The table's items by key, for comparing against a seed. */
export async function itemsByKey(store: Store): Promise<Map<string, RawItem>> {
  return new Map((await scanAll(store)).map((item) => [keyString(item), item]));
}

/**
 * A sandbox as written before provider ref records existed: it lists `providers`, and no
 * `provider#<p>` / `ref#<sandbox>` record nor any `ref_count` says so. With `version`, it is a
 * sandbox the backfill has already stamped (refs and versions came in separate releases).
 */
export function legacySandbox(name: string, providers: string[], version?: number): RawItem {
  return {
    ...keys.sandbox(name),
    ...index.sandbox(name),
    kind: Kind.Sandbox,
    id: randomUUID(),
    name,
    ...(version === undefined ? {} : { resource_version: version }),
    created_at: CREATED,
    updated_at: CREATED,
    labels: {},
    last_request_id: `seed-${name}`,
    data: {
      spec: { environment: {}, providers, gpu: false },
      phase: 'READY',
      conditions: [],
      currentPolicyVersion: null,
      latestPolicyVersion: 0,
    },
  };
}

/** Puts legacy sandboxes (see {@link legacySandbox}) into a test's own table. */
export async function putLegacySandboxes(
  store: Store,
  sandboxes: Record<string, string[]>,
): Promise<RawItem[]> {
  const items = Object.entries(sandboxes).map(([name, providers]) =>
    legacySandbox(name, providers),
  );
  await batchPut(store, items);
  return items;
}
