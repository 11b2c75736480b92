import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { ComprehendPiiApi, createComprehendClient } from '#shared/aws/comprehend';
import {
  DynamoCarryOverStore,
  DynamoSessionStore,
  DynamoSuppressionStore,
  DynamoTranscriptWatch,
} from '#shared/aws/state';
import { describeError, redact } from '#shared/errors';
import { Dimension, Env, Metric } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import type { PiiStats } from '#shared/pii/types';
import { type PiiMode, piiScanner, transcriptDetectors } from '#shared/pipeline/engine';
import { type ChunkDeps, evidenceKinds, processChunk } from '#shared/pipeline/transcript';
import { readSubscription } from '#shared/transcript/read';
import type { ItemError, TranscriptCarry } from '#shared/transcript/types';
import { readEnv } from '../commons/env';
import { ref } from '../commons/log-values';
import { count, countFindings, countWeighted, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { ReportedError, rejectInput, reportingFailures } from '../commons/report';

/** Transcripts: CloudWatch Logs subscription → the transcript pipeline (shared/pipeline) → the bus. */
const env = readEnv([Env.TableName, Env.BusName, Env.PiiMode]);
const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
const deps: ChunkDeps = {
  config: env.config,
  sessions: new DynamoSessionStore(table),
  carry: new DynamoCarryOverStore<TranscriptCarry>({
    ...table,
    onOversize: (sessionId, bytes) =>
      logger.warn('carry-over state too large: dropped', { sessionId: ref(sessionId), bytes }),
  }),
  // The same engine as the CLI: one assembly of detectors and of the PII scanner for a mode.
  pii: piiScanner(
    env.PII_MODE as PiiMode,
    env.config,
    env.PII_MODE === 'comprehend'
      ? new ComprehendPiiApi(tracer.captureAWSv3Client(createComprehendClient()))
      : undefined,
  ),
  detectors: transcriptDetectors(),
  // "Suppress similar" from Slack; the findings stay on the bus, marked, and the notifier skips them.
  suppressions: new DynamoSuppressionStore(table),
  onSuppressionError: (e) => {
    logger.warn('suppressions not checked: finding published unmarked', { problem: describeError(e) });
    count(Metric.Failed);
  },
  // The missing-transcript timer learns here which sessions, accounts and Regions stream transcripts.
  ...(env.config.missingTranscript.enabled ? { watch: new DynamoTranscriptWatch(table) } : {}),
};
/** Comprehend cost accounting, when the scanner calls Comprehend. */
const comprehend = deps.pii && 'stats' in deps.pii ? (deps.pii as { stats: PiiStats }).stats : undefined;
useFunctionDimension('transcripts');

/** Item problems logged one line each up to this many per delivery; the rest are counted in a summary. */
const MAX_ITEM_LOGS = 20;

/**
 * One subscription delivery (all log events of one stream). Unreadable log events are reported; the
 * others are scanned and published all the same, then the delivery fails so the platform retries it
 * (and finally dead-letters it): the retry skips the good events (their ids are in the carry-over) and
 * publishes nothing twice (finding ids are deterministic). A delivery of CloudTrail records (the
 * trail's log group subscribed by mistake) is no session log: reported once as misrouted, skipped.
 */
async function main(event: unknown): Promise<void> {
  const read = readSubscription(event, 'subscription');
  if (read.cloudTrail) {
    // A trail's log group subscribed to this function: its records are no transcript (scanning them
    // would report the caller's key id and ARN as leaks). Skipped, not retried: it would fail again.
    logger.warn('misrouted delivery skipped: CloudTrail records, not session logs', {
      logEvents: read.cloudTrail.length,
    });
    count(Metric.MisroutedDeliveries);
    return;
  }
  if (read.chunks.length === 0 && read.errors.length > 0) {
    // Nothing usable: fail so the payload reaches the dead-letter queue, never dropped silently.
    const more = read.errors.length > 1 ? ` (+${read.errors.length - 1} more)` : '';
    throw rejectInput('unusable subscription payload', `${read.errors[0]?.message ?? 'unreadable'}${more}`);
  }
  reportItems('session-log item skipped', read.errors);
  const before = comprehend ? { ...comprehend } : undefined;
  const published: Finding[] = [];
  const publish = async (findings: Finding[]) => {
    await bus.publish(findings);
    for (const f of findings) published.push(f);
  };
  let retry = false;
  const region = process.env.AWS_REGION;
  const scoped: ChunkDeps = {
    ...deps,
    scope: { ...(read.account ? { account: read.account } : {}), ...(region ? { region } : {}) },
  };
  try {
    for (const chunk of read.chunks) {
      const result = await processChunk(chunk, scoped, publish);
      reportItems('transcript scan problem', result.errors, ref(chunk.sessionId));
      retry ||= result.retry === true;
      count(Metric.Processed);
    }
  } finally {
    if (comprehend && before) {
      count(Metric.ComprehendCharacters, comprehend.characters - before.characters);
      count(Metric.ComprehendUnits, comprehend.units - before.units);
    }
    if (published.length) countPublished(published);
  }
  if (retry) {
    // The findings are out (stable ids: the retry does not duplicate them); the retry scans the rest.
    count(Metric.Failed);
    throw new ReportedError('personal-data scan or carry-over failed: delivery to be retried', 'ScanRetry');
  }
  if (read.errors.length) {
    throw new ReportedError(
      `${read.errors.length} log event(s) of the delivery unusable, the rest processed`,
      'MalformedEvent',
    );
  }
}

function countPublished(findings: readonly Finding[]): void {
  countFindings(findings);
  const kinds = evidenceKinds(findings);
  countWeighted(Metric.PiiEntities, Dimension.EntityType, kinds.pii);
  countWeighted(Metric.Secrets, Dimension.SecretKind, kinds.secret);
  countWeighted(Metric.ScanWorkCapped, Dimension.CapKind, kinds.capped);
  logger.info('findings published', {
    findings: findings.map((f) => ({
      id: ref(f.id),
      ruleId: ref(f.ruleId),
      severity: f.severity,
      sessionId: ref(f.sessionId),
    })),
  });
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

export const handler = middy(reportingFailures(main))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
