import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { getCredential, webhookUrlFrom } from '#shared/aws/params';
import { postWebhook } from '#shared/aws/slack-webhook';
import { redact } from '#shared/errors';
import { Dimension, Env, Metric } from '#shared/metrics';
import { ruleById } from '#shared/rules/index';
import { readEnv } from '../commons/env';
import { ref, uuidRef } from '../commons/log-values';
import { count, countBy, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { ReportedError, rejectInput, reportFailure, reportingFailures } from '../commons/report';
import { postRecord, type SlackDeps } from './post';

/** Slack: SNS alert (finding or incident digest) → Block Kit → incoming webhook. Only the credential's reference is ever logged. */
const env = readEnv([Env.SlackWebhookSecret]);
const { slackActions } = env.config.alerts;
useFunctionDimension('slack');

/** The records of an SNS event, or a reported error to throw when the event is not one. */
function recordsOf(event: unknown): unknown[] {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw rejectInput('malformed SNS event', `(event): expected an object, got ${kindOf(event)}`);
  }
  const records = (event as { Records?: unknown }).Records;
  if (!Array.isArray(records)) {
    throw rejectInput('malformed SNS event', `Records: expected an array, got ${kindOf(records)}`);
  }
  if (records.length === 0) throw rejectInput('malformed SNS event', 'Records: empty');
  return records;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}

/**
 * SNS invokes the function asynchronously with one record. A malformed event or record is reported
 * (log + `Failed`) and thrown, so the platform retries and then dead-letters it, like the notifier
 * and the responder do. In a batch where other records were posted, a malformed one is only
 * reported: failing the invocation would post the good ones again on the retry.
 */
async function main(event: unknown, context: Context): Promise<void> {
  const records = recordsOf(event);
  const deps: SlackDeps = {
    webhookUrl: async (refresh) =>
      webhookUrlFrom(await getCredential(env.SLACK_WEBHOOK_SECRET, { forceFetch: refresh })),
    post: (url, message) =>
      postWebhook(url, message, { remainingMs: () => context.getRemainingTimeInMillis() }),
    ruleById,
    // Buttons only when the action endpoint exists (the stack deploys it with the signing secret).
    ...(slackActions.signingSecretName ? { actions: { suppressHours: slackActions.suppressHours } } : {}),
  };
  let posted = 0;
  let malformed = 0;
  for (const [index, record] of records.entries()) {
    const sns = typeof record === 'object' && record !== null ? (record as { Sns?: unknown }).Sns : undefined;
    const messageId = uuidRef(
      typeof sns === 'object' && sns !== null ? (sns as { MessageId?: unknown }).MessageId : undefined,
    );
    let outcome: Awaited<ReturnType<typeof postRecord>>;
    try {
      outcome = await postRecord(record, deps);
    } catch (err) {
      // Retryable (5xx, 429, timeout) or the credential could not be read: the platform retries, then DLQ.
      throw reportFailure('slack delivery failed', err, { messageId });
    }
    if (outcome.status === 'invalid') {
      logger.error('malformed alert record', { messageId, index, problem: redact(outcome.error) });
      count(Metric.Failed);
      malformed++;
      continue;
    }
    const { item } = outcome;
    // References only: the ids say which alert this was without carrying a value.
    const ids =
      item.kind === 'digest'
        ? { messageId, digestId: ref(item.digest.id) }
        : { messageId, findingId: ref(item.finding.id), ruleId: ref(item.finding.ruleId) };
    if (outcome.status === 'refused') {
      // Slack will refuse the same payload again: report it once instead of cycling to the DLQ.
      logger.error('slack refused alert', {
        ...ids,
        status: outcome.httpStatus,
        error: redact(outcome.error),
      });
      count(Metric.Failed);
      continue;
    }
    posted++;
    const alertKind = item.kind === 'digest' ? 'digest' : (item.note?.kind ?? 'single');
    logger.info('alert posted to slack', { ...ids, alertKind, attempts: outcome.attempts });
    countBy(Metric.AlertsPublished, Dimension.Severity, [
      item.kind === 'digest' ? item.digest.severity : item.finding.severity,
    ]);
    countBy(Metric.AlertsPublished, Dimension.AlertKind, [alertKind]);
    count(Metric.Processed);
  }
  if (malformed > 0 && posted === 0) {
    throw new ReportedError(`${malformed} of ${records.length} SNS record(s) malformed`, 'MalformedEvent');
  }
}

export const handler = middy(reportingFailures(main))
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
