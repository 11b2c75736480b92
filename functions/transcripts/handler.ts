import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '../../shared/aws/bus';
import { ComprehendPiiApi, createComprehendClient } from '../../shared/aws/comprehend';
import { DynamoCarryOverStore, DynamoSessionStore } from '../../shared/aws/state';
import { type PiiMode, piiScanner, transcriptDetectors } from '../../shared/engine';
import { Dimension, Env, Metric } from '../../shared/metrics';
import type { Finding } from '../../shared/model/finding';
import type { PiiStats } from '../../shared/pii/types';
import { BufferedCarryOverStore } from '../../shared/state/buffered';
import { readSubscription } from '../../shared/transcript/read';
import { scanTranscript } from '../../shared/transcript/scan';
import type { TranscriptCarry } from '../../shared/transcript/types';
import { readEnv } from '../commons/env';
import { count, countBy, countFindings, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';

/**
 * Transcripts: CloudWatch Logs subscription → decode → transcript core (commands, secrets, personal
 * data) with the session's start record and carry-over from state → findings on the bus.
 */
const env = readEnv([Env.TableName, Env.BusName, Env.PiiMode]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const sessions = new DynamoSessionStore(table);
const carry = new DynamoCarryOverStore<TranscriptCarry>({
  ...table,
  onOversize: (sessionId, bytes) => logger.warn('carry-over state too large: dropped', { sessionId, bytes }),
});
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
// The same engine as the CLI: one assembly of detectors and of the PII scanner for a mode.
const detectors = transcriptDetectors();
const pii = piiScanner(
  env.PII_MODE as PiiMode,
  env.config,
  env.PII_MODE === 'comprehend'
    ? new ComprehendPiiApi(tracer.captureAWSv3Client(createComprehendClient()))
    : undefined,
);
/** Comprehend cost accounting, when the scanner calls Comprehend. */
const comprehend = pii && 'stats' in pii ? (pii as { stats: PiiStats }) : undefined;
useFunctionDimension('transcripts');

async function main(event: unknown): Promise<void> {
  const read = readSubscription(event, 'subscription');
  for (const e of read.errors)
    logger.warn('session-log item skipped', { problem: e.message, index: e.index });
  if (read.chunks.length === 0 && read.errors.length > 0) {
    // Nothing usable: fail the invocation so the payload ends in the dead-letter queue after the
    // platform's retries (bounded), instead of being dropped silently.
    count(Metric.Failed);
    throw new Error(`unusable subscription payload: ${read.errors[0]?.message}`);
  }
  if (read.errors.length) count(Metric.Failed, read.errors.length);

  const before = comprehend ? { ...comprehend.stats } : undefined;
  const findings: Finding[] = [];
  let retry = false;
  // Carry-over is saved only once the findings are on the bus (see BufferedCarryOverStore).
  const staged = new BufferedCarryOverStore(carry);
  for (const chunk of read.chunks) {
    const session = await sessions.get(chunk.sessionId);
    const result = await scanTranscript(
      chunk,
      { config: env.config, carry: staged, pii, session },
      detectors,
    );
    for (const e of result.errors)
      logger.warn('transcript scan problem', { problem: e.message, sessionId: chunk.sessionId });
    findings.push(...result.findings);
    retry ||= result.retry === true;
    count(Metric.Processed);
  }
  if (comprehend && before) {
    count(Metric.ComprehendCharacters, comprehend.stats.characters - before.characters);
    count(Metric.ComprehendUnits, comprehend.stats.units - before.units);
  }

  if (findings.length) {
    await bus.publish(findings);
    countFindings(findings);
    countBy(Metric.PiiEntities, Dimension.EntityType, evidenceKinds(findings, 'pii'));
    countBy(Metric.Secrets, Dimension.SecretKind, evidenceKinds(findings, 'secret'));
    logger.info('findings published', {
      findings: findings.map((f) => ({
        id: f.id,
        ruleId: f.ruleId,
        severity: f.severity,
        sessionId: f.sessionId,
      })),
    });
  }
  await staged.commit();
  if (retry) {
    // Findings so far are out (ids are stable, so the retry does not duplicate them); the text that
    // could not be scanned is scanned again when the platform retries the invocation.
    count(Metric.Failed);
    throw new Error('personal-data scan or carry-over failed: delivery to be retried');
  }
}

/** One entry per item seen in this delivery, by evidence kind (EntityType / SecretKind). */
function evidenceKinds(findings: readonly Finding[], category: Finding['category']): string[] {
  return findings
    .filter((f) => f.category === category)
    .flatMap((f) => f.evidence.flatMap((e) => Array<string>(e.count ?? 1).fill(e.kind)));
}

export const handler = middy(main)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
