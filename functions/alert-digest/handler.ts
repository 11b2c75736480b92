import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import { type DigestSweepDeps, sweepDigests } from '#shared/alerts/sweep';
import { SnsAlertPublisher } from '#shared/aws/sns';
import { DynamoIncidentStore } from '#shared/aws/state';
import { Dimension, Env, Metric } from '#shared/metrics';
import { ruleById } from '#shared/rules/index';
import { readEnv } from '../commons/env';
import { count, countBy, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { reportingFailures } from '../commons/report';

/**
 * The incident digest timer: a scheduled rule (every minute) → the sweep of the closed incident
 * windows in the state table (shared/alerts/sweep.ts) → one digest per window on the alerts topic.
 * The event carries nothing the sweep needs; overlapping or repeated runs are harmless: each window
 * is leased to one sweep and marked digested once its digest is out.
 */
const env = readEnv([Env.TableName, Env.TopicArn]);
const deps: DigestSweepDeps = {
  incidents: new DynamoIncidentStore({
    client: tracer.captureAWSv3Client(new DynamoDBClient({})),
    tableName: env.TABLE_NAME,
  }),
  publisher: new SnsAlertPublisher(tracer.captureAWSv3Client(new SNSClient({})), env.TOPIC_ARN),
  ruleById,
  onPublished: (alert) => {
    countBy(Metric.AlertsPublished, Dimension.Severity, [alert.severity]);
    countBy(Metric.AlertsPublished, Dimension.AlertKind, [alert.kind]);
  },
};
useFunctionDimension('alert-digest');

/**
 * One sweep. A failing store or publish escapes to `reportingFailures` (logged, counted, thrown): the
 * cursor did not move and the window's lease runs out, so the next sweep sends that digest.
 */
async function main(): Promise<void> {
  const result = await sweepDigests(deps, Date.now());
  count(Metric.Processed, result.windows);
  // Counts and the range swept only: the digests themselves carry the (masked) incident details.
  logger.info('digest sweep done', {
    windows: result.windows,
    digests: result.digests,
    from: new Date(result.fromMs).toISOString(),
    to: new Date(result.toMs).toISOString(),
  });
}

export const handler = middy(reportingFailures(main))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
