import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import middy from '@middy/core';
import { SecurityHubImporter } from '../../shared/aws/securityhub';
import { Metric } from '../../shared/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { exportFinding } from './export';

const importer = new SecurityHubImporter(tracer.captureAWSv3Client(new SecurityHubClient({})));
const region = process.env.AWS_REGION ?? '';

/**
 * Findings bus event → ASFF → BatchImportFindings. A malformed event is reported and dropped; a
 * finding Security Hub refuses or an API error is thrown, so EventBridge retries and then dead-letters.
 */
async function main(event: unknown): Promise<void> {
  const outcome = await exportFinding(event, { importer, region, now: () => new Date().toISOString() });
  if (outcome.status === 'rejected') {
    logger.error('rejected event', { reason: outcome.reason });
    metrics.addMetric(Metric.Failed, MetricUnit.Count, 1);
    return;
  }
  logger.info('finding exported', { findingId: outcome.findingId, asffId: outcome.asffId });
  metrics.addMetric(Metric.Processed, MetricUnit.Count, 1);
}

export const handler = middy(main)
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics))
  .use(injectLambdaContext(logger, { clearState: true }));
