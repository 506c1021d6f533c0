import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ProgressSnapshot } from '#lib/jobs/progress.ts';
import { sleep } from '#lib/jobs/sleep.ts';
import type { Store } from '#lib/store/store.ts';
import { LeaseKeeper, LeaseLost } from './lease-keeper.ts';
import { migrations as registered } from './registry.ts';
import {
  acquireLease,
  ensureMigrationRecord,
  type Lease,
  LeaseHeld,
  leaseExpired,
  MigrationDone,
  type MigrationRecord,
  type MigrationStatus,
  readMigration,
  reopenMigration,
} from './state.ts';
import type { Migration, MigrationOutcome } from './types.ts';

/** @default lease of a runner: long enough to ride out a slow checkpoint write */
export const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 1_000;
const WAIT_POLL_MS = 1_000;

export interface RunOptions {
  /** Count what would be done; write nothing, not even the migration's own record. */
  dryRun?: boolean;
  /** Parallel scan segments for a migration that starts afresh. @default 16 */
  segments?: number;
  /** Write units per second; 0 means no limit. @default 500 */
  rate?: number;
  /** Stops cleanly (checkpoint written, lease released), e.g. before a Lambda deadline. */
  signal?: AbortSignal;
  /** When another runner holds the lease: wait for it (true) or return `busy` (false). @default false */
  wait?: boolean;
  /**
   * Re-verify migrations that are already done (read-only); one whose verify finds work again
   * is re-opened and run. What a person asks for with `migrate run`. @default false
   */
  recheck?: boolean;
  /** @default 60 000 */
  leaseMs?: number;
  /** How often progress is written (and the lease renewed). @default 1 000 */
  checkpointIntervalMs?: number;
  /** @default `<hostname>/<pid>/<random>` */
  owner?: string;
  onProgress?: (migrationId: string, snapshot: ProgressSnapshot) => void;
  onEvent?: (event: RunnerEvent) => void;
}

export type RunnerEvent =
  | { type: 'started'; id: string; owner: string; resumed: boolean }
  | { type: 'waiting'; id: string; lease: Lease }
  | { type: 'reopened'; id: string; remaining: number }
  | { type: 'checkpoint-failed'; id: string; error: unknown }
  | { type: 'finished'; id: string; result: MigrationRunResult };

export interface MigrationRunResult {
  id: string;
  /**
   * `done`: finished in this run. `already-done`: nothing to do. `stopped`: the signal aborted
   * (resumable). `incomplete`: work remains after the run's passes (resumable). `busy`: another
   * runner holds the lease. `lease-lost`: another runner took the lease over mid-run.
   */
  status: 'done' | 'already-done' | 'stopped' | 'incomplete' | 'busy' | 'lease-lost' | 'dry-run';
  /** What this run did. */
  counts: Record<string, number>;
  /** What all runs did together (dry run: this run). */
  totals: Record<string, number>;
  remaining?: number;
  /** The run continued from checkpoints of an earlier run. */
  resumed: boolean;
  /** `busy`: the lease that kept this runner out. */
  heldBy?: Lease;
}

export function defaultOwner(): string {
  return `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
}

/**
 * Runs one migration under a lease kept in its own record: at most one runner works on it at
 * a time, a runner that dies is taken over once its lease expires, and every run resumes from
 * the last checkpoint.
 */
export async function runMigration(
  store: Store,
  migration: Migration,
  options: RunOptions = {},
): Promise<MigrationRunResult> {
  const id = migration.id;
  const finished = (result: MigrationRunResult) => {
    options.onEvent?.({ type: 'finished', id, result });
    return result;
  };
  if (options.dryRun) return finished(await dryRun(store, migration, options));

  const owner = options.owner ?? defaultOwner();
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  await ensureMigrationRecord(store, id);
  if (options.recheck && migration.verify) {
    const checked = await recheck(store, migration, options);
    if (checked) return finished(checked);
  }
  const acquired = await acquire(store, id, owner, leaseMs, options);
  if ('status' in acquired) return finished(acquired);

  const keeper = new LeaseKeeper(store, id, leaseMs, acquired.object);
  const resumed = acquired.object.data.progress !== null;
  options.onEvent?.({ type: 'started', id, owner, resumed });
  const signal = AbortSignal.any(
    [keeper.lost.signal, options.signal].filter((s): s is AbortSignal => !!s),
  );

  const stopTicker = new AbortController();
  const ticker = (async () => {
    const interval = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    while (!stopTicker.signal.aborted) {
      await sleep(interval, stopTicker.signal);
      if (stopTicker.signal.aborted || !keeper.due) continue;
      await keeper.flush().catch((error) => {
        if (!(error instanceof LeaseLost)) {
          options.onEvent?.({ type: 'checkpoint-failed', id, error });
        }
      });
    }
  })();

  let outcome: MigrationOutcome;
  try {
    outcome = await migration.run({
      store,
      progress: acquired.object.data.progress ?? undefined,
      checkpoint: (progress, totals) => keeper.checkpoint(progress, totals),
      signal,
      dryRun: false,
      segments: options.segments,
      rate: options.rate,
      onProgress: options.onProgress && ((s) => options.onProgress?.(id, s)),
    });
  } catch (err) {
    stopTicker.abort();
    await ticker;
    // The next runner resumes from the last checkpoint; a failed release just expires.
    await keeper
      .finish({ status: 'pending', lastError: err instanceof Error ? err.message : String(err) })
      .catch(() => {});
    throw err;
  }
  stopTicker.abort();
  await ticker;

  const base = { id, counts: outcome.counts, totals: outcome.totals, resumed };
  if (keeper.lost.signal.aborted) return finished({ ...base, status: 'lease-lost' });
  const done = outcome.status === 'done';
  try {
    await keeper.finish({
      status: done ? 'done' : 'pending',
      finishedAt: done ? new Date().toISOString() : null,
      progress: outcome.progress,
      totals: outcome.totals,
      remaining: outcome.remaining ?? null,
    });
  } catch (err) {
    if (err instanceof LeaseLost) return finished({ ...base, status: 'lease-lost' });
    throw err;
  }
  return finished({
    ...base,
    status: done ? 'done' : outcome.status === 'incomplete' ? 'incomplete' : 'stopped',
    remaining: outcome.remaining,
  });
}

/** Verifies a finished migration; re-opens it (and returns nothing) when work appeared. */
async function recheck(
  store: Store,
  migration: Migration,
  options: RunOptions,
): Promise<MigrationRunResult | undefined> {
  const record = await readMigration(store, migration.id);
  if (record?.data.status !== 'done' || !migration.verify) return undefined;
  const check = await migration.verify({
    store,
    progress: undefined,
    checkpoint: () => {},
    signal: options.signal ?? new AbortController().signal,
    dryRun: false,
    segments: options.segments,
    rate: options.rate,
    onProgress: options.onProgress && ((s) => options.onProgress?.(migration.id, s)),
  });
  const base = {
    id: migration.id,
    counts: check.counts,
    totals: record.data.totals,
    resumed: false,
  };
  if (check.stopped) return { ...base, status: 'stopped' };
  if (check.remaining === 0) return { ...base, status: 'already-done', remaining: 0 };
  await reopenMigration(store, migration.id, check.remaining);
  options.onEvent?.({ type: 'reopened', id: migration.id, remaining: check.remaining });
  return undefined;
}

type Acquired = { object: Awaited<ReturnType<typeof acquireLease>> } | MigrationRunResult;

async function acquire(
  store: Store,
  id: string,
  owner: string,
  leaseMs: number,
  options: RunOptions,
): Promise<Acquired> {
  const idle = { id, counts: {}, totals: {}, resumed: false };
  for (;;) {
    try {
      return { object: await acquireLease(store, id, owner, leaseMs) };
    } catch (err) {
      if (err instanceof MigrationDone) {
        const record = await readMigration(store, id);
        return { ...idle, status: 'already-done', totals: record?.data.totals ?? {} };
      }
      if (!(err instanceof LeaseHeld)) throw err;
      if (!options.wait) return { ...idle, status: 'busy', heldBy: err.lease };
      options.onEvent?.({ type: 'waiting', id, lease: err.lease });
      const untilExpiry = Date.parse(err.lease.expiresAt) - Date.now() + 50;
      await sleep(Math.max(50, Math.min(WAIT_POLL_MS, untilExpiry)), options.signal);
      if (options.signal?.aborted) return { ...idle, status: 'stopped' };
    }
  }
}

/** Counts what a run would do, whatever the migration's status, and writes nothing. */
async function dryRun(
  store: Store,
  migration: Migration,
  options: RunOptions,
): Promise<MigrationRunResult> {
  const outcome = await migration.run({
    store,
    progress: undefined,
    checkpoint: () => {},
    signal: options.signal ?? new AbortController().signal,
    dryRun: true,
    segments: options.segments,
    rate: options.rate,
    onProgress: options.onProgress && ((s) => options.onProgress?.(migration.id, s)),
  });
  return {
    id: migration.id,
    status: outcome.status === 'stopped' ? 'stopped' : 'dry-run',
    counts: outcome.counts,
    totals: outcome.totals,
    remaining: outcome.remaining,
    resumed: false,
  };
}

/**
 * Runs every migration that is not done, in order, stopping at the first that does not finish
 * (a later migration may rely on an earlier one). Safe to call from several places at once.
 */
export async function runPendingMigrations(
  store: Store,
  options: RunOptions & { migrations?: readonly Migration[] } = {},
): Promise<MigrationRunResult[]> {
  const results: MigrationRunResult[] = [];
  for (const migration of options.migrations ?? registered) {
    const result = await runMigration(store, migration, options);
    results.push(result);
    const finished = ['done', 'already-done', 'dry-run'].includes(result.status);
    if (!finished) break;
  }
  return results;
}

export interface MigrationStatusEntry {
  id: string;
  description: string;
  status: MigrationStatus;
  /** Present while a runner holds (or held, if `expired`) the lease. */
  lease?: Lease & { expired: boolean };
  runs: number;
  startedAt: string | null;
  finishedAt: string | null;
  totals: Record<string, number>;
  remaining: number | null;
  lastError: string | null;
}

/** Reads the state of every registered migration (a never-run one reads as `pending`). */
export async function migrationStatus(
  store: Store,
  migrations: readonly Migration[] = registered,
): Promise<MigrationStatusEntry[]> {
  const now = Date.now();
  return Promise.all(
    migrations.map(async (migration) => {
      const record: MigrationRecord | undefined = (await readMigration(store, migration.id))?.data;
      return {
        id: migration.id,
        description: migration.description,
        status: record?.status ?? 'pending',
        lease: record?.lease
          ? { ...record.lease, expired: leaseExpired(record.lease, now) }
          : undefined,
        runs: record?.runs ?? 0,
        startedAt: record?.startedAt ?? null,
        finishedAt: record?.finishedAt ?? null,
        totals: record?.totals ?? {},
        remaining: record?.remaining ?? null,
        lastError: record?.lastError ?? null,
      };
    }),
  );
}
