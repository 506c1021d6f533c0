import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Module scope: one logger and one metrics buffer per Lambda instance. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shellgate',
});
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'shellgate',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shellgate',
});

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
 * Per request, the same counts twice: dimensioned by route (to find the hot route) and by
 * service only (what the alarms watch).
 */
export function recordMetrics(o: RequestOutcome): void {
  if (process.env.POWERTOOLS_METRICS_DISABLED === 'true') return;
  for (const byRoute of [true, false]) {
    const m = metrics.singleMetric();
    if (byRoute) m.addDimension('route', o.route);
    if (o.code === 'ABORTED') m.addMetric(Metric.Conflicts, MetricUnit.Count, 1);
    if (o.attempts > 1) m.addMetric(Metric.ServerRetries, MetricUnit.Count, o.attempts - 1);
    if (o.resolvedByReceipt) m.addMetric(Metric.ReceiptResolved, MetricUnit.Count, 1);
    if (o.replayed) m.addMetric(Metric.IdempotentReplays, MetricUnit.Count, 1);
    if (o.status >= 500) m.addMetric(Metric.ServerErrors, MetricUnit.Count, 1);
    if (o.status === 429) m.addMetric(Metric.Throttled, MetricUnit.Count, 1);
    m.addMetric(Metric.Requests, MetricUnit.Count, 1);
    m.publishStoredMetrics();
  }
}
