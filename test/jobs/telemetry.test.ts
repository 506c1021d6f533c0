import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { JobMetric, migrationRunMetrics } from '#lib/jobs/telemetry.ts';
import type { Store } from '#lib/store/store.ts';
import type { MigrationRunResult } from '#migrations/runner.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { seedLegacyItems } from '#test/support/legacy-items.ts';
import { captureOutput, isEmf, type LogRecord } from '#test/support/output.ts';
import { putSandbox } from '#test/support/sandboxes.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

const { drain } = captureOutput();

const result = (
  status: MigrationRunResult['status'],
  counts: Record<string, number> = {},
): MigrationRunResult => ({ id: '00x', status, counts, totals: {}, resumed: false });

describe('migrationRunMetrics', () => {
  it('counts what the run wrote, met and read, and what is left', () => {
    const metrics = migrationRunMetrics(
      [
        result('done', { scanned: 10, stamped: 4, conflicts: 1, throttled: 2, verified: 10 }),
        result('stopped', { scanned: 5, recorded: 3, conflicts: 2, throttled: 0 }),
      ],
      3,
    );
    expect(metrics).toEqual({
      [JobMetric.MigrationWrites]: 7,
      [JobMetric.MigrationConflicts]: 3,
      [JobMetric.MigrationThrottles]: 2,
      [JobMetric.MigrationProgress]: 25,
      [JobMetric.MigrationsPending]: 2,
      [JobMetric.MigrationStalled]: 0,
    });
  });

  it.each([
    ['a run that read nothing while a migration is pending', [result('stopped')], 1],
    ['nothing pending', [result('already-done'), result('already-done')], 0],
    ['another runner holds the lease', [result('already-done'), result('busy')], 0],
    ['another runner took the lease over', [result('lease-lost')], 0],
    ['a run that moved', [result('incomplete', { scanned: 1 })], 0],
  ])('stalled: %s → %i', (_what, results, stalled) => {
    expect(migrationRunMetrics(results, 2)[JobMetric.MigrationStalled]).toBe(stalled);
  });
});

describe('the job handlers', () => {
  let store: Store;
  let handlers: typeof import('#functions/jobs.ts');

  beforeAll(async () => {
    store = await createTestStore();
    // The handlers build their client, store, logger and metrics at module scope.
    vi.resetModules();
    vi.stubEnv('SHELLGATE_TABLE', store.tableName);
    vi.stubEnv('DYNAMODB_ENDPOINT', dynamoEndpoint());
    vi.stubEnv('SHELLGATE_MIGRATION_RATE', '0');
    vi.stubEnv('SHELLGATE_PROVISION_TIMEOUT_SECONDS', '60');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    handlers = await import('#functions/jobs.ts');
    drain();
  });

  /** As EventBridge Scheduler sends it (`cdk/constructs/scheduled-job.ts`). */
  const scheduled = (job: string) => ({ job, executionId: randomUUID().slice(0, 16) });

  function expectCorrelated(logs: LogRecord[], event: { executionId: string }, requestId: string) {
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) {
      expect(line).toMatchObject({
        service: 'shellgate',
        correlation_id: event.executionId,
        function_request_id: requestId,
      });
    }
  }

  it('migrate: logs each migration with the context, and emits what it stamped in one record', async () => {
    // arrange
    await seedLegacyItems(store, { legacy: 30 });
    const event = scheduled('MigrateJob');
    const context = lambdaContext('shellgate-migrate', 300_000);
    const startedAt = Date.now();

    // act
    const run = await handlers.migrate(event, context);

    // assert
    expect(run.results.map((r) => r.status)).toEqual(['done', 'done']);
    const { records, stderr } = drain();
    expect(stderr).toBe('');
    const emf = records.filter(isEmf);
    const logs = records.filter((r) => !isEmf(r));
    expect(emf).toHaveLength(1);
    expect(emf[0]!._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'shellgate',
      Dimensions: [['service']],
    });
    expect(emf[0]).toMatchObject({ [JobMetric.MigrationWrites]: 30 });
    expect(emf[0]![JobMetric.MigrationProgress]).toBeGreaterThanOrEqual(30);
    // Counts of 0 are left out: nothing pending, nothing stalled.
    expect(emf[0]!).not.toHaveProperty(JobMetric.MigrationsPending);
    expect(emf[0]!).not.toHaveProperty(JobMetric.MigrationStalled);
    // Dated at the run's start, so that each stall-alarm period holds one run.
    expect(emf[0]!._aws.Timestamp).toBeGreaterThanOrEqual(startedAt);
    expect(emf[0]!._aws.Timestamp).toBeLessThanOrEqual(Date.parse(logs[0]!.timestamp));
    expect(logs.map((r) => r.message)).toEqual(['migration', 'migration']);
    expectCorrelated(logs, event, context.awsRequestId);
  });

  it('reconcile: emits the sandboxes it timed out, with the same fields on its log line', async () => {
    // arrange
    await putSandbox(store, `stuck-${randomUUID().slice(0, 6)}`, 'PROVISIONING', 5 * 60_000, 1);
    const event = scheduled('ReconcileJob');
    const context = lambdaContext('shellgate-reconcile', 60_000);

    // act
    await handlers.reconcile(event, context);

    // assert
    const { records } = drain();
    const emf = records.filter(isEmf);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ [JobMetric.SandboxesTimedOut]: 1 });
    expect(emf[0]!).not.toHaveProperty(JobMetric.SessionsRemoved);
    const logs = records.filter((r) => !isEmf(r));
    expect(logs.map((r) => r.message)).toEqual(['reconciled']);
    expectCorrelated(logs, event, context.awsRequestId);
  });

  it('a run that finds nothing to do writes its log line and no metrics record, and no warning', async () => {
    // act
    await handlers.migrate(scheduled('MigrateJob'), lambdaContext('shellgate-migrate', 60_000));
    await handlers.reconcile(scheduled('ReconcileJob'), lambdaContext('shellgate-reconcile'));

    // assert
    const { records, stderr } = drain();
    expect(stderr).toBe('');
    expect(records.filter(isEmf)).toEqual([]);
    expect(records.map((r) => r.message)).toEqual(['migration', 'migration', 'reconciled']);
  });

  it('a run that fails logs the error with the same fields, counts it, and fails the invocation', async () => {
    // arrange: the next import of the handlers works on a table that does not exist.
    vi.resetModules();
    vi.stubEnv('SHELLGATE_TABLE', `missing-${randomUUID()}`);
    const failing = await import('#functions/jobs.ts');
    const event = scheduled('ReconcileJob');
    const context = lambdaContext('shellgate-reconcile', 60_000);
    drain();

    // act
    const run = failing.reconcile(event, context);

    // assert
    await expect(run).rejects.toThrow(/non-existent table/);
    const { records } = drain();
    const emf = records.filter(isEmf);
    expect(emf).toHaveLength(1);
    expect(emf[0]![JobMetric.ReconcileRunsFailed]).toBe(1);
    const logs = records.filter((r) => !isEmf(r));
    expect(logs.map((r) => [r.level, r.message])).toEqual([['ERROR', 'reconcile failed']]);
    expectCorrelated(logs, event, context.awsRequestId);
  });
});
