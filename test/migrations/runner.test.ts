import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { resourceVersionBackfill } from '#migrations/005-resource-version.ts';
import { providerRefsBackfill } from '#migrations/006-provider-refs.ts';
import {
  type MigrationRunResult,
  migrationStatus,
  runMigration,
  runPendingMigrations,
} from '#migrations/runner.ts';
import {
  acquireLease,
  ensureMigrationRecord,
  LeaseHeld,
  type MigrationRecord,
} from '#migrations/state.ts';
import { itemsByKey, keyString, seedLegacyItems } from '#test/support/legacy-items.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

const ID = resourceVersionBackfill.id;

/** Another process's view of the same table: its own client. */
function otherStore(store: Store): Store {
  return new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), store.tableName);
}

async function record(store: Store) {
  return store.get<MigrationRecord>(keys.migration(ID));
}

async function expectAllStamped(store: Store, legacy: Record<string, unknown>[]) {
  const stored = await itemsByKey(store);
  for (const item of legacy) {
    expect(stored.get(keyString(item))).toEqual({ ...item, resource_version: 1 });
  }
}

/** A backfill's progress as the record's update sends it (marshalled). */
interface MarshalledProgress {
  M?: { phase?: { S?: string }; backfill?: { L?: { M?: { lastKey?: { NULL?: boolean } } }[] } };
}

/** True when the progress is in a stamping pass and some segment got past a page. */
function hasStampedPage(progress: MarshalledProgress | undefined): boolean {
  const m = progress?.M;
  return (
    m?.phase?.S === 'backfill' &&
    (m.backfill?.L ?? []).some((segment) => segment.M?.lastKey && !segment.M.lastKey.NULL)
  );
}

describe('migration runner', () => {
  it('runs pending migrations to done, records it, and a second run stamps nothing', async () => {
    // arrange
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 400, versioned: 40, nonObjects: 60 });

    // act
    const [first] = await runPendingMigrations(store, { segments: 3, rate: 0 });
    const [second] = await runPendingMigrations(store, { segments: 3, rate: 0 });

    // assert
    expect(first).toMatchObject({ id: ID, status: 'done', resumed: false });
    expect(first?.counts).toMatchObject({ stamped: 400, skipped: 40, conflicts: 0 });
    expect(second).toMatchObject({ id: ID, status: 'already-done', counts: {} });
    await expectAllStamped(store, seed.legacy);
    const stored = await record(store);
    expect(stored?.kind).toBe('Migration');
    expect(stored?.data).toMatchObject({
      status: 'done',
      lease: null,
      runs: 1,
      remaining: 0,
      totals: { stamped: 400, skipped: 40 },
    });
    const [status] = await migrationStatus(store);
    expect(status).toMatchObject({ id: ID, status: 'done', remaining: 0, lease: undefined });
  });

  it('later runs leave a finished migration and its record unchanged', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 50 });
    await runPendingMigrations(store, { rate: 0 });
    const stored = await record(store);
    // 1 from its create, +1 for the lease, +1 per checkpoint write, +1 for the release.
    expect(stored?.resourceVersion).toBeGreaterThanOrEqual(3);
    const fresh = await runPendingMigrations(store, { rate: 0 });
    expect(fresh[0]?.status).toBe('already-done');
    expect((await record(store))?.resourceVersion).toBe(stored?.resourceVersion);
  });

  it('recheck verifies a finished migration read-only, and re-opens it when legacy items came back', async () => {
    // arrange
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 100 });
    await runPendingMigrations(store, { rate: 0 });
    const finished = await record(store);

    // act: a recheck with nothing to do writes nothing
    const [clean] = await runPendingMigrations(store, { rate: 0, recheck: true });

    // assert
    expect(clean).toMatchObject({ status: 'already-done', remaining: 0 });
    expect(clean?.counts.verified).toBeGreaterThanOrEqual(100);
    expect((await record(store))?.resourceVersion).toBe(finished?.resourceVersion);

    // act: legacy items are restored from an old backup
    const restored = await seedLegacyItems(store, { legacy: 40, prefix: 'restored' });
    const events: string[] = [];
    const [again] = await runPendingMigrations(store, {
      rate: 0,
      recheck: true,
      onEvent: (e) => events.push(e.type),
    });

    // assert
    expect(events).toContain('reopened');
    expect(again).toMatchObject({ status: 'done', remaining: 0 });
    expect(again?.counts.stamped).toBe(40);
    await expectAllStamped(store, restored.legacy);
    expect((await record(store))?.data).toMatchObject({ status: 'done', runs: 2, lease: null });
    // Without recheck (the schedule, npm start) a finished migration is not even read twice.
    const [scheduled] = await runPendingMigrations(store, { rate: 0 });
    expect(scheduled).toMatchObject({ status: 'already-done', counts: {} });
  });

  it('a dry run counts what it would stamp and writes nothing, not even its record', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 120, versioned: 30 });
    const before = await itemsByKey(store);

    const [result] = await runPendingMigrations(store, { dryRun: true, rate: 0 });

    expect(result).toMatchObject({ status: 'dry-run', remaining: 120 });
    expect(result?.counts).toMatchObject({ wouldStamp: 120, stamped: 0, skipped: 30 });
    expect(await itemsByKey(store)).toEqual(before);
    expect((await migrationStatus(store))[0]?.status).toBe('pending');
  });

  it('a stopped run resumes from its checkpoints: nothing is stamped twice or missed', async () => {
    // arrange
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 1_000 });
    const stop = new AbortController();

    // act: stop past 750 stamps: three segments have at most three 250-item pages in flight,
    // so at least one page is checkpointed
    const first = await runMigration(store, resourceVersionBackfill, {
      segments: 3,
      rate: 0,
      signal: stop.signal,
      onProgress: (_id, s) => {
        if (s.counts.stamped >= 760) stop.abort();
      },
    });
    const paused = await record(store);
    const second = await runMigration(store, resourceVersionBackfill, { segments: 3, rate: 0 });

    // assert
    expect(first.status).toBe('stopped');
    expect(paused?.data.status).toBe('pending');
    expect(paused?.data.lease).toBeNull();
    expect(second.status).toBe('done');
    expect(second.resumed).toBe(true);
    expect(first.counts.stamped).toBeGreaterThanOrEqual(760);
    expect(first.counts.stamped! + second.counts.stamped!).toBe(1_000);
    // It resumed where the first run's checkpoints stood rather than rescanning everything.
    expect(second.counts.scanned).toBeLessThan(1_000);
    await expectAllStamped(store, seed.legacy);
  });

  it('a runner that dies keeps its lease until expiry; the next runner takes over and finishes', async () => {
    // arrange: runner A's process "dies" (every request fails) right after its first
    // checkpoint with a stamped page reached the table
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 600 });
    const doomed = otherStore(store);
    let stampsA = 0;
    let dead = false;
    doomed.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (dead) throw Object.assign(new Error('process killed'), { name: 'ProcessKilled' });
        const result = await next(args);
        const command = (context as { commandName?: string }).commandName;
        const input = args.input as {
          UpdateExpression?: string;
          ExpressionAttributeValues?: Record<string, { M?: { progress?: MarshalledProgress } }>;
        };
        if (command === 'UpdateItemCommand' && input.UpdateExpression === 'SET #rv = :one') {
          stampsA++;
        }
        // The lease keeper's write of the migration record carries its progress.
        const progress = Object.values(input.ExpressionAttributeValues ?? {})
          .map((v) => v?.M?.progress)
          .find((p) => p !== undefined);
        if (command === 'UpdateItemCommand' && hasStampedPage(progress)) dead = true;
        return result;
      },
      { step: 'build', name: 'kill-switch' },
    );

    // act
    const runA = await runMigration(doomed, resourceVersionBackfill, {
      segments: 2,
      rate: 0,
      leaseMs: 1_500,
      checkpointIntervalMs: 50,
      owner: 'runner-a',
    }).catch((err: Error) => err);
    const orphaned = await record(store);
    const events: string[] = [];
    const runB = await runMigration(store, resourceVersionBackfill, {
      segments: 2,
      rate: 0,
      wait: true,
      owner: 'runner-b',
      onEvent: (e) => events.push(e.type),
    });

    // assert
    expect(runA).toBeInstanceOf(Error);
    expect(orphaned?.data.status).toBe('running');
    expect(orphaned?.data.lease?.owner).toBe('runner-a');
    expect(events).toContain('waiting');
    expect(runB).toMatchObject({ status: 'done', resumed: true });
    expect(runB.counts.scanned).toBeLessThan(600);
    expect(stampsA + runB.counts.stamped!).toBe(600);
    await expectAllStamped(store, seed.legacy);
    expect((await record(store))?.data).toMatchObject({ status: 'done', runs: 2, lease: null });
  });

  it('two runners at once: one does the work, the other exits busy; counts add up', async () => {
    const store = await createTestStore();
    const seed = await seedLegacyItems(store, { legacy: 600 });

    const results = await Promise.all([
      runMigration(store, resourceVersionBackfill, { rate: 0, owner: 'one' }),
      runMigration(otherStore(store), resourceVersionBackfill, { rate: 0, owner: 'two' }),
    ]);

    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual(['busy', 'done']);
    const busy = results.find((r) => r.status === 'busy') as MigrationRunResult;
    const done = results.find((r) => r.status === 'done') as MigrationRunResult;
    expect(busy.heldBy?.owner).toBe(done === results[0] ? 'one' : 'two');
    expect(busy.counts).toEqual({});
    expect(done.counts.stamped).toBe(600);
    await expectAllStamped(store, seed.legacy);
    expect((await record(store))?.data.runs).toBe(1);
  });

  it('two waiting runners at once: the second waits for the first and finds it done', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 300 });

    const results = await Promise.all([
      runPendingMigrations(store, { rate: 0, wait: true }),
      runPendingMigrations(otherStore(store), { rate: 0, wait: true }),
    ]);

    // Each migration is run by one of them and found done by the other.
    const flat = results.flat();
    for (const id of [ID, providerRefsBackfill.id]) {
      const statuses = flat.filter((r) => r.id === id).map((r) => r.status);
      expect(statuses.sort(), id).toEqual(['already-done', 'done']);
    }
    expect(flat.reduce((n, r) => n + (r.counts.stamped ?? 0), 0)).toBe(300);
  });

  it('racing for a free lease: exactly one runner gets it', async () => {
    const store = await createTestStore();
    await ensureMigrationRecord(store, ID);

    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => acquireLease(otherStore(store), ID, `r${i}`, 60_000)),
    );

    const won = attempts.filter((a) => a.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const a of attempts.filter((a) => a.status === 'rejected')) {
      expect((a as PromiseRejectedResult).reason).toBeInstanceOf(LeaseHeld);
    }
    const stored = await record(store);
    expect(stored?.resourceVersion).toBe(2);
    expect(stored?.data.runs).toBe(1);
  });

  it('status reports progress and the lease while a run is stopped part-way', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 600 });
    const stop = new AbortController();
    // One segment has one 250-item page in flight: past 250 stamps a page is checkpointed.
    await runMigration(store, resourceVersionBackfill, {
      segments: 1,
      rate: 0,
      signal: stop.signal,
      onProgress: (_id, s) => {
        if (s.counts.stamped >= 260) stop.abort();
      },
    });

    const [status] = await migrationStatus(store);

    expect(status?.status).toBe('pending');
    expect(status?.runs).toBe(1);
    expect(status?.totals.stamped).toBeGreaterThan(0);
    expect(status?.totals.stamped).toBeLessThan(600);
    expect(status?.lease).toBeUndefined();
  });
});

describe('migration record', () => {
  it('is created once even when runners race to create it', async () => {
    const store = await createTestStore();
    await Promise.all(Array.from({ length: 4 }, () => ensureMigrationRecord(store, ID)));
    const stored = await record(store);
    expect(stored?.resourceVersion).toBe(1);
    expect(stored?.data.status).toBe('pending');
    expect(stored?.id).toMatch(/[0-9a-f-]{36}/);
    expect(randomUUID()).not.toBe(stored?.id);
  });
});
