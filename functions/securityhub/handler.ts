import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import middy from '@middy/core';
import { SecurityHubImporter } from '#shared/aws/securityhub';
import { Metric } from '#shared/metrics';
import { type FindingEvent, FindingEventSchema, findingEventOf } from '../commons/events';
import { ref } from '../commons/log-values';
import { count, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { rejectInput, reportingFailures } from '../commons/report';
import { exportFinding } from './export';

const importer = new SecurityHubImporter(tracer.captureAWSv3Client(new SecurityHubClient({})));
const region = process.env.AWS_REGION ?? '';
useFunctionDimension('securityhub');

/**
 * Findings bus event → ASFF → BatchImportFindings. Like the notifier and the responder: a malformed
 * event is reported and thrown, and so are a finding Security Hub refuses and an API error, so
 * EventBridge retries and then the event lands in the dead-letter queue.
 */
async function main(parsed: ParsedResult<unknown, FindingEvent>): Promise<void> {
  const event = findingEventOf(parsed);
  const outcome = await exportFinding(event, { importer, region, now: () => new Date().toISOString() });
  if (outcome.status === 'rejected') throw rejectInput('malformed finding event', outcome.reason);
  logger.info('finding exported', { findingId: ref(outcome.findingId) });
  count(Metric.Processed);
}

export const handler = middy(reportingFailures(main))
  .use(parser({ schema: FindingEventSchema, safeParse: true }))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
