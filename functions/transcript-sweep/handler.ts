import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { DynamoSessionStore, DynamoSuppressionStore, DynamoTranscriptWatch } from '#shared/aws/state';
import { describeError } from '#shared/errors';
import { Env, Metric } from '#shared/metrics';
import { type SweepDeps, sweepSilence } from '#shared/pipeline/silence';
import { readEnv } from '../commons/env';
import { count, countFindings, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { reportingFailures } from '../commons/report';

/**
 * The missing-transcript timer: a scheduled rule (every 5 minutes) → the sweep of the state table
 * (shared/pipeline/silence.ts) → the findings bus. The event itself carries nothing the sweep needs
 * (its input is the table and the clock), so any event starts one sweep; re-running one is harmless:
 * the sweep's cursor skips what was judged, and finding ids are stable.
 */
const env = readEnv([Env.TableName, Env.BusName]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const deps: SweepDeps = {
  config: env.config,
  sessions: new DynamoSessionStore(table),
  watch: new DynamoTranscriptWatch(table),
  // "Suppress similar" from Slack; the findings stay on the bus, marked, and the notifier skips them.
  suppressions: new DynamoSuppressionStore(table),
  onSuppressionError: (e) => {
    logger.warn('suppressions not checked: finding published unmarked', { problem: describeError(e) });
    count(Metric.Failed);
  },
};
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
useFunctionDimension('transcript-sweep');

/**
 * One sweep. A failing store or publish escapes to `reportingFailures` (logged, counted, thrown): the
 * cursor did not move, so the platform's retry or the next scheduled sweep judges the same window.
 */
async function main(): Promise<void> {
  // Turned off in a deployed configuration that still has the schedule: nothing is due, nothing to read.
  if (!deps.config.missingTranscript.enabled) return;
  const result = await sweepSilence(deps, Date.now(), (findings) => bus.publish(findings));
  count(Metric.Processed, result.judged);
  countFindings(result.findings);
  // Counts and the window judged only: no session id or principal reaches this log (the findings
  // on the bus carry them, masked).
  logger.info('transcript sweep done', {
    judged: result.judged,
    findings: result.findings.length,
    from: new Date(result.fromMs).toISOString(),
    to: new Date(result.toMs).toISOString(),
  });
}

export const handler = middy(reportingFailures(main))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
