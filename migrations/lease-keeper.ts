import { randomUUID } from 'node:crypto';
import { keys } from '#lib/domain/keys.ts';
import { Aborted, NotFound } from '#lib/errors.ts';
import { change } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { type MigrationRecord, subjectOf } from './state.ts';

/** The lease is gone: another runner took it over, or it could not be renewed in time. */
export class LeaseLost extends Error {
  constructor(message = 'the migration lease was lost') {
    super(message);
    this.name = 'LeaseLost';
  }
}

/**
 * Owns the migration's record while its runner holds the lease. Every write is a CAS on the
 * version this runner wrote last, so a write after someone else took the lease over fails
 * instead of overwriting their checkpoints, and the run is told to stop (`lost`).
 */
export class LeaseKeeper {
  readonly lost = new AbortController();
  private object: StoredObject<MigrationRecord>;
  private pending: { progress: unknown; totals?: Record<string, number> } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private renewedAt = Date.now();
  private readonly store: Store;
  private readonly id: string;
  private readonly leaseMs: number;

  constructor(store: Store, id: string, leaseMs: number, acquired: StoredObject<MigrationRecord>) {
    this.store = store;
    this.id = id;
    this.leaseMs = leaseMs;
    this.object = acquired;
  }

  get record(): MigrationRecord {
    return this.object.data;
  }

  /** The latest progress, persisted by the next {@link flush}. */
  checkpoint(progress: unknown, totals?: Record<string, number>): void {
    this.pending = { progress, totals };
  }

  /** True when there is progress to write, or the lease needs renewing. */
  get due(): boolean {
    return this.pending !== undefined || Date.now() - this.renewedAt >= this.leaseMs / 3;
  }

  /** Writes pending progress and renews the lease. Writes are serialised. */
  flush(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.lost.signal.aborted) return;
      const pending = this.pending;
      this.pending = undefined;
      const data = this.object.data;
      await this.write({
        ...data,
        ...(pending ? { progress: pending.progress, totals: pending.totals ?? data.totals } : {}),
        lease: data.lease && {
          ...data.lease,
          expiresAt: new Date(Date.now() + this.leaseMs).toISOString(),
        },
      }).catch((err) => {
        // Not written: keep it for the next attempt unless newer progress arrived meanwhile.
        this.pending ??= pending;
        throw err;
      });
    });
    this.chain = run.catch(() => {});
    return run;
  }

  /** The final write of a run: releases the lease. Skipped when the lease was lost. */
  finish(patch: Partial<MigrationRecord>): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.lost.signal.aborted) throw new LeaseLost();
      const data = this.object.data;
      const pending = this.pending;
      this.pending = undefined;
      await this.write({
        ...data,
        ...(pending ? { progress: pending.progress, totals: pending.totals ?? data.totals } : {}),
        ...patch,
        lease: null,
      });
    });
    this.chain = run.catch(() => {});
    return run;
  }

  private async write(next: MigrationRecord): Promise<void> {
    try {
      const res = await this.store.update<MigrationRecord>(
        keys.migration(this.id),
        subjectOf(this.id),
        { apply: () => next, blind: { changes: [change.set([], next)] } },
        { requestId: randomUUID(), expectedResourceVersion: this.object.resourceVersion },
      );
      this.object = res.object;
      this.renewedAt = Date.now();
    } catch (err) {
      if (err instanceof Aborted || err instanceof NotFound) {
        this.lost.abort(new LeaseLost());
        throw new LeaseLost();
      }
      // A transient failure: the lease stays ours until it expires, unless it already has.
      const expiresAt = this.object.data.lease ? Date.parse(this.object.data.lease.expiresAt) : 0;
      if (Date.now() >= expiresAt) this.lost.abort(new LeaseLost('the lease expired unrenewed'));
      throw err;
    }
  }
}
