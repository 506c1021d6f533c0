import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { DEFAULT_SEGMENTS, DEFAULT_WRITE_RATE } from '#lib/jobs/backfill.ts';
import { DEFAULT_PROVISION_TIMEOUT_MS, reconcile as reconcileOnce } from '#lib/jobs/reconciler.ts';
import {
  jobLogger as logger,
  observeJob,
  recordFailedRun,
  recordMigrationRun,
  recordReconcile,
} from '#lib/jobs/telemetry.ts';
import { createDocumentClient, Store } from '#lib/store/index.ts';
import { migrations } from '#migrations/registry.ts';
import { runPendingMigrations } from '#migrations/runner.ts';

/**
 * Scheduled Lambda entry points. Environment: `SHELLGATE_TABLE` (required), `DYNAMODB_ENDPOINT`
 * (local only), `SHELLGATE_MIGRATION_SEGMENTS`, `SHELLGATE_MIGRATION_RATE` (write units per
 * second, 0 = no limit), `SHELLGATE_PROVISION_TIMEOUT_SECONDS`.
 */
let store: Store | undefined;

/** Time kept back before the Lambda deadline for the final checkpoint and lease release. */
const MAX_SAFETY_MS = 10_000;

/** The part of the invocation's remaining time a job may use. */
function budgetMs(context: Context): number {
  const remaining = context.getRemainingTimeInMillis();
  // AbortSignal.timeout takes whole milliseconds only.
  return Math.max(0, Math.floor(remaining - Math.min(MAX_SAFETY_MS, remaining * 0.2)));
}

/**
 * The store, built on the first invocation from the environment read then (not at import, so
 * loading this module has no side effect) and kept for the container's later invocations.
 */
function requireStore(): Store {
  if (store) return store;
  const tableName = process.env.SHELLGATE_TABLE;
  if (!tableName) throw new Error('SHELLGATE_TABLE is not set');
  store = new Store(createDocumentClient(), tableName);
  return store;
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0`);
  return value;
}

/**
 * A job as a Lambda handler: the context and correlation id on every log line, one metrics
 * record per run, a failure logged and counted before it fails the invocation. Middy's early
 * timeout is off: a job watches its own deadline and stops cleanly before it.
 */
function jobHandler<R>(job: 'migrate' | 'reconcile', run: (context: Context) => Promise<R>) {
  return middy<unknown, R, Error, Context>({ timeoutEarlyInMillis: 0 })
    .use(observeJob())
    .handler(async (_event, context) => {
      try {
        return await run(context);
      } catch (err) {
        recordFailedRun(job);
        logger.error(`${job} failed`, { error: err as Error });
        throw err;
      }
    });
}

/**
 * Runs pending data migrations until done or shortly before the deadline, checkpointing as it
 * goes; the next scheduled invocation resumes. A concurrent invocation finds the lease taken
 * and returns at once. A migration that fails fails the invocation (and a deploy's trigger).
 */
export const migrate = jobHandler('migrate', async (context) => {
  const startedAt = Date.now();
  const results = await runPendingMigrations(requireStore(), {
    signal: AbortSignal.timeout(budgetMs(context)),
    wait: false,
    segments: numberFromEnv('SHELLGATE_MIGRATION_SEGMENTS', DEFAULT_SEGMENTS),
    rate: numberFromEnv('SHELLGATE_MIGRATION_RATE', DEFAULT_WRITE_RATE),
    onEvent: (event) => {
      if (event.type === 'checkpoint-failed') {
        logger.warn('checkpoint failed', { migration: event.id, error: event.error as Error });
      }
    },
  });
  for (const result of results) logger.info('migration', { ...result });
  recordMigrationRun(results, migrations.length, startedAt);
  return { results };
});

/**
 * Times out stuck sandboxes and removes expired or revoked SSH sessions; what is left when the
 * deadline nears waits for the next run.
 */
export const reconcile = jobHandler('reconcile', async (context) => {
  const result = await reconcileOnce(requireStore(), {
    signal: AbortSignal.timeout(budgetMs(context)),
    provisionTimeoutMs:
      numberFromEnv('SHELLGATE_PROVISION_TIMEOUT_SECONDS', DEFAULT_PROVISION_TIMEOUT_MS / 1000) *
      1000,
  });
  logger.info('reconciled', { ...result });
  recordReconcile(result);
  return result;
});
