import type { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JobMetric } from '#lib/jobs/telemetry.ts';
import { queueHoldsMessages } from './failures-queue.ts';
import { SERVICE } from './shellgate-function.ts';

/** A job's function and how often its schedule runs it. */
export interface WatchedJob {
  function: IFunction;
  every: Duration;
}

export interface JobAlarmsProps {
  jobs: { migrate: WatchedJob; reconcile: WatchedJob };
  /** Minutes without progress of a pending migration after which the stall alarm fires. */
  migrationStallMinutes: number;
  /** The queue failed and dropped scheduled runs land in. */
  failures: IQueue;
  /** Where alarms and their recoveries are sent. */
  topic: ITopic;
}

/** CloudWatch evaluates at most a day of periods shorter than an hour. */
const MAX_EVALUATION_SECONDS = 24 * 60 * 60;

/**
 * The jobs fail loudly: an alarm on each job's errors (a run that threw or timed out, also
 * the run a deploy triggers), one on a migration that stays pending without moving, and one on
 * the failures queue (a scheduled run that failed, or was dropped before it could start).
 */
export class JobAlarms extends Construct {
  readonly errors: Record<keyof JobAlarmsProps['jobs'], Alarm>;
  readonly migrationStalled: Alarm;
  readonly failedRuns: Alarm;

  constructor(scope: Construct, id: string, props: JobAlarmsProps) {
    super(scope, id);
    const { migrate, reconcile } = props.jobs;

    // One period per run: consecutive failing runs keep the alarm up instead of flapping.
    const errorsOf = (name: string, job: WatchedJob) =>
      new Alarm(this, `${name}Errors`, {
        alarmDescription: `A ${name.toLowerCase()} run failed (threw, or ran into its timeout). Its log lines carry the scheduler's execution id as correlation_id.`,
        metric: job.function.metricErrors({ period: job.every, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.errors = {
      migrate: errorsOf('Migrate', migrate),
      reconcile: errorsOf('Reconcile', reconcile),
    };

    const interval = migrate.every.toMinutes();
    const periods = props.migrationStallMinutes / interval;
    if (!Number.isInteger(periods) || periods < 1) {
      throw new Error(
        `migrationStallMinutes (${props.migrationStallMinutes}) must be a multiple of the migrate interval (${interval} minutes)`,
      );
    }
    if (props.migrationStallMinutes * 60 > MAX_EVALUATION_SECONDS) {
      throw new Error(
        `migrationStallMinutes (${props.migrationStallMinutes}) must be at most a day`,
      );
    }
    this.migrationStalled = new Alarm(this, 'MigrationStalled', {
      alarmDescription: `A data migration has been pending for ${props.migrationStallMinutes} minutes while every migrate run moved nothing and no other runner held its lease. See \`shellgate migrate status\` (lastError) and the migrate logs.`,
      // Each run reports 1 (stalled) or 0, dated at its start: one datapoint per period.
      metric: new Metric({
        namespace: SERVICE,
        metricName: JobMetric.MigrationStalled,
        dimensionsMap: { service: SERVICE },
        statistic: 'Minimum',
        period: migrate.every,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: periods,
      // A period without a run is the errors alarm's business; it does not count as stalled.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.failedRuns = queueHoldsMessages(
      this,
      'FailedRuns',
      props.failures,
      'A scheduled job run failed or was dropped before it started (the event waited more than a minute); the event is in the failures queue for 14 days.',
    );

    const action = new SnsAction(props.topic);
    for (const alarm of [...Object.values(this.errors), this.migrationStalled, this.failedRuns]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
