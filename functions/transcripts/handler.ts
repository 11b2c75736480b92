import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { ComprehendPiiApi, createComprehendClient } from '#shared/aws/comprehend';
import { DynamoCarryOverStore, DynamoSessionStore } from '#shared/aws/state';
import { type PiiMode, piiScanner, transcriptDetectors } from '#shared/engine';
import { redact } from '#shared/errors';
import { Dimension, Env, Metric } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import type { PiiStats } from '#shared/pii/types';
import { BufferedCarryOverStore } from '#shared/state/buffered';
import { readSubscription } from '#shared/transcript/read';
import { scanTranscript, WORK_CAPPED_RULE } from '#shared/transcript/scan';
import type { ItemError, TranscriptCarry } from '#shared/transcript/types';
import { readEnv } from '../commons/env';
import { ref } from '../commons/log-values';
import { count, countFindings, countWeighted, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { ReportedError, rejectInput, reportingFailures } from '../commons/report';

/**
 * Transcripts: CloudWatch Logs subscription → decode → transcript core (commands, secrets, personal
 * data) with the session's start record and carry-over from state → findings on the bus.
 */
const env = readEnv([Env.TableName, Env.BusName, Env.PiiMode]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const sessions = new DynamoSessionStore(table);
const carry = new DynamoCarryOverStore<TranscriptCarry>({
  ...table,
  onOversize: (sessionId, bytes) =>
    logger.warn('carry-over state too large: dropped', { sessionId: ref(sessionId), bytes }),
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

/** Item problems logged one line each up to this many per delivery; the rest are counted in a summary. */
const MAX_ITEM_LOGS = 20;

/**
 * One subscription delivery (all log events of one stream, one session). Log events that cannot be
 * read are reported (log + `Failed` metric); the others are scanned and their findings published all
 * the same. The delivery then fails, so the platform retries it and finally puts it in the dead-letter
 * queue: the retry does not scan the good events again (their log event ids are in the carry-over)
 * and nothing is published twice (finding ids are deterministic).
 */
async function main(event: unknown): Promise<void> {
  const read = readSubscription(event, 'subscription');
  if (read.chunks.length === 0 && read.errors.length > 0) {
    // Nothing usable: fail the invocation so the payload ends in the dead-letter queue after the
    // platform's retries (bounded), instead of being dropped silently.
    const more = read.errors.length > 1 ? ` (+${read.errors.length - 1} more)` : '';
    throw rejectInput('unusable subscription payload', `${read.errors[0]?.message ?? 'unreadable'}${more}`);
  }
  reportItems('session-log item skipped', read.errors);

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
    reportItems('transcript scan problem', result.errors, ref(chunk.sessionId));
    for (const f of result.findings) findings.push(f);
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
    countWeighted(Metric.PiiEntities, Dimension.EntityType, evidenceKinds(findings, 'pii'));
    countWeighted(Metric.Secrets, Dimension.SecretKind, evidenceKinds(findings, 'secret'));
    countWeighted(Metric.ScanWorkCapped, Dimension.CapKind, capKinds(findings));
    logger.info('findings published', {
      findings: findings.map((f) => ({
        id: ref(f.id),
        ruleId: ref(f.ruleId),
        severity: f.severity,
        sessionId: ref(f.sessionId),
      })),
    });
  }
  await staged.commit();
  if (retry) {
    // Findings so far are out (ids are stable, so the retry does not duplicate them); the text that
    // could not be scanned is scanned again when the platform retries the invocation.
    count(Metric.Failed);
    throw new ReportedError('personal-data scan or carry-over failed: delivery to be retried', 'ScanRetry');
  }
  if (read.errors.length) {
    // Already logged and counted per item above.
    throw new ReportedError(
      `${read.errors.length} log event(s) of the delivery unusable, the rest processed`,
      'MalformedEvent',
    );
  }
}

/** One warning per problem (up to MAX_ITEM_LOGS, then one summary line) and one `Failed` each. */
function reportItems(what: string, errors: readonly ItemError[], sessionId?: string): void {
  if (errors.length === 0) return;
  for (const e of errors.slice(0, MAX_ITEM_LOGS)) {
    logger.warn(what, { problem: redact(e.message), index: e.index, sessionId });
  }
  if (errors.length > MAX_ITEM_LOGS) {
    logger.warn(`${what}: more not logged`, { notLogged: errors.length - MAX_ITEM_LOGS, sessionId });
  }
  count(Metric.Failed, errors.length);
}

/** Items seen in this delivery per evidence kind (EntityType / SecretKind), with their counts. */
function evidenceKinds(findings: readonly Finding[], category: Finding['category']): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const f of findings) {
    if (f.category !== category) continue;
    for (const e of f.evidence) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + (e.count ?? 1));
  }
  return kinds;
}

/**
 * What the scan's work caps cut in this delivery (`scan-work-capped` evidence kinds), one each: the
 * finding's counts add up over the session, so they would count earlier deliveries again.
 */
function capKinds(findings: readonly Finding[]): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const f of findings) {
    if (f.ruleId !== WORK_CAPPED_RULE) continue;
    for (const e of f.evidence) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  }
  return kinds;
}

export const handler = middy(reportingFailures(main))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
