import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failuresQueue, queueHoldsMessages } from './failures-queue.ts';
import { ShellgateFunction } from './shellgate-function.ts';

export interface StreamConsumerProps {
  table: Table;
  tableResources: readonly string[];
  dynamoActions: readonly string[];
  topic: ITopic;
}

/**
 * The watch feed's consumer (functions/stream.ts): the table's stream, shard by shard in
 * order, into the feed. A batch that fails is retried whole (what it had appended is not
 * appended again) and split in two to find a bad record; one that still fails after its retries
 * is described in the failures queue. Alarms: errors, a record waiting in the stream for more
 * than a minute (the feed is behind), and anything in the failures queue.
 */
export class StreamConsumer extends Construct {
  readonly consumer: ShellgateFunction;
  readonly failures: Queue;
  readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    this.consumer = new ShellgateFunction(this, 'Consumer', {
      entry: 'functions/stream.ts',
      description: 'shellgate watch feed: the table stream into watch events',
      tableName: props.table.tableName,
      tableResources: props.tableResources,
      dynamoActions: props.dynamoActions,
      timeout: Duration.minutes(1),
      alsoWildcard:
        'so is dynamodb:ListStreams, which the event source mapping calls; the other stream reads name the table stream.',
    });
    this.failures = failuresQueue(
      this,
      'Failures',
      'the stream batches the consumer could not take (the event source mapping on-failure destination)',
    );
    const fn = this.consumer.function;
    fn.addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // One batch per shard at a time: the shard's order is the feed's order per object.
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        retryAttempts: 10,
        onFailure: new SqsDlq(this.failures),
      }),
    );
    const action = new SnsAction(props.topic);
    this.alarms = [
      new Alarm(this, 'Errors', {
        alarmDescription: 'The stream consumer failed a batch (it is retried; watchers wait).',
        metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'Behind', {
        alarmDescription:
          'A change waited in the table stream for more than a minute: watch events are late.',
        metric: fn.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 60_000,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      queueHoldsMessages(
        this,
        'Dropped',
        this.failures,
        'A stream batch was given up after its retries: its events are missing from the watch feed (described in the failures queue for 14 days).',
      ),
    ];
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
