import { randomUUID } from 'node:crypto';
import { Kind, keys } from '#lib/domain/keys.ts';
import { AlreadyExists } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';

/**
 * `pending`: not started, or stopped and resumable. `running`: a runner holds the lease (or
 * held it and died: the lease then expires and the next runner takes over). `done`: finished.
 */
export type MigrationStatus = 'pending' | 'running' | 'done';

/** Who may run the migration until when; renewed with every checkpoint. */
export interface Lease {
  owner: string;
  /** RFC 3339. */
  expiresAt: string;
}

/** The data of a migration's own item (`migration#<id>`, kind `Migration`). */
export interface MigrationRecord {
  status: MigrationStatus;
  lease: Lease | null;
  /** Runs that acquired the lease. */
  runs: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** The migration's checkpoint, in its own shape. */
  progress: unknown;
  totals: Record<string, number>;
  /** What the last verify still found to do. */
  remaining: number | null;
  lastError: string | null;
}

export const subjectOf = (id: string) => ({ kind: Kind.Migration, name: id });

function newRecord(): MigrationRecord {
  return {
    status: 'pending',
    lease: null,
    runs: 0,
    startedAt: null,
    finishedAt: null,
    progress: null,
    totals: {},
    remaining: null,
    lastError: null,
  };
}

export function readMigration(
  store: Store,
  id: string,
): Promise<StoredObject<MigrationRecord> | undefined> {
  return store.get<MigrationRecord>(keys.migration(id));
}

/** Creates the record as `pending` unless it exists (a concurrent runner may create it first). */
export async function ensureMigrationRecord(store: Store, id: string): Promise<void> {
  try {
    await store.create<MigrationRecord>(
      { key: keys.migration(id), kind: Kind.Migration, name: id, data: newRecord() },
      { requestId: randomUUID() },
    );
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
  }
}

export function leaseExpired(lease: Lease | null, now: number): boolean {
  return !lease || Date.parse(lease.expiresAt) <= now;
}

/** Another runner holds a live lease. */
export class LeaseHeld extends Error {
  readonly lease: Lease;
  constructor(lease: Lease) {
    super(`held by ${lease.owner} until ${lease.expiresAt}`);
    this.name = 'LeaseHeld';
    this.lease = lease;
  }
}

/** The migration finished before this runner got to it. */
export class MigrationDone extends Error {
  constructor() {
    super('migration already done');
    this.name = 'MigrationDone';
  }
}

/**
 * Takes the lease with a CAS write of the version read: two runners that race both read a free
 * lease, but only one write succeeds; the other re-reads and sees the winner's lease. A lease
 * that expired (its runner died) is taken over, and its checkpoints are resumed.
 */
export async function acquireLease(
  store: Store,
  id: string,
  owner: string,
  leaseMs: number,
): Promise<StoredObject<MigrationRecord>> {
  const res = await store.update<MigrationRecord>(
    keys.migration(id),
    subjectOf(id),
    {
      apply: (current) => {
        const record = current.data;
        const now = Date.now();
        if (record.status === 'done') throw new MigrationDone();
        if (record.lease && record.lease.owner !== owner && !leaseExpired(record.lease, now)) {
          throw new LeaseHeld(record.lease);
        }
        return {
          ...record,
          status: 'running',
          lease: { owner, expiresAt: new Date(now + leaseMs).toISOString() },
          runs: record.runs + 1,
          startedAt: record.startedAt ?? new Date(now).toISOString(),
          lastError: null,
        };
      },
    },
    { requestId: randomUUID() },
  );
  return res.object;
}

/**
 * Re-opens a finished migration whose verify found work again (e.g. legacy items restored from a
 * backup): it becomes `pending` with fresh progress, as a CAS on the version read. A no-op when
 * another runner re-opened it first.
 */
export async function reopenMigration(store: Store, id: string, remaining: number): Promise<void> {
  await store.update<MigrationRecord>(
    keys.migration(id),
    subjectOf(id),
    {
      apply: (current) =>
        current.data.status !== 'done'
          ? undefined
          : {
              ...current.data,
              status: 'pending',
              progress: null,
              finishedAt: null,
              remaining,
              lastError: null,
            },
    },
    { requestId: randomUUID() },
  );
}
