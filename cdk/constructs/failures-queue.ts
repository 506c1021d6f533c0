import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue where what failed for good ends up (a Lambda failure destination, a dead-letter
 * queue): encrypted, TLS only, kept 14 days. Being itself the last stop, it has no dead-letter
 * queue of its own, which `endsHere` says to cdk-nag.
 */
export function failuresQueue(scope: Construct, id: string, endsHere: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason: `This queue is itself where ${endsHere} end up; nothing consumes it, an alarm watches it.`,
  });
  return queue;
}

/** An alarm on anything arriving in a failures queue, which nothing else consumes. */
export function queueHoldsMessages(
  scope: Construct,
  id: string,
  queue: IQueue,
  description: string,
): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    }),
    threshold: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
