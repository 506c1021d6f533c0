import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Metric as HandlerMetric } from '#lib/http/observability.ts';
import { SERVICE } from './shellgate-function.ts';

export interface ShellgateAlarmsProps {
  api: IHttpApi;
  /** Every function of the stack: a throttle in any of them is a failed request or a missed run. */
  functions: readonly IFunction[];
  /** Conflicts (409 ABORTED) per minute, sustained for three minutes, that raise the alarm. */
  conflictsPerMinute: number;
  /** Where alarms and their recoveries are sent. */
  topic: ITopic;
}

/** 5xx share of requests above which the API is failing (percent, over five minutes). */
export const SERVER_ERROR_RATE_PERCENT = 5;
/** Fewer requests than this in five minutes are too few to judge a rate by. */
const MIN_REQUESTS_FOR_RATE = 20;

/**
 * The alarms of a deployment: the API's 5xx rate, throttling (of the functions, and of the
 * table as the handlers report it), and the conflict rate the handlers emit. The handlers'
 * metrics are read from their aggregate set, whose only dimension is `service`.
 */
export class ShellgateAlarms extends Construct {
  readonly serverErrorRate: Alarm;
  readonly functionThrottles: Alarm;
  readonly storeThrottles: Alarm;
  readonly conflicts: Alarm;

  constructor(scope: Construct, id: string, props: ShellgateAlarmsProps) {
    super(scope, id);
    const fiveMinutes = Duration.minutes(5);

    this.serverErrorRate = new Alarm(this, 'ServerErrorRate', {
      alarmDescription: `More than ${SERVER_ERROR_RATE_PERCENT}% of API requests answered 5xx (handler errors, timeouts, crashes) in two consecutive 5-minute periods.`,
      metric: new MathExpression({
        label: '5xx rate (%)',
        expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * errors / requests, 0)`,
        usingMetrics: {
          errors: props.api.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
          requests: props.api.metricCount({ period: fiveMinutes, statistic: 'Sum' }),
        },
        period: fiveMinutes,
      }),
      threshold: SERVER_ERROR_RATE_PERCENT,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const throttles = Object.fromEntries(
      props.functions.map((fn, i) => [
        `f${i}`,
        fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      ]),
    );
    this.functionThrottles = new Alarm(this, 'FunctionThrottles', {
      alarmDescription:
        'Lambda throttled invocations of shellgate functions (account concurrency exhausted): API requests failed or scheduled runs were dropped.',
      metric: new MathExpression({
        label: 'throttled invocations',
        expression: `SUM([${Object.keys(throttles).join(', ')}])`,
        usingMetrics: throttles,
        period: fiveMinutes,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.storeThrottles = new Alarm(this, 'StoreThrottles', {
      alarmDescription:
        'Requests answered 429 RESOURCE_EXHAUSTED because DynamoDB kept throttling after the retries.',
      metric: this.handlerMetric(HandlerMetric.Throttled, fiveMinutes),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.conflicts = new Alarm(this, 'Conflicts', {
      alarmDescription: `More than ${props.conflictsPerMinute} conflicts (409 ABORTED) per minute for three minutes: writers keep losing version races on the same objects.`,
      metric: this.handlerMetric(HandlerMetric.Conflicts, Duration.minutes(1)),
      threshold: props.conflictsPerMinute,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const action = new SnsAction(props.topic);
    for (const alarm of [
      this.serverErrorRate,
      this.functionThrottles,
      this.storeThrottles,
      this.conflicts,
    ]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /** A count the handlers emit, from the aggregate set (dimension `service` only). */
  private handlerMetric(metricName: string, period: Duration): Metric {
    return new Metric({
      namespace: SERVICE,
      metricName,
      dimensionsMap: { service: SERVICE },
      statistic: 'Sum',
      period,
    });
  }
}
