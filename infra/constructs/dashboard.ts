import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Dimension, METRICS_NAMESPACE, Metric } from '#shared/metrics';
import type { SentinelFunction } from './functions';

export interface DashboardProps {
  prefix: string;
  functions: SentinelFunction[];
  findingsLog: logs.ILogGroup;
}

/**
 * Latest findings, newest first, from the findings log group (events are logged whole); `suppressed`
 * shows who silenced a finding (config or slack), empty for the alerted ones.
 */
export const LATEST_FINDINGS_QUERY = [
  'fields @timestamp, detail.severity as severity, detail.category as category, detail.title as title,',
  '  detail.sessionId as session, detail.principal.arn as principal, detail.target as target,',
  '  detail.suppressed.by as suppressed',
  '| sort @timestamp desc',
  '| limit 100',
].join('\n');

/**
 * One metric split by one dimension: a SEARCH expression finds every value of the dimension and does
 * not depend on the other dimensions Powertools adds (such as `service`).
 */
function byDimension(metric: string, dimension: string, period = Duration.minutes(5)): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metric}" ${dimension}', 'Sum', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
  });
}

/** A metric summed over all its dimension combinations. */
function total(metric: string, label: string, period = Duration.hours(1)): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    expression: `SUM(SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metric}"', 'Sum', ${period.toSeconds()}))`,
    label,
    usingMetrics: {},
    period,
  });
}

export class Dashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const graph = (title: string, left: cloudwatch.IMetric[], stacked = true) =>
      new cloudwatch.GraphWidget({ title, left, stacked, width: 12, height: 6 });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.prefix}-findings`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      graph('Sessions started by kind', [byDimension(Metric.SessionsStarted, Dimension.SessionKind)]),
      graph('Findings by severity', [byDimension(Metric.Findings, Dimension.Severity)]),
    );
    this.dashboard.addWidgets(
      graph('Findings by category', [byDimension(Metric.Findings, Dimension.Category)]),
      graph('Personal data by type', [byDimension(Metric.PiiEntities, Dimension.EntityType)]),
    );
    this.dashboard.addWidgets(
      graph('Secrets by kind', [byDimension(Metric.Secrets, Dimension.SecretKind)]),
      graph(
        'Terminations',
        [
          total(Metric.Terminations, 'terminated', Duration.minutes(5)),
          total(Metric.TerminationsDryRun, 'dry run', Duration.minutes(5)),
        ],
        false,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Comprehend characters and units (cost: units × $0.0001)',
        [total(Metric.ComprehendCharacters, 'characters'), total(Metric.ComprehendUnits, 'units')],
        false,
      ),
      graph(
        'Lambda errors and throttles',
        props.functions.flatMap((f) => [
          f.fn.metricErrors({ label: `${f.functionName} errors`, period: Duration.minutes(5) }),
          f.fn.metricThrottles({ label: `${f.functionName} throttles`, period: Duration.minutes(5) }),
        ]),
        false,
      ),
    );
    this.dashboard.addWidgets(
      // Sent at once (opened, escalated, single) and in digests, against the findings held for them.
      graph(
        'Alerts by kind, and findings held for a digest',
        [
          byDimension(Metric.AlertsPublished, Dimension.AlertKind),
          total(Metric.AlertsHeld, 'held for a digest', Duration.minutes(5)),
        ],
        false,
      ),
      // Both should stay at zero: a trail subscribed to the transcripts function by mistake, and
      // shell sessions the transcript timer could not wait for (never judged missing).
      graph(
        'Monitor health: misrouted deliveries, shell sessions not awaited',
        [
          total(
            Metric.MisroutedDeliveries,
            'CloudTrail deliveries skipped by transcripts',
            Duration.minutes(5),
          ),
          total(Metric.ExpectationsDropped, 'shell sessions not awaited', Duration.minutes(5)),
        ],
        false,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Dead-letter queue depth',
        props.functions.map((f) =>
          f.dlq.metricApproximateNumberOfMessagesVisible({
            label: f.dlq.queueName,
            period: Duration.minutes(5),
          }),
        ),
        false,
      ),
      new cloudwatch.LogQueryWidget({
        title: 'Latest findings',
        logGroupNames: [props.findingsLog.logGroupName],
        queryString: LATEST_FINDINGS_QUERY,
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 12,
        height: 6,
      }),
    );
  }
}
