import type { ProgressSnapshot } from '#lib/jobs/progress.ts';
import type { Store } from '#lib/store/store.ts';

/** What the runner hands a migration for one run. */
export interface MigrationContext {
  store: Store;
  /** What the previous run last checkpointed; undefined on a first run and in a dry run. */
  progress: unknown;
  /**
   * Records how far the migration got (JSON-serialisable, a few KB at most). The runner
   * persists the latest value within a second, and again when the run ends.
   */
  checkpoint(progress: unknown, totals?: Record<string, number>): void;
  /** Aborts at the deadline, on a stop request, or when the runner lost its lease. */
  signal: AbortSignal;
  dryRun: boolean;
  /** Parallelism the caller asked for; a migration may keep the value its progress was made with. */
  segments?: number;
  /** Write units per second; 0 means no limit. */
  rate?: number;
  onProgress?: (snapshot: ProgressSnapshot) => void;
}

export interface MigrationOutcome {
  /**
   * `done`: nothing is left to do. `stopped`: the signal aborted; the next run resumes.
   * `incomplete`: the migration made its passes but work remains; the next run continues.
   */
  status: 'done' | 'stopped' | 'incomplete' | 'dry-run';
  /** What this run did. */
  counts: Record<string, number>;
  /** What all runs did together (dry run: this run). */
  totals: Record<string, number>;
  /** The progress to persist (ignored in a dry run). */
  progress: unknown;
  /** Work its own verify still found (dry run: what a real run would do). */
  remaining?: number;
}

/** What a read-only check of a finished migration found. */
export interface VerifyOutcome {
  /** Work that has appeared since the migration finished (0: still done). */
  remaining: number;
  counts: Record<string, number>;
  /** The signal aborted the check before it could tell. */
  stopped: boolean;
}

/** A numbered data migration; ids sort in the order migrations must run (`005-…`). */
export interface Migration {
  id: string;
  description: string;
  run(context: MigrationContext): Promise<MigrationOutcome>;
  /**
   * Checks, writing nothing, whether a finished migration still holds (e.g. legacy items may
   * come back with a restored backup). Context `progress` is undefined and `checkpoint` a no-op.
   */
  verify?(context: MigrationContext): Promise<VerifyOutcome>;
}
