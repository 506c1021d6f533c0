import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#lib/store/client.ts';
import type { TableHandle } from '#lib/store/handle.ts';
import { LOG_HEAD_REPLICAS, logHead, readLog } from '#lib/store/log.ts';
import { consumeChanges } from '#lib/watch/consumer.ts';
import { fromLogRecord, type WatchEvent, type WatchKind } from '#lib/watch/events.ts';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { createHttpCall, type HttpCall } from '#test/support/http-client.ts';
import { meter } from '#test/support/sdk-meter.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * The watch feed (docs/architecture.md, "Watch"): the dev server's stream consumer, on DynamoDB
 * Local's stream of the table, turns every committed version of every watched object into one
 * event of its kind's feed, in version order, and a batch consumed again appends nothing twice.
 */

let system: LocalSystem;
let call: HttpCall;
let table: TableHandle;

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-feed-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-feed-')),
    schedules: false,
    log: () => {},
  });
  call = createHttpCall(system.url, system.token);
  table = {
    client: createDocumentClient({ endpoint: system.dynamoEndpoint }),
    tableName: system.table,
  };
}, 120_000);
afterAll(async () => {
  table?.client.destroy();
  await system?.stop();
});

/** Every event of a kind's feed, in feed order, once the consumer has caught up. */
async function feed(kind: WatchKind): Promise<WatchEvent[]> {
  await system.stream.drain();
  const head = await logHead(table, kind, 0);
  return (await readLog(table, kind, 0, head, Number.MAX_SAFE_INTEGER)).map(fromLogRecord);
}

const ok = async (method: string, path: string, body?: unknown) => {
  const res = await call(method, path, { body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return res;
};

describe('the watch feed', () => {
  it('holds ADDED, then each MODIFIED version, then DELETED with the object as it last was', async () => {
    // arrange
    const created = await ok('POST', '/v1/sandboxes', { name: 'fd-life', spec: {} });
    await ok('PUT', '/v1/sandboxes/fd-life/status', { phase: 'READY' });
    const deleted = await ok('DELETE', '/v1/sandboxes/fd-life');
    // act
    const events = (await feed('sandbox')).filter((e) => e.name === 'fd-life');
    // assert
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ['ADDED', 1],
      ['MODIFIED', 2],
      ['MODIFIED', deleted.body.metadata.resourceVersion],
      ['DELETED', deleted.body.metadata.resourceVersion],
    ]);
    expect(events[0]!.id).toBe(created.body.metadata.id);
    expect((events.at(-1)!.object as { phase: string }).phase).toBe('DELETING');
  });

  it('carries objects as their routes render them: no credential, no session token', async () => {
    // arrange
    await ok('POST', '/v1/providers', {
      name: 'fd-secret',
      type: 'github',
      credentials: { TOKEN: 'fd-credential-value' },
    });
    await ok('POST', '/v1/sandboxes', { name: 'fd-ssh', spec: {} });
    await ok('PUT', '/v1/sandboxes/fd-ssh/status', { phase: 'READY' });
    const session = await ok('POST', '/v1/sandboxes/fd-ssh/ssh-sessions', { ttlSeconds: 60 });
    // act
    const providers = await feed('provider');
    const sessions = await feed('session');
    // assert
    const provider = providers.find((e) => e.name === 'fd-secret')!;
    expect(provider.object).toMatchObject({ credentials: { TOKEN: 'REDACTED' } });
    expect(JSON.stringify(providers)).not.toContain('fd-credential-value');
    const added = sessions.find((e) => e.id === session.body.metadata.id)!;
    expect(added).toMatchObject({ type: 'ADDED', sandbox: 'fd-ssh' });
    expect(JSON.stringify(sessions)).not.toContain(session.body.token as string);
  });

  it("deleting a sandbox puts DELETED in its children's feeds, each with the child as it last was", async () => {
    // arrange
    await ok('POST', '/v1/sandboxes', { name: 'fd-owner', spec: {} });
    await ok('PUT', '/v1/sandboxes/fd-owner/status', { phase: 'READY' });
    const session = await ok('POST', '/v1/sandboxes/fd-owner/ssh-sessions', { ttlSeconds: 60 });
    const service = await ok('PUT', '/v1/sandboxes/fd-owner/services/web', { targetPort: 8080 });
    const draft = await ok('POST', '/v1/sandboxes/fd-owner/config/policy/drafts', {
      ruleName: 'pypi',
      rule: { endpoints: [{ host: 'pypi.org', ports: [443] }] },
    });
    // act
    await ok('DELETE', '/v1/sandboxes/fd-owner');
    // assert
    const last = async (kind: WatchKind, id: string) =>
      (await feed(kind)).filter((e) => e.id === id).map((e) => [e.type, e.sandbox]);
    expect(await last('session', session.body.metadata.id)).toEqual([
      ['ADDED', 'fd-owner'],
      ['DELETED', 'fd-owner'],
    ]);
    expect(await last('service', service.body.metadata.id)).toEqual([
      ['ADDED', 'fd-owner'],
      ['DELETED', 'fd-owner'],
    ]);
    expect((await last('draft', draft.body.metadata.id)).at(-1)).toEqual(['DELETED', 'fd-owner']);
    const gone = (await feed('service')).find(
      (e) => e.id === service.body.metadata.id && e.type === 'DELETED',
    )!;
    expect(gone.object).toMatchObject({
      service: 'web',
      targetPort: 8080,
      sandboxName: 'fd-owner',
    });
  });

  it('16 concurrent writers: every acknowledged version of every object appears once, in version order', {
    timeout: 60_000,
  }, async () => {
    // arrange: four sandboxes, 16 writers relabelling them at once (server-driven writes).
    const names = ['fd-c0', 'fd-c1', 'fd-c2', 'fd-c3'];
    for (const name of names) await ok('POST', '/v1/sandboxes', { name, spec: {} });
    const acked = new Map<string, number[]>(names.map((n) => [n, [1]]));
    // act
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 6; i++) {
          const name = names[(w + i) % names.length]!;
          const body = {
            phase: 'PROVISIONING',
            conditions: [{ type: `W${w}`, status: 'True', reason: `R${i}` }],
          };
          // A write that gave up (409 ABORTED) changed nothing: the writer sends it again.
          let res = await call('PUT', `/v1/sandboxes/${name}/status`, { body });
          while (res.status === 409)
            res = await call('PUT', `/v1/sandboxes/${name}/status`, { body });
          expect(res.status).toBe(200);
          acked.get(name)!.push(res.body.metadata.resourceVersion as number);
        }
      }),
    );
    const events = await feed('sandbox');
    // assert
    for (const name of names) {
      const versions = events.filter((e) => e.name === name).map((e) => e.version);
      expect({ name, versions }).toEqual({
        name,
        versions: [...acked.get(name)!].sort((a, b) => a - b),
      });
    }
  });

  it('a batch consumed again after a crash appends nothing twice, and what it had not appended once', async () => {
    // arrange: the creates of 60 providers, as the stream would give them: more than one
    // transaction of the feed holds.
    const changes = Array.from({ length: 60 }, (_, i) => ({
      new: {
        pk: `provider#fd-crash-${i}`,
        sk: '@',
        kind: 'Provider',
        name: `fd-crash-${i}`,
        id: randomUUID(),
        resource_version: 1,
        created_at: '2026-12-01T00:00:00.000Z',
        updated_at: '2026-12-01T00:00:00.000Z',
        labels: {},
        data: { type: 'github', credentials: {}, config: {} },
      },
    }));
    // The consumer's first transaction lands, then its process dies (a fault on the second).
    let sent = 0;
    const dying: TableHandle = {
      tableName: table.tableName,
      client: {
        send: async (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
          if (command.constructor.name === 'TransactWriteCommand' && ++sent > 1) {
            throw new Error('killed');
          }
          return table.client.send(command);
        },
      } as unknown as DynamoDBDocumentClient,
    };
    // act
    const crashed = await consumeChanges(dying, changes).then(
      () => 'finished',
      () => 'crashed',
    );
    const partial = (await feed('provider')).filter((e) => e.name.startsWith('fd-crash-'));
    const again = await consumeChanges(table, changes);
    const twice = await consumeChanges(table, changes);
    // assert
    expect(crashed).toBe('crashed');
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(60);
    expect(again).toEqual({
      events: 60,
      appended: 60 - partial.length,
      duplicates: partial.length,
    });
    expect(twice).toEqual({ events: 60, appended: 0, duplicates: 60 });
    const events = (await feed('provider')).filter((e) => e.name.startsWith('fd-crash-'));
    expect(events.map((e) => e.name)).toEqual(changes.map((c) => c.new.name));
  });

  it('objects written before ids existed are told apart by their keys', async () => {
    // arrange: two legacy providers, no id, no version, each changed once by a versioned write.
    const legacy = (name: string) => ({
      pk: `provider#${name}`,
      sk: '@',
      kind: 'Provider',
      name,
      data: { type: 'github', credentials: {}, config: {} },
    });
    const changes = ['fd-old-a', 'fd-old-b'].map((name) => ({
      old: legacy(name),
      new: { ...legacy(name), resource_version: 2 },
    }));
    // act
    const stamped = await consumeChanges(table, [
      { old: legacy('fd-old-a'), new: { ...legacy('fd-old-a'), resource_version: 1 } },
    ]);
    const res = await consumeChanges(table, changes);
    // assert: the backfill's stamp keeps the version an unversioned item reads as: no event.
    expect(stamped).toEqual({ events: 0, appended: 0, duplicates: 0 });
    expect(res).toEqual({ events: 2, appended: 2, duplicates: 0 });
    const events = (await feed('provider')).filter((e) => e.name.startsWith('fd-old-'));
    expect(events.map((e) => [e.name, e.type, e.version])).toEqual([
      ['fd-old-a', 'MODIFIED', 2],
      ['fd-old-b', 'MODIFIED', 2],
    ]);
  });

  it('an object in the place of another is the other one DELETED and this one ADDED', async () => {
    // arrange: a provider replaced in one change by another of the same name (another id).
    const provider = (id: string, version: number) => ({
      pk: 'provider#fd-replaced',
      sk: '@',
      kind: 'Provider',
      name: 'fd-replaced',
      id,
      resource_version: version,
      data: { type: 'github', credentials: {}, config: {} },
    });
    const [first, second] = [randomUUID(), randomUUID()];
    // act
    await consumeChanges(table, [{ old: provider(first, 3), new: provider(second, 1) }]);
    // assert
    const events = (await feed('provider')).filter((e) => e.name === 'fd-replaced');
    expect(events.map((e) => [e.type, e.id, e.version])).toEqual([
      ['DELETED', first, 3],
      ['ADDED', second, 1],
    ]);
  });

  it('appends 48 events a transaction: one head read and one TransactWriteItems per 48', async () => {
    // arrange
    const changes = Array.from({ length: 60 }, (_, i) => ({
      new: {
        pk: `provider#fd-cost-${i}`,
        sk: '@',
        kind: 'Provider',
        name: `fd-cost-${i}`,
        id: randomUUID(),
        resource_version: 1,
        data: { type: 'github', credentials: {}, config: {} },
      },
    }));
    const counter = meter(table.client);
    // act
    await consumeChanges(table, changes);
    counter.remove();
    // assert
    expect(counter.counts).toEqual({ GetItem: 1, TransactWriteItems: 2 });
  });

  it('events at the item and transaction limits: a body over 350 KB in parts, transactions kept under 4 MB, each read back whole', async () => {
    // arrange: 10 providers whose config is 600 KB of incompressible text (the stream gives any
    // image the table holds; these are larger than one, to reach the parts).
    const blobs = Array.from({ length: 10 }, () => randomBytes(450 * 1024).toString('base64'));
    const changes = blobs.map((blob, i) => ({
      new: {
        pk: `provider#fd-big-${i}`,
        sk: '@',
        kind: 'Provider',
        name: `fd-big-${i}`,
        id: randomUUID(),
        resource_version: 1,
        data: { type: 'github', credentials: {}, config: { blob } },
      },
    }));
    const counter = meter(table.client);
    const before = Date.now();
    // act
    const res = await consumeChanges(table, changes);
    counter.remove();
    // assert
    expect(res).toEqual({ events: 10, appended: 10, duplicates: 0 });
    // 10 bodies of ~450 KB: no more than 7 fit in 3.5 MB, so at least two transactions.
    expect(counter.counts.TransactWriteItems).toBeGreaterThanOrEqual(2);
    const events = (await feed('provider')).filter((e) => e.name.startsWith('fd-big-'));
    expect(events.map((e) => (e.object as { config: { blob: string } }).config.blob)).toEqual(
      blobs,
    );
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await table.client.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':pk': 'log#provider', ':e': 'e#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const big = items.filter((i) => (i.attrs as { name: string }).name.startsWith('fd-big-'));
    expect(big.every((i) => i.parts === 2)).toBe(true);
    expect(big).toHaveLength(20);
    // Kept past the 24 h of history promised: the TTL is 25 h after the append.
    for (const item of big) {
      expect(item.expires_at).toBeGreaterThanOrEqual(Math.floor(before / 1000) + 25 * 3600);
      expect(item.expires_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 25 * 3600);
    }
    // Every replica of the head holds the same last number.
    const heads = await Promise.all(
      Array.from({ length: LOG_HEAD_REPLICAS }, (_, r) =>
        logHead(table, 'provider', r, { consistent: true }),
      ),
    );
    expect(new Set(heads).size).toBe(1);
  });
});
