import type { Store } from '#lib/store/store.ts';
import {
  type MigrationRunResult,
  type MigrationStatusEntry,
  migrationStatus,
  runPendingMigrations,
} from '#migrations/runner.ts';
import type { Migration } from '#migrations/types.ts';
import { formatDuration, ProgressDisplay, type ProgressOutput } from './progress-bar.ts';

export interface MigrateCommandOptions {
  action: 'status' | 'run';
  /** `run`: count what would be written, write nothing. */
  dryRun?: boolean;
  /** `run`: parallel scan segments of a migration that starts afresh. @default 16 */
  segments?: number;
  /** `run`: write units per second, 0 = no limit. @default 500 */
  rate?: number;
  /** @default 'table' */
  output?: 'table' | 'json';
}

export interface MigrateCommandIO {
  /** Results: the status table, run summaries, or JSON. */
  stdout: ProgressOutput;
  /** Progress (a live bar on a terminal, plain lines otherwise) and notices. */
  stderr: ProgressOutput;
  /** Stops a run cleanly. Absent: the first Ctrl-C does, and the run can be resumed. */
  signal?: AbortSignal;
  /** @default the registered migrations */
  migrations?: readonly Migration[];
}

const number = new Intl.NumberFormat('en-US');

/**
 * `shellgate migrate status|run [--dry-run] [--segments N] [--rate N]`, given parsed options and
 * a store on the table. `run` waits for another runner's lease, runs what is pending, and
 * re-verifies what is already done (re-running it if legacy items came back). Returns the exit
 * code: 0 when every migration is done (or a dry run finished), 1 when a run stopped or left
 * work behind.
 */
export async function migrateCommand(
  store: Store,
  options: MigrateCommandOptions,
  io: MigrateCommandIO = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  if (options.action === 'status') {
    const entries = await migrationStatus(store, io.migrations);
    io.stdout.write(
      options.output === 'json'
        ? `${JSON.stringify(entries, null, 2)}\n`
        : `${formatStatusTable(entries)}\n`,
    );
    return 0;
  }

  const display = new ProgressDisplay(io.stderr);
  const interrupt = new AbortController();
  const onSigint = () => {
    display.log('Stopping after the current page; run the command again to resume.');
    interrupt.abort(new Error('interrupted'));
  };
  if (!io.signal) process.once('SIGINT', onSigint);
  try {
    const results = await runPendingMigrations(store, {
      dryRun: options.dryRun,
      segments: options.segments,
      rate: options.rate,
      signal: io.signal ?? interrupt.signal,
      wait: true,
      recheck: true,
      migrations: io.migrations,
      onProgress: (id, snapshot) => display.update(id, snapshot),
      onEvent: (event) => {
        if (event.type === 'waiting') {
          display.log(
            `${event.id}: waiting for ${event.lease.owner} (lease until ${event.lease.expiresAt})`,
          );
        } else if (event.type === 'reopened') {
          display.log(
            `${event.id}: was done, but ${number.format(event.remaining)} object items lack a version again; running it again`,
          );
        } else if (event.type === 'started' && event.resumed) {
          display.log(`${event.id}: resuming from its last checkpoint`);
        } else if (event.type === 'checkpoint-failed') {
          display.log(`${event.id}: checkpoint failed, retrying: ${String(event.error)}`);
        } else if (event.type === 'finished') {
          display.finish();
        }
      },
    });
    io.stdout.write(
      options.output === 'json'
        ? `${JSON.stringify(results, null, 2)}\n`
        : `${results.map(formatRunResult).join('\n')}\n`,
    );
    const ok = results.every((r) => ['done', 'already-done', 'dry-run'].includes(r.status));
    return ok ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function formatRunResult(r: MigrationRunResult): string {
  const c = r.counts;
  const n = (k: string) => number.format(c[k] ?? 0);
  switch (r.status) {
    case 'already-done':
      return r.counts.verified === undefined
        ? `${r.id}: already done`
        : `${r.id}: already done — verify read ${n('verified')} items and found 0 unversioned object items`;
    case 'busy':
      return `${r.id}: another runner (${r.heldBy?.owner}) holds the lease until ${r.heldBy?.expiresAt}`;
    case 'dry-run':
      return `${r.id}: dry run — would stamp ${n('wouldStamp')}, already versioned ${n('skipped')}, not objects ${n('ignored')}, scanned ${n('scanned')}; nothing was written`;
    default: {
      const summary = `scanned ${n('scanned')}, stamped ${n('stamped')}, skipped ${n('skipped')}, not objects ${n('ignored')}, conflicts ${n('conflicts')}`;
      const tail = {
        done: 'verify found 0 unversioned object items',
        stopped: 'stopped; run again to resume from the checkpoint',
        incomplete: `${number.format(r.remaining ?? 0)} object items still unversioned; run again`,
        'lease-lost': 'another runner took over the lease; it continues the work',
      }[r.status];
      return `${r.id}: ${r.status}${r.resumed ? ' (resumed)' : ''} — ${summary}; ${tail}`;
    }
  }
}

export function formatStatusTable(entries: MigrationStatusEntry[], now = Date.now()): string {
  const header = ['MIGRATION', 'STATUS', 'SCANNED', 'STAMPED', 'SKIPPED', 'REMAINING', 'LEASE'];
  const rows = entries.map((e) => {
    const t = (k: string) => (e.totals[k] === undefined ? '-' : number.format(e.totals[k]));
    const lease = e.lease
      ? e.lease.expired
        ? `expired (${e.lease.owner})`
        : `${e.lease.owner}, ${formatDuration((Date.parse(e.lease.expiresAt) - now) / 1000)} left`
      : '-';
    const status = e.lastError && e.status !== 'done' ? `${e.status} (error)` : e.status;
    return [
      e.id,
      status,
      t('scanned'),
      t('stamped'),
      t('skipped'),
      e.remaining === null ? '-' : number.format(e.remaining),
      lease,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const errors = entries
    .filter((e) => e.lastError && e.status !== 'done')
    .map((e) => `${e.id}: last error: ${e.lastError}`);
  return [line(header), ...rows.map(line), ...errors].join('\n');
}
