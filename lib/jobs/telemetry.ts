import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { MigrationRunResult } from '#migrations/runner.ts';
import type { ReconcileResult } from './reconciler.ts';

/**
 * The jobs log and count as the HTTP functions do: the same service, the same namespace, the
 * aggregate dimension set only (`service`), at most one EMF record per run. A count that is 0
 * is left out: a custom metric costs $0.30 a month for every hour it is emitted in, and the
 * jobs run around the clock, mostly finding nothing to do; the alarms read a missing value as
 * fine.
 */
export const jobLogger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shellgate',
  correlationIdSearchFn: search,
});
export const jobMetrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'shellgate',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shellgate',
});

export const JobMetric = {
  /** Items a migration wrote (backfill: stamped; provider refs: recorded). */
  MigrationWrites: 'MigrationItemsWritten',
  /** Writes a concurrent writer settled first: nothing to do for them. */
  MigrationConflicts: 'MigrationConflicts',
  /** Requests DynamoDB throttled; the migration backed off and went on. */
  MigrationThrottles: 'MigrationThrottles',
  /** Items this run read (scans and verify passes): what says the migration moved. */
  MigrationProgress: 'MigrationItemsProcessed',
  /** Registered migrations not done when the run ended. */
  MigrationsPending: 'MigrationsPending',
  /**
   * 1 when a migration is pending and this run moved nothing while no other runner holds its
   * lease (emitted only then). The stall alarm fires when every run in its window says 1.
   */
  MigrationStalled: 'MigrationStalled',
  /** A migrate run that threw (Lambda counts it in `Errors` too). */
  MigrationRunsFailed: 'MigrationRunsFailed',
  SandboxesTimedOut: 'ReconcilerSandboxesTimedOut',
  SessionsRemoved: 'ReconcilerSessionsRemoved',
  ReconcileConflicts: 'ReconcilerConflicts',
  ReconcileRunsFailed: 'ReconcilerRunsFailed',
} as const;

/** The migration statuses after which nothing is left to do. */
const FINISHED = new Set<MigrationRunResult['status']>(['done', 'already-done']);
/** Another runner holds the migration's lease and renews it: the work is going on elsewhere. */
const ELSEWHERE = new Set<MigrationRunResult['status']>(['busy', 'lease-lost']);

const count = (results: readonly MigrationRunResult[], ...keys: string[]) =>
  results.reduce((n, r) => n + keys.reduce((m, k) => m + (r.counts[k] ?? 0), 0), 0);

/**
 * What one migrate run reports, from the results of `runPendingMigrations` (which stops at the
 * first migration that does not finish) and the number of registered migrations.
 */
export function migrationRunMetrics(
  results: readonly MigrationRunResult[],
  registered: number,
): Record<string, number> {
  const pending = registered - results.filter((r) => FINISHED.has(r.status)).length;
  const progress = count(results, 'scanned', 'verified');
  const elsewhere = results.some((r) => ELSEWHERE.has(r.status));
  return {
    [JobMetric.MigrationWrites]: count(results, 'stamped', 'recorded'),
    [JobMetric.MigrationConflicts]: count(results, 'conflicts'),
    [JobMetric.MigrationThrottles]: count(results, 'throttled'),
    [JobMetric.MigrationProgress]: progress,
    [JobMetric.MigrationsPending]: pending,
    [JobMetric.MigrationStalled]: pending > 0 && progress === 0 && !elsewhere ? 1 : 0,
  };
}

/**
 * Adds one run's migration counts to the buffer (flushed when the invocation ends), dated at the
 * run's start: scheduled starts are one interval apart, so each period of the stall alarm (as
 * long as the interval) holds exactly one run, however long the runs take.
 */
export function recordMigrationRun(
  results: readonly MigrationRunResult[],
  registered: number,
  startedAt: number,
): void {
  jobMetrics.setTimestamp(startedAt);
  for (const [name, value] of Object.entries(migrationRunMetrics(results, registered))) {
    if (value > 0) jobMetrics.addMetric(name, MetricUnit.Count, value);
  }
}

/** Adds one reconciliation's counts to the buffer (flushed when the invocation ends). */
export function recordReconcile(result: ReconcileResult): void {
  const counts = {
    [JobMetric.SandboxesTimedOut]: result.provisionTimeouts,
    [JobMetric.SessionsRemoved]: result.sessionsRemoved,
    [JobMetric.ReconcileConflicts]: result.conflicts,
  };
  for (const [name, value] of Object.entries(counts)) {
    if (value > 0) jobMetrics.addMetric(name, MetricUnit.Count, value);
  }
}

/** A run that threw: counted, so that its invocation still flushes one record. */
export function recordFailedRun(job: 'migrate' | 'reconcile'): void {
  const name = job === 'migrate' ? JobMetric.MigrationRunsFailed : JobMetric.ReconcileRunsFailed;
  jobMetrics.addMetric(name, MetricUnit.Count, 1);
}

/**
 * Where a scheduled invocation's event carries EventBridge Scheduler's id of the attempt
 * (`cdk/constructs/scheduled-job.ts` puts it there): the jobs' correlation id.
 */
export const SCHEDULER_CORRELATION_PATH = 'executionId';

/** Flushes the run's counts when it ends (also when it throws), and nothing when there are none. */
const flushJobMetrics = (): MiddlewareObj => {
  const flush = () => {
    if (jobMetrics.hasStoredMetrics()) jobMetrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};

/**
 * The middy middlewares of a job: the Lambda context and the scheduler's execution id on every
 * log line, the counts flushed once when the run ends. Unlike the HTTP functions' `logMetrics`,
 * a run with nothing to count writes no record (and no "No application metrics" warning), and
 * no `ColdStart` is counted: a job's start-up delays nobody.
 */
export function observeJob(): MiddlewareObj[] {
  return [
    injectLambdaContext(jobLogger, {
      correlationIdPath: SCHEDULER_CORRELATION_PATH,
      resetKeys: true,
    }),
    flushJobMetrics(),
  ];
}
