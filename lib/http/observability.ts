import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { MiddlewareObj } from '@middy/core';

/**
 * Module scope: one logger and one metrics buffer per Lambda instance.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shellgate',
});
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'shellgate',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shellgate',
});

/**
 * Read once: Powertools' own switch (`POWERTOOLS_METRICS_DISABLED`). With metrics off nothing
 * is published, so neither the per-request buffering nor the flush middleware runs.
 */
const metricsDisabled = process.env.POWERTOOLS_METRICS_DISABLED === 'true';

export const Metric = {
  Conflicts: 'Conflicts',
  ServerRetries: 'ServerRetries',
  ReceiptResolved: 'AmbiguousWritesResolved',
  IdempotentReplays: 'IdempotentReplays',
  ServerErrors: 'ServerErrors',
  Throttled: 'Throttled',
  Requests: 'Requests',
} as const;

export interface RequestOutcome {
  route: string;
  status: number;
  code?: string;
  attempts: number;
  resolvedByReceipt: boolean;
  replayed: boolean;
}

/**
 * Per request, the counts go into the instance's buffer under two dimension sets — by route
 * (to find the hot route) and by service only (what the alarms watch) — so one EMF record
 * carries each value once and CloudWatch files it under both. The buffer is flushed once, when
 * the invocation ends (`observeInvocation`).
 */
export function recordMetrics(o: RequestOutcome): void {
  if (metricsDisabled) return;
  metrics.addDimensions({ route: o.route });
  metrics.addDimensions({});
  if (o.code === 'ABORTED') metrics.addMetric(Metric.Conflicts, MetricUnit.Count, 1);
  if (o.attempts > 1) metrics.addMetric(Metric.ServerRetries, MetricUnit.Count, o.attempts - 1);
  if (o.resolvedByReceipt) metrics.addMetric(Metric.ReceiptResolved, MetricUnit.Count, 1);
  if (o.replayed) metrics.addMetric(Metric.IdempotentReplays, MetricUnit.Count, 1);
  if (o.status >= 500) metrics.addMetric(Metric.ServerErrors, MetricUnit.Count, 1);
  if (o.status === 429) metrics.addMetric(Metric.Throttled, MetricUnit.Count, 1);
  metrics.addMetric(Metric.Requests, MetricUnit.Count, 1);
}

/**
 * The middy middlewares of an HTTP function, outermost first: every log line of an invocation
 * carries the function's request id and, as `correlation_id`, API Gateway's request id (the
 * one in `X-Request-Id` and the access log); the metrics buffer is flushed once at the end,
 * with a `ColdStart` count on an instance's first invocation.
 */
export function observeInvocation(): MiddlewareObj[] {
  return [
    injectLambdaContext(logger, { resetKeys: true }),
    correlateWithRequestId,
    ...(metricsDisabled ? [] : [logMetrics(metrics, { captureColdStartMetric: true })]),
  ];
}

/**
 * The correlation id read straight from the event: the same value as Powertools'
 * `correlationPaths.API_GATEWAY_HTTP`, without evaluating a JMESPath expression per request
 * (that search was most of the logger's CPU per request in the bench's handler profile).
 */
const correlateWithRequestId: MiddlewareObj = {
  before: (request) => {
    const id = (request.event as { requestContext?: { requestId?: string } } | undefined)
      ?.requestContext?.requestId;
    if (id) logger.setCorrelationId(id);
  },
};
