import { Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ShellgateFunction, type ShellgateFunctionProps } from './shellgate-function.ts';

/** The shortest age Lambda and Scheduler accept for an event that waits to be delivered. */
const MAX_EVENT_AGE = Duration.minutes(1);

export interface ScheduledJobProps
  extends Omit<ShellgateFunctionProps, 'retryAttempts' | 'maxEventAge' | 'onFailure'> {
  /** How often the job runs; must be longer than its timeout. */
  every: Duration;
  /**
   * Where a scheduled run that failed, or was dropped before it started, is recorded: the
   * function's failure destination, and the schedule's dead-letter queue for an invocation
   * the scheduler could not make.
   */
  failures: IQueue;
}

/**
 * A job function on an EventBridge Scheduler rate. Runs do not pile up: the timeout is shorter
 * than the interval, so a run has ended before the next one starts; a failed run is not retried
 * (the next scheduled run is the retry); and an invocation that cannot start within a minute
 * is dropped instead of being queued behind later ones. Neither goes unseen: both land in the
 * failures queue, which has an alarm. Each event carries the scheduler's execution id, the
 * run's correlation id in its logs.
 */
export class ScheduledJob extends Construct {
  readonly job: ShellgateFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    const { every, failures, ...functionProps } = props;
    if (props.timeout.toSeconds() >= every.toSeconds()) {
      throw new Error(`${id}: timeout ${props.timeout} must be shorter than the interval ${every}`);
    }
    this.job = new ShellgateFunction(this, 'Job', {
      ...functionProps,
      retryAttempts: 0,
      maxEventAge: MAX_EVENT_AGE,
      onFailure: new SqsDestination(failures),
    });
    // The scheduler's own role may invoke this function and nothing else (the stock target
    // would also grant every version and alias of it).
    const { account } = Stack.of(this);
    const invoker = new Role(this, 'InvokerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: `EventBridge Scheduler: invokes ${id} only`,
    });
    invoker.addToPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.job.function.functionArn],
      }),
    );
    invoker.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [failures.queueArn] }),
    );
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(every),
      description: props.description,
      timeWindow: TimeWindow.off(),
      target: {
        bind: () => ({
          arn: this.job.function.functionArn,
          role: invoker,
          input: ScheduleTargetInput.fromObject({
            job: id,
            executionId: ContextAttribute.executionId,
            scheduledTime: ContextAttribute.scheduledTime,
          }),
          retryPolicy: {
            maximumRetryAttempts: 0,
            maximumEventAgeInSeconds: MAX_EVENT_AGE.toSeconds(),
          },
          deadLetterConfig: { arn: failures.queueArn },
        }),
      },
    });
  }
}
