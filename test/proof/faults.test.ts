import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import type { Store } from '#lib/store/store.ts';
import { Store as StoreClass } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import {
  failBeforeSending,
  loseResponses,
  throttle,
  transactionConflict,
} from '#test/support/faults.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

let call: Call;
let store: Store;
let tableName: string;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
  tableName = store.tableName;
});

/**
 * The API over a new SDK client, as a new Lambda instance would have: the SDK's retry quota
 * is per client, and these tests spend it on purpose.
 */
async function freshInstance() {
  store = new StoreClass(createDocumentClient({ endpoint: dynamoEndpoint() }), tableName);
  ({ call } = await createTestApi(store));
}

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
]);

const serverError = () =>
  Object.assign(new Error('Internal server error'), {
    name: 'InternalServerError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });

describe('ambiguous writes: the write reaches DynamoDB, the response is lost, the SDK retries', () => {
  it('over 200 faults: no false conflict, nothing applied twice, every change once', async () => {
    // arrange: every write's first response is dropped
    await call('POST', '/v1/sandboxes', { body: { name: 'amb', spec: {} } });
    await call('PUT', '/v1/sandboxes/amb/status', { body: { phase: 'READY' } });
    // Each iteration makes 8 writes whose first response is lost.
    const ITERATIONS = 28;
    let injected = 0;
    // act
    for (let i = 0; i < ITERATIONS; i++) {
      await freshInstance();
      const faults = loseResponses(store.client, (command) => WRITES.has(command));
      try {
        // create: PutItem
        const created = await call('POST', '/v1/providers', {
          body: { name: `amb-p${i}`, type: 't', credentials: { K: `amb-secret-${i}` } },
        });
        expect(created.status).toBe(201);
        expect(created.body.metadata.resourceVersion).toBe(1);
        // client-driven update: one UpdateItem
        const cas = await call('PUT', '/v1/sandboxes/amb/config/settings/counter', {
          body: { value: i, expectedResourceVersion: i + 1 },
        });
        expect(cas.status, JSON.stringify(cas.body)).toBe(200);
        expect(cas.body.resourceVersion).toBe(i + 2);
        // server-driven update: GetItem + UpdateItem
        const patched = await call('PATCH', `/v1/providers/amb-p${i}`, {
          body: { config: { once: `${i}` } },
        });
        expect(patched.status).toBe(200);
        expect(patched.body.metadata.resourceVersion).toBe(2);
        // transaction: attach
        const attached = await call('PUT', `/v1/sandboxes/amb/providers/amb-p${i}`);
        expect(attached.status, JSON.stringify(attached.body)).toBe(200);
        expect(attached.body.attached).toBe(true);
        // transaction: detach, then delete (tombstone PutItem + records in a transaction)
        const detached = await call('DELETE', `/v1/sandboxes/amb/providers/amb-p${i}`);
        expect(detached.status).toBe(200);
        const deleted = await call('DELETE', `/v1/providers/amb-p${i}`);
        expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
        // delete of a plain object: tombstone PutItem
        await call('PUT', `/v1/sandboxes/amb/services/svc${i}`, { body: { targetPort: 1000 + i } });
        const svcDeleted = await call(
          'DELETE',
          `/v1/sandboxes/amb/services/svc${i}?expectedResourceVersion=1`,
        );
        expect(svcDeleted.status, JSON.stringify(svcDeleted.body)).toBe(200);
      } finally {
        faults.remove();
        injected += faults.injected;
      }
    }
    // assert: each change applied exactly once
    expect(injected).toBeGreaterThanOrEqual(200);
    const settings = await call('GET', '/v1/sandboxes/amb/config');
    expect(settings.body.settings.counter).toBe(ITERATIONS - 1);
    expect(settings.body.settingsResourceVersion).toBe(ITERATIONS + 1);
    const sandbox = await call('GET', '/v1/sandboxes/amb');
    // READY (2), then one attach and one detach per iteration, each exactly one version.
    expect(sandbox.body.metadata.resourceVersion).toBe(2 + 2 * ITERATIONS);
    expect(sandbox.body.spec.providers).toEqual([]);
    for (let i = 0; i < ITERATIONS; i++) {
      expect(await store.get(keys.provider(`amb-p${i}`))).toBeUndefined();
      expect(await store.records.get(keys.providerRefs(`amb-p${i}`))).toBeUndefined();
    }
    expect((await call('GET', '/v1/services?sandbox=amb')).body.items).toEqual([]);
  });
});

describe('throttling and transient errors', () => {
  beforeEach(freshInstance);
  it('a few throttles or 500s are retried with backoff and succeed', async () => {
    const f = failBeforeSending(store.client, WRITES, throttle, 2);
    try {
      const res = await call('POST', '/v1/providers', {
        body: { name: 'thr-ok', type: 't', credentials: { K: 'throttle-secret-1' } },
      });
      expect(res.status).toBe(201);
    } finally {
      f.remove();
    }
    expect(f.injected).toBe(2);
    const g = failBeforeSending(store.client, WRITES, serverError, 2);
    try {
      expect(
        (await call('PATCH', '/v1/providers/thr-ok', { body: { config: { a: '1' } } })).status,
      ).toBe(200);
    } finally {
      g.remove();
    }
    expect((await call('GET', '/v1/providers/thr-ok')).body.metadata.resourceVersion).toBe(2);
  });

  it('throttling that outlasts the retries is 429 with Retry-After, and nothing is written', async () => {
    const f = failBeforeSending(store.client, WRITES, throttle, Number.POSITIVE_INFINITY);
    try {
      const create = await call('POST', '/v1/sandboxes', { body: { name: 'thr-box', spec: {} } });
      expect(create.status).toBe(429);
      expect(create.body.code).toBe('RESOURCE_EXHAUSTED');
      expect(Number(create.headers['retry-after'])).toBeGreaterThan(0);
      const update = await call('PATCH', '/v1/providers/thr-ok', { body: { config: { b: '2' } } });
      expect(update.status).toBe(429);
    } finally {
      f.remove();
    }
    expect((await call('GET', '/v1/sandboxes/thr-box')).status).toBe(404);
    expect((await call('GET', '/v1/providers/thr-ok')).body.config).toEqual({ a: '1' });
  });

  it('server errors that outlast the retries are 503 with Retry-After, never 500', async () => {
    const f = failBeforeSending(store.client, WRITES, serverError, Number.POSITIVE_INFINITY);
    try {
      const res = await call('PUT', '/v1/settings/outage', { body: { value: 1 } });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('UNAVAILABLE');
      expect(res.headers['retry-after']).toBeDefined();
      expect(JSON.stringify(res.body)).not.toMatch(/InternalServerError|Internal server error/);
    } finally {
      f.remove();
    }
    expect((await call('GET', '/v1/settings')).body.settings.outage).toBeUndefined();
  });

  it('TransactionConflict is retried, not reported as a version conflict; exhausted it is 503', async () => {
    await call('POST', '/v1/providers', {
      body: { name: 'tc-p', type: 't', credentials: { K: 'tc-secret-123' } },
    });
    await call('POST', '/v1/sandboxes', { body: { name: 'tc-box', spec: {} } });
    const tx = new Set(['TransactWriteItemsCommand']);
    const few = failBeforeSending(store.client, tx, transactionConflict, 1);
    try {
      const res = await call(
        'PUT',
        '/v1/sandboxes/tc-box/providers/tc-p?expectedResourceVersion=1',
      );
      expect(res.status).toBe(200);
      expect(res.body.sandbox.metadata.resourceVersion).toBe(2);
    } finally {
      few.remove();
    }
    const always = failBeforeSending(
      store.client,
      tx,
      transactionConflict,
      Number.POSITIVE_INFINITY,
    );
    try {
      const res = await call(
        'DELETE',
        '/v1/sandboxes/tc-box/providers/tc-p?expectedResourceVersion=2',
      );
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('UNAVAILABLE');
    } finally {
      always.remove();
    }
    expect((await call('GET', '/v1/sandboxes/tc-box')).body.spec.providers).toEqual(['tc-p']);
  });
});
