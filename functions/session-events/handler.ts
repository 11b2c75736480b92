import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { Ec2TagSource } from '#shared/aws/ec2';
import { SsmPreferencesSource } from '#shared/aws/ssm';
import {
  DynamoPreferencesStore,
  DynamoSeenStore,
  DynamoSessionStore,
  DynamoSuppressionStore,
  DynamoTranscriptWatch,
  DynamoWindowStore,
} from '#shared/aws/state';
import { describeError } from '#shared/errors';
import { Dimension, Env, Metric } from '#shared/metrics';
import { processRecord, type RecordDeps } from '#shared/pipeline/record';
import { parseOwnKeys } from '#shared/session/monitor';
import { readEnv } from '../commons/env';
import { apiName, ref, uuidRef } from '../commons/log-values';
import { count, countBy, countFindings, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { rejectInput, reportingFailures } from '../commons/report';

/** Session events: CloudTrail via EventBridge → the record pipeline (shared/pipeline/record.ts) → bus. */
const env = readEnv([Env.TableName, Env.BusName]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const deps: RecordDeps = {
  ctx: {
    config: env.config,
    // The stack's key (set by infra Detection): tampering with it is found by id/ARN, not only by alias.
    ownKeys: parseOwnKeys(process.env[Env.OwnKeys]),
    ownLogGroups: parseOwnKeys(process.env[Env.OwnLogGroups]),
  },
  sessions: new DynamoSessionStore(table),
  windows: new DynamoWindowStore(table),
  tags: new Ec2TagSource({ client: tracer.captureAWSv3Client(new EC2Client({})) }),
  preferences: {
    source: new SsmPreferencesSource(tracer.captureAWSv3Client(new SSMClient({}))),
    store: new DynamoPreferencesStore(table),
  },
  seen: new DynamoSeenStore(table),
  // "Suppress similar" from Slack; the findings stay on the bus, marked, and the notifier skips them.
  suppressions: new DynamoSuppressionStore(table),
  onSuppressionError: (e) => {
    logger.warn('suppressions not checked: finding published unmarked', { problem: describeError(e) });
    count(Metric.Failed);
  },
  // Shell starts wait for their transcript only when the timer is on (the sweep function exists).
  ...(env.config.missingTranscript.enabled
    ? {
        watch: new DynamoTranscriptWatch({
          ...table,
          onDropped: (reason) => {
            count(Metric.ExpectationsDropped);
            logger.warn('shell session not awaited by the transcript timer', { reason });
          },
        }),
      }
    : {}),
};
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
useFunctionDimension('session-events');

/**
 * One EventBridge event per invocation (EventBridge never batches to a Lambda target), so there is no
 * batch to split: an event the core cannot classify is reported and thrown, and EventBridge's retries
 * end in the dead-letter queue, where it can be inspected. Re-delivery is harmless: finding ids are
 * deterministic and state updates idempotent.
 */
async function main(event: unknown): Promise<void> {
  const meta = eventMeta(event);
  // Findings are published before state is written: a failed publish is retried with state unchanged.
  const result = await processRecord(event, deps, (findings) => bus.publish(findings));
  if (result.error) {
    // The core's reason names the member, not the content; rejectInput redacts it once more.
    throw rejectInput('CloudTrail event not classified', result.error, meta);
  }
  count(Metric.Processed);
  if (meta.eventName === 'StartSession' && !meta.errorCode) {
    countBy(Metric.SessionsStarted, Dimension.SessionKind, [result.findings[0]?.sessionKind ?? 'unknown']);
  }
  if (result.findings.length === 0) return;
  countFindings(result.findings);
  logger.info('findings published', {
    ...meta,
    findings: result.findings.map((f) => ({ id: ref(f.id), ruleId: ref(f.ruleId), severity: f.severity })),
  });
}

/**
 * Identifying fields of the event for log lines, only when they have the shape CloudTrail gives them
 * (`eventID` a UUID, names CamelCase); anything else is logged as `invalid`, never as it came.
 */
function eventMeta(event: unknown): { eventId?: string; eventName?: string; errorCode?: string } {
  if (typeof event !== 'object' || event === null) return {};
  const detail = (event as { detail?: unknown }).detail;
  const d = (typeof detail === 'object' && detail !== null ? detail : event) as Record<string, unknown>;
  const meta = {
    eventId: uuidRef(d.eventID),
    eventName: apiName(d.eventName),
    errorCode: apiName(d.errorCode),
  };
  return Object.fromEntries(Object.entries(meta).filter(([, v]) => v !== undefined));
}

export const handler = middy(reportingFailures(main))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
