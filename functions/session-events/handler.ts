import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '../../shared/aws/bus';
import { Ec2TagSource } from '../../shared/aws/ec2';
import { SsmPreferencesSource } from '../../shared/aws/ssm';
import { DynamoPreferencesStore, DynamoSessionStore, DynamoWindowStore } from '../../shared/aws/state';
import { Dimension, Env, Metric } from '../../shared/metrics';
import { classifyRecord } from '../../shared/session/classify';
import type { ClassifyContext } from '../../shared/session/types';
import { readEnv } from '../commons/env';
import { count, countBy, countFindings, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';

/** Session events: CloudTrail via EventBridge → classify (shared/session) with state and enrichment → bus. */
const env = readEnv([Env.TableName, Env.BusName]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const ctx: ClassifyContext = {
  config: env.config,
  sessions: new DynamoSessionStore(table),
  windows: new DynamoWindowStore(table),
  tags: new Ec2TagSource({ client: tracer.captureAWSv3Client(new EC2Client({})) }),
  preferences: {
    source: new SsmPreferencesSource(tracer.captureAWSv3Client(new SSMClient({}))),
    store: new DynamoPreferencesStore(table),
  },
};
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
useFunctionDimension('session-events');

async function main(event: unknown): Promise<void> {
  const meta = eventMeta(event);
  const result = await classifyRecord(event, ctx);
  if (result.error) {
    // The core's reason names the member, not the content. Throwing sends the event to the
    // platform's async retries and then the dead-letter queue, where it can be inspected.
    logger.error('CloudTrail event not classified', { problem: result.error, ...meta });
    count(Metric.Failed);
    throw new Error(`CloudTrail event not classified: ${result.error}`);
  }
  count(Metric.Processed);
  if (meta.eventName === 'StartSession' && !meta.errorCode) {
    countBy(Metric.SessionsStarted, Dimension.SessionKind, [result.findings[0]?.sessionKind ?? 'unknown']);
  }
  if (result.findings.length === 0) return;
  await bus.publish(result.findings);
  countFindings(result.findings);
  logger.info('findings published', {
    ...meta,
    findings: result.findings.map((f) => ({ id: f.id, ruleId: f.ruleId, severity: f.severity })),
  });
}

/** Identifying fields of the event for log lines: ids and names only. */
function eventMeta(event: unknown): { eventId?: string; eventName?: string; errorCode?: string } {
  if (typeof event !== 'object' || event === null) return {};
  const detail = (event as { detail?: unknown }).detail;
  if (typeof detail !== 'object' || detail === null) return {};
  const d = detail as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 100) : undefined);
  return { eventId: text(d.eventID), eventName: text(d.eventName), errorCode: text(d.errorCode) };
}

export const handler = middy(main)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
