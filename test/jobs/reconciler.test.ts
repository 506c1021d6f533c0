import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { index, Kind, keys } from '#lib/domain/keys.ts';
import type { SandboxData, SSHSessionData } from '#lib/domain/types.ts';
import { reconcile } from '#lib/jobs/reconciler.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { where } from '#lib/store/expression.ts';
import { Store } from '#lib/store/store.ts';
import { requestKey } from '#test/support/request-key.ts';
import { putSandbox } from '#test/support/sandboxes.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

const HOUR = 60 * 60 * 1000;
const TIMEOUT = 10 * 60 * 1000;

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});

const fresh = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;

function otherStore(on: Store = store): Store {
  return new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), on.tableName);
}

/** A session with its pointer record, created the way the API does: in one transaction. */
async function createSession(sandbox: string, data: Partial<SSHSessionData>, db: Store = store) {
  const id = randomUUID();
  await db.transact(
    [
      {
        type: 'create',
        object: {
          key: keys.sshSession(sandbox, id),
          kind: Kind.SSHSession,
          name: id,
          data: {
            sandboxName: sandbox,
            tokenHash: 'h',
            expiresAt: null,
            revoked: false,
            ...data,
          },
          index: index.sshSession(sandbox, id),
        },
      },
      {
        type: 'putRecord',
        key: keys.sshSessionPointer(id),
        record: { sandbox },
        condition: where.absent(),
      },
    ],
    { requestId: randomUUID() },
  );
  return id;
}

async function rawGet(key: { pk: string; sk: string }, db: Store = store) {
  const res = await db.client.send(
    new GetCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }),
  );
  return res.Item;
}

const sandbox = (name: string, db: Store = store) => db.get<SandboxData>(keys.sandbox(name));

describe('reconciler: provisioning timeout', () => {
  it('marks a stuck sandbox ERROR with Ready=False/ProvisionTimeout at version +1; leaves the others alone', async () => {
    // arrange
    const stuck = fresh('stuck');
    const legacyStuck = fresh('legacy');
    const young = fresh('young');
    const ready = fresh('ready');
    await putSandbox(store, stuck, 'PROVISIONING', HOUR, 3);
    await putSandbox(store, legacyStuck, 'PROVISIONING', HOUR);
    await putSandbox(store, young, 'PROVISIONING', 60_000, 1);
    await putSandbox(store, ready, 'READY', HOUR, 2);
    const started = Date.now();

    // act
    const result = await reconcile(store, { provisionTimeoutMs: TIMEOUT });

    // assert
    expect(result.provisionTimeouts).toBeGreaterThanOrEqual(2);
    const after = await sandbox(stuck);
    expect(after?.resourceVersion).toBe(4);
    expect(after?.data.phase).toBe('ERROR');
    expect(after?.data.conditions).toHaveLength(2);
    const readyCondition = after?.data.conditions.find((c) => c.type === 'Ready');
    expect(readyCondition).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'ProvisionTimeout',
    });
    expect(Date.parse(readyCondition!.lastTransitionTime)).toBeGreaterThanOrEqual(started - 1000);
    expect(await sandbox(legacyStuck)).toMatchObject({
      resourceVersion: 2,
      data: { phase: 'ERROR' },
    });
    expect(await sandbox(young)).toMatchObject({
      resourceVersion: 1,
      data: { phase: 'PROVISIONING' },
    });
    expect(await sandbox(ready)).toMatchObject({ resourceVersion: 2, data: { phase: 'READY' } });
  });

  it('a sandbox that became READY just before the write is left alone, its report intact', async () => {
    // arrange: the status report lands between the reconciler's read and its write
    const name = fresh('racy');
    await putSandbox(store, name, 'PROVISIONING', HOUR, 1);
    const driver = otherStore();
    const reconcilerStore = otherStore();
    let reported = false;
    reconcilerStore.client.middlewareStack.add(
      (next, context) => async (args) => {
        const key = (args.input as { Key?: Record<string, unknown> }).Key;
        const isWrite = (context as { commandName?: string }).commandName === 'UpdateItemCommand';
        if (isWrite && !reported && requestKey(key)?.pk === keys.sandbox(name).pk) {
          reported = true;
          await driver.update<SandboxData>(
            keys.sandbox(name),
            { kind: Kind.Sandbox, name },
            {
              apply: (cur) => ({
                ...cur.data,
                phase: 'READY',
                conditions: [
                  {
                    type: 'Ready',
                    status: 'True',
                    reason: 'Started',
                    lastTransitionTime: new Date().toISOString(),
                  },
                ],
              }),
            },
            { requestId: randomUUID(), expectedResourceVersion: 1 },
          );
        }
        return next(args);
      },
      { step: 'build', name: 'status-report-race' },
    );

    // act
    await reconcile(reconcilerStore, { provisionTimeoutMs: TIMEOUT });

    // assert
    expect(reported).toBe(true);
    const after = await sandbox(name);
    expect(after?.resourceVersion).toBe(2);
    expect(after?.data.phase).toBe('READY');
    expect(after?.data.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Started' }),
    ]);
  });

  it('honours a configurable timeout through its clock', async () => {
    const name = fresh('clock');
    await putSandbox(store, name, 'PROVISIONING', 0, 1);

    await reconcile(store, { provisionTimeoutMs: HOUR });
    expect((await sandbox(name))?.data.phase).toBe('PROVISIONING');

    await reconcile(store, { provisionTimeoutMs: HOUR, now: () => Date.now() + 2 * HOUR });
    expect(await sandbox(name)).toMatchObject({ resourceVersion: 2, data: { phase: 'ERROR' } });
  });
});

describe('reconciler: SSH sessions', () => {
  it('removes expired and revoked sessions with their pointers; live ones stay', async () => {
    // arrange
    const sb = fresh('sb');
    const past = new Date(Date.now() - HOUR).toISOString();
    const future = new Date(Date.now() + HOUR).toISOString();
    const expired = await createSession(sb, { expiresAt: past });
    const revoked = await createSession(sb, { expiresAt: future, revoked: true });
    const live = await createSession(sb, { expiresAt: future });
    const forever = await createSession(sb, { expiresAt: null });

    // act
    const result = await reconcile(store);

    // assert
    expect(result.sessionsRemoved).toBeGreaterThanOrEqual(2);
    for (const id of [expired, revoked]) {
      expect(await store.get(keys.sshSession(sb, id))).toBeUndefined();
      expect(await rawGet(keys.sshSessionPointer(id))).toBeUndefined();
    }
    for (const id of [live, forever]) {
      expect((await store.get(keys.sshSession(sb, id)))?.resourceVersion).toBe(1);
      expect(await rawGet(keys.sshSessionPointer(id))).toMatchObject({ sandbox: sb });
    }
  });

  it('a session revoked while the reconciler removes it is still removed, once', async () => {
    // arrange: the API revokes (version 1 → 2) right before the reconciler's transaction
    const sb = fresh('sb');
    const id = await createSession(sb, { expiresAt: new Date(Date.now() - HOUR).toISOString() });
    const api = otherStore();
    const reconcilerStore = otherStore();
    let revoked = false;
    reconcilerStore.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName?: string }).commandName;
        if (command === 'TransactWriteItemsCommand' && !revoked) {
          revoked = true;
          await api.update<SSHSessionData>(
            keys.sshSession(sb, id),
            { kind: Kind.SSHSession, name: id },
            { apply: (cur) => ({ ...cur.data, revoked: true }) },
            { requestId: randomUUID(), expectedResourceVersion: 1 },
          );
        }
        return next(args);
      },
      { step: 'build', name: 'revoke-race' },
    );

    // act
    const result = await reconcile(reconcilerStore);

    // assert
    expect(revoked).toBe(true);
    expect(result.sessionsRemoved).toBeGreaterThanOrEqual(1);
    expect(await store.get(keys.sshSession(sb, id))).toBeUndefined();
    expect(await rawGet(keys.sshSessionPointer(id))).toBeUndefined();
    // The delete was conditioned on the revoked version: its tombstone says so.
    expect((await rawGet(keys.sshSession(sb, id)))?.resource_version).toBe(2);
  });
});

describe('reconcilers running at once', () => {
  it('three in parallel produce the outcome of one: each transition written exactly once', async () => {
    // arrange: a table of its own, so the counts are exact
    const own = await createTestStore();
    const stuck = Array.from({ length: 12 }, (_, i) => `par-stuck-${i}`);
    for (const name of stuck) await putSandbox(own, name, 'PROVISIONING', HOUR, 1);
    await putSandbox(own, 'par-ready', 'READY', HOUR, 5);
    const past = new Date(Date.now() - HOUR).toISOString();
    const sessions = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createSession('par-sb', i % 2 ? { revoked: true } : { expiresAt: past }, own),
      ),
    );
    const stores = [own, otherStore(own), otherStore(own)];

    // act
    const results = await Promise.all(
      stores.map((s) => reconcile(s, { provisionTimeoutMs: TIMEOUT })),
    );

    // assert
    const sum = (k: 'provisionTimeouts' | 'sessionsRemoved') =>
      results.reduce((n, r) => n + r[k], 0);
    expect(sum('provisionTimeouts')).toBe(12);
    expect(sum('sessionsRemoved')).toBe(12);
    for (const name of stuck) {
      const after = await sandbox(name, own);
      expect(after?.resourceVersion).toBe(2);
      expect(after?.data.phase).toBe('ERROR');
      expect(after?.data.conditions.filter((c) => c.type === 'Ready')).toHaveLength(1);
    }
    expect((await sandbox('par-ready', own))?.resourceVersion).toBe(5);
    for (const id of sessions) {
      expect(await own.get(keys.sshSession('par-sb', id))).toBeUndefined();
      expect(await rawGet(keys.sshSessionPointer(id), own)).toBeUndefined();
    }
    const again = await reconcile(own, { provisionTimeoutMs: TIMEOUT });
    expect(again).toEqual({
      provisionTimeouts: 0,
      sessionsRemoved: 0,
      draftLeftoversRemoved: 0,
      conflicts: 0,
    });
  });
});
