import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type NotifyDeps, notifyFinding, shouldAlert } from '#shared/alerts/incident';
import { SnsAlertPublisher } from '#shared/aws/sns';
import { DynamoIncidentStore, DynamoSuppressionStore } from '#shared/aws/state';
import { describeError } from '#shared/errors';
import { Dimension, Env, Metric } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import { ruleById } from '#shared/rules/index';
import { readEnv } from '../commons/env';
import { type FindingEvent, FindingEventSchema, findingOf } from '../commons/events';
import { remaskFinding } from '../commons/findings';
import { ref } from '../commons/log-values';
import { count, countBy, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { reportFailure, reportingFailures } from '../commons/report';

/**
 * Notifier: a finding from the bus → severity check → its incident (shared/alerts/incident.ts) → an
 * SNS alert when it opens or escalates the incident; otherwise it waits for the incident's digest.
 */
const env = readEnv([Env.TableName, Env.TopicArn]);
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
const deps: NotifyDeps = {
  config: env.config,
  incidents: new DynamoIncidentStore({
    client: dynamo,
    tableName: env.TABLE_NAME,
    // A minute with thousands of closing windows: that window's digest is lost, so it counts as failed.
    onDropped: () => {
      logger.warn('digest due time not kept: due bucket full');
      count(Metric.Failed);
    },
  }),
  publisher: new SnsAlertPublisher(tracer.captureAWSv3Client(new SNSClient({})), env.TOPIC_ARN),
  ruleById,
  onPublished: (alert) => {
    countBy(Metric.AlertsPublished, Dimension.Severity, [alert.severity]);
    countBy(Metric.AlertsPublished, Dimension.AlertKind, [alert.kind]);
  },
  onHeld: () => count(Metric.AlertsHeld),
  onSuppressed: () => count(Metric.AlertsSuppressed),
  // Asked again here: a "Suppress similar" pressed after the finding was published still silences it.
  suppressions: new DynamoSuppressionStore({ client: dynamo, tableName: env.TABLE_NAME }),
  onSuppressionError: (e) => {
    // Alerted as if unsuppressed: a failing store must never silence a finding.
    logger.warn('suppressions not checked: finding alerted', { problem: describeError(e) });
    count(Metric.Failed);
  },
};
useFunctionDimension('notifier');

/** Redelivered finding events (EventBridge retries, archive replays) publish once: keyed on the finding id. */
const idempotency = new IdempotencyConfig({
  eventKeyJmesPath: 'id',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: 24 * 3600,
});
const notifyOnce = makeIdempotent((finding: Finding) => notifyFinding(finding, deps, Date.now()), {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: env.TABLE_NAME,
    keyAttr: 'pk',
    expiryAttr: 'expiration',
    awsSdkV3Client: dynamo,
  }),
  config: idempotency,
  keyPrefix: 'idem#notifier',
});

/**
 * One bus event per invocation. A malformed event is reported and thrown (retries, then the DLQ), as
 * is a failed publish; the finding is re-masked first, so the alert carries nothing raw even when the
 * event did not come from the core.
 */
async function main(parsed: ParsedResult<unknown, FindingEvent>, context: Context): Promise<void> {
  idempotency.registerLambdaContext(context);
  const finding = remaskFinding(findingOf(parsed));
  const ids = { findingId: ref(finding.id), ruleId: ref(finding.ruleId), severity: finding.severity };
  if (!shouldAlert(finding, env.config)) {
    logger.debug('below alert threshold', ids);
    count(Metric.Processed);
    return;
  }
  try {
    const outcome = await notifyOnce(finding);
    logger.info('finding handled', {
      ...ids,
      outcome: outcome.status,
      ...(outcome.status === 'published' ? { alert: outcome.kind } : {}),
      ...(outcome.status === 'suppressed' ? { suppressedBy: outcome.by } : {}),
    });
    count(Metric.Processed);
  } catch (err) {
    // Thrown so the platform retries and then dead-letters; described without anything it may quote.
    throw reportFailure('alert failed', err, ids);
  }
}

export const handler = middy(reportingFailures(main))
  .use(parser({ schema: FindingEventSchema, safeParse: true }))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
