import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Alias } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Trigger } from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { contracts, type FunctionName } from '#lib/contract/index.ts';
import { DEFAULT_SEGMENTS, DEFAULT_WRITE_RATE } from '#lib/jobs/backfill.ts';
import { DEFAULT_PROVISION_TIMEOUT_MS } from '#lib/jobs/reconciler.ts';
import { tableDefinition } from '#lib/store/table.ts';
import { failuresQueue } from './constructs/failures-queue.ts';
import { JobAlarms } from './constructs/job-alarms.ts';
import { ScheduledJob } from './constructs/scheduled-job.ts';
import { ShellgateAlarms } from './constructs/shellgate-alarms.ts';
import { ShellgateApi } from './constructs/shellgate-api.ts';
import { ShellgateFunction } from './constructs/shellgate-function.ts';
import { ShellgateRollout } from './constructs/shellgate-rollout.ts';
import { ShellgateTable } from './constructs/shellgate-table.ts';
import { StreamConsumer } from './constructs/stream-consumer.ts';
import {
  HTTP_FUNCTIONS,
  httpFunctionActions,
  JOB_DYNAMO_ACTIONS,
  STREAM_CONSUMER_ACTIONS,
} from './permissions.ts';
import { PLACEHOLDER_ISSUER, type ShellgateSettings } from './settings.ts';
import { ROLLOUTS } from './stages.ts';

export interface ShellgateStackProps extends StackProps {
  settings: ShellgateSettings;
}

/** Construct ids of the HTTP functions: `providers` → `ProvidersFunction`. */
export const httpFunctionId = (fn: FunctionName) =>
  `${fn.charAt(0).toUpperCase()}${fn.slice(1)}Function`;

/**
 * The API Gateway deadline is 30 s; the functions stop earlier so that a slow request ends
 * with the handler's own answer rather than a gateway 503.
 */
const HTTP_TIMEOUT = Duration.seconds(20);

/** Schedules: each run ends (timeout) well before the next one starts (interval). */
export const JOB_SCHEDULES = {
  /** The backfill resumes from its checkpoint every run; once done, a run is two reads. */
  migrate: { every: Duration.minutes(15), timeout: Duration.minutes(10), memorySize: 1024 },
  /** A pass over the sandboxes and sessions; what a cut-off run leaves, the next one does. */
  reconcile: { every: Duration.minutes(5), timeout: Duration.minutes(2), memorySize: 512 },
} as const;

/** The deploy waits this much longer than a migrate run may take, for the invocation itself. */
const TRIGGER_SLACK = Duration.minutes(1);

/**
 * shellgate on AWS: the table, one function per route group behind its `live` alias, the HTTP
 * API, the jobs with their failures queue, the migrations a deploy runs, the alarms, and the
 * gradual rollout of the HTTP functions that those alarms roll back.
 */
export class ShellgateStack extends Stack {
  readonly settings: ShellgateSettings;
  readonly table: ShellgateTable;
  readonly httpFunctions: Record<FunctionName, ShellgateFunction>;
  readonly api: ShellgateApi;
  readonly jobs: Record<'migrate' | 'reconcile', ScheduledJob>;
  /** Scheduled job runs that failed or were dropped. */
  readonly jobFailures: Queue;
  /** Runs the pending migrations during a deploy, before the HTTP functions take new code. */
  readonly migrateOnDeploy: Trigger;
  readonly alarms: ShellgateAlarms;
  readonly jobAlarms: JobAlarms;
  /** The table stream's consumer into the watch feed, its failures queue and its alarms. */
  readonly streamConsumer: StreamConsumer;
  readonly rollout: ShellgateRollout;
  /** The API's base URL, for a pipeline's post-deploy steps. */
  readonly apiUrlOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: ShellgateStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.settings = settings;
    if (settings.jwtIssuer === PLACEHOLDER_ISSUER) {
      Annotations.of(this).addWarningV2(
        'shellgate:placeholder-issuer',
        `jwtIssuer is the placeholder ${PLACEHOLDER_ISSUER}: no token will be accepted. Deploy with -c jwtIssuer=… -c jwtAudience=… (docs/deploy.md).`,
      );
    }

    this.table = new ShellgateTable(this, 'Store', {
      definition: tableDefinition,
      retain: settings.retainData,
    });
    const tableAccess = {
      tableName: this.table.table.tableName,
      tableResources: this.table.resourceArns,
    };

    this.httpFunctions = Object.fromEntries(
      HTTP_FUNCTIONS.map((fn) => [
        fn,
        new ShellgateFunction(this, httpFunctionId(fn), {
          entry: `functions/${fn}.ts`,
          description: `shellgate ${fn} routes`,
          ...tableAccess,
          dynamoActions: httpFunctionActions(fn),
          timeout: HTTP_TIMEOUT,
          memorySize: settings.httpMemorySize,
          alias: true,
          environment: settings.serviceDomain
            ? { SHELLGATE_SERVICE_DOMAIN: settings.serviceDomain }
            : {},
        }),
      ]),
    ) as Record<FunctionName, ShellgateFunction>;
    const aliases = Object.fromEntries(
      HTTP_FUNCTIONS.map((fn) => [fn, this.httpFunctions[fn].alias as Alias]),
    ) as Record<FunctionName, Alias>;

    // API Gateway invokes the aliases: a deployment moves traffic by moving an alias.
    this.api = new ShellgateApi(this, 'Api', {
      routes: contracts,
      functions: aliases,
      unmatched: 'meta',
      jwtIssuer: settings.jwtIssuer,
      jwtAudience: settings.jwtAudience,
      throttle: { rateLimit: settings.apiRateLimit, burstLimit: settings.apiBurstLimit },
    });

    this.jobFailures = failuresQueue(
      this,
      'JobFailures',
      "failed and dropped job runs (a Lambda failure destination and the schedules' dead-letter queue)",
    );

    this.jobs = {
      migrate: new ScheduledJob(this, 'MigrateJob', {
        entry: 'functions/jobs.ts',
        handler: 'migrate',
        description: 'shellgate data migrations (resource-version backfill)',
        ...tableAccess,
        dynamoActions: JOB_DYNAMO_ACTIONS.migrate,
        ...JOB_SCHEDULES.migrate,
        failures: this.jobFailures,
        environment: {
          SHELLGATE_MIGRATION_SEGMENTS: String(DEFAULT_SEGMENTS),
          SHELLGATE_MIGRATION_RATE: String(DEFAULT_WRITE_RATE),
        },
      }),
      reconcile: new ScheduledJob(this, 'ReconcileJob', {
        entry: 'functions/jobs.ts',
        handler: 'reconcile',
        description: 'shellgate reconciler (provision timeouts, expired sessions)',
        ...tableAccess,
        dynamoActions: JOB_DYNAMO_ACTIONS.reconcile,
        ...JOB_SCHEDULES.reconcile,
        failures: this.jobFailures,
        environment: {
          SHELLGATE_PROVISION_TIMEOUT_SECONDS: String(DEFAULT_PROVISION_TIMEOUT_MS / 1000),
        },
      }),
    };

    // A deploy runs the pending migrations once, synchronously: a migration that fails fails
    // the deploy (and rolls it back) before any HTTP function takes new code. A long migration
    // stops before the run's timeout, the deploy goes on, and the schedule carries on with it.
    // It runs again whenever the migrate function changes, i.e. with every new migration.
    this.migrateOnDeploy = new Trigger(this, 'MigrateOnDeploy', {
      handler: this.jobs.migrate.job.function,
      timeout: JOB_SCHEDULES.migrate.timeout.plus(TRIGGER_SLACK),
      executeBefore: Object.values(aliases),
    });

    const alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'shellgate alarms',
      enforceSSL: true,
    });
    if (settings.alarmEmail) {
      alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    }
    this.streamConsumer = new StreamConsumer(this, 'Watch', {
      table: this.table.table,
      // The feed's items are in the table; the consumer queries no index.
      tableResources: [this.table.table.tableArn],
      dynamoActions: STREAM_CONSUMER_ACTIONS,
      topic: alarmTopic,
    });

    this.alarms = new ShellgateAlarms(this, 'Alarms', {
      api: this.api.httpApi,
      functions: [
        ...HTTP_FUNCTIONS.map((fn) => this.httpFunctions[fn].function),
        this.jobs.migrate.job.function,
        this.jobs.reconcile.job.function,
        this.streamConsumer.consumer.function,
      ],
      conflictsPerMinute: settings.conflictAlarmPerMinute,
      topic: alarmTopic,
    });
    this.jobAlarms = new JobAlarms(this, 'JobAlarms', {
      jobs: {
        migrate: { function: this.jobs.migrate.job.function, every: JOB_SCHEDULES.migrate.every },
        reconcile: {
          function: this.jobs.reconcile.job.function,
          every: JOB_SCHEDULES.reconcile.every,
        },
      },
      migrationStallMinutes: settings.migrationStallMinutes,
      failures: this.jobFailures,
      topic: alarmTopic,
    });

    this.rollout = new ShellgateRollout(this, 'Rollout', {
      aliases,
      deploymentConfig: ROLLOUTS[settings.rollout],
      alarms: [this.alarms.serverErrorRate, this.alarms.conflicts],
    });

    this.apiUrlOutput = new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the shellgate HTTP API',
      value: this.api.url,
    });
    new CfnOutput(this, 'TableName', {
      description: 'The shellgate table',
      value: this.table.table.tableName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe here to receive the alarms',
      value: alarmTopic.topicArn,
    });
    new CfnOutput(this, 'JobFailuresQueueUrl', {
      description: 'Failed and dropped scheduled job runs (kept 14 days)',
      value: this.jobFailures.queueUrl,
    });
  }
}
