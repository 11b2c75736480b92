import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { sessionControlsByRegion } from '#shared/aws/ssm';
import { DynamoSessionStore, DynamoTerminationGuard } from '#shared/aws/state';
import { Env, Metric } from '#shared/metrics';
import { respond } from '#shared/respond/respond';
import { readEnv } from '../commons/env';
import { type FindingEvent, FindingEventSchema, findingOf } from '../commons/events';
import { remaskFinding } from '../commons/findings';
import { ref } from '../commons/log-values';
import { count, countFindings, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { reportingFailures } from '../commons/report';

/** Responder: a finding from the bus → guardrails (shared/respond) → ssm:TerminateSession → result on the bus. */
const env = readEnv([Env.TableName, Env.BusName]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const sessions = new DynamoSessionStore(table);
const guard = new DynamoTerminationGuard(table);
/** Sessions live in the Region of their finding (forwarding regions share the home responder). */
const controlFor = sessionControlsByRegion((c) => tracer.captureAWSv3Client(c));
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
useFunctionDimension('responder');

/**
 * One bus event per invocation; a malformed one is reported and thrown (retries, then the DLQ). The
 * guardrails see the finding as it came (exemptions match the real principal); what goes back on the
 * bus is re-masked.
 */
async function main(parsed: ParsedResult<unknown, FindingEvent>): Promise<void> {
  const finding = findingOf(parsed);
  const control = controlFor(finding.region);
  const result = await respond(finding, { config: env.config, guard, sessions, control });
  logger.info('responder decision', {
    outcome: result.outcome,
    findingId: ref(finding.id),
    ruleId: ref(finding.ruleId),
    severity: finding.severity,
    sessionId: ref(finding.sessionId),
  });
  if (result.outcome === 'terminated') count(Metric.Terminations);
  if (result.outcome === 'dry-run') count(Metric.TerminationsDryRun);
  if (result.finding) {
    const out = remaskFinding(result.finding);
    await bus.publish([out]);
    countFindings([out]);
  }
  count(Metric.Processed);
}

export const handler = middy(reportingFailures(main))
  .use(parser({ schema: FindingEventSchema, safeParse: true }))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
