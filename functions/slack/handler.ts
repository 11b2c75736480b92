import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import { getCredential, webhookUrlFrom } from '../../shared/aws/params';
import { postWebhook } from '../../shared/aws/slack-webhook';
import { Dimension, Env, Metric } from '../../shared/metrics';
import { ruleById } from '../../shared/rules/index';
import { readEnv } from '../commons/env';
import { count, countBy, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';
import { postRecord, type SlackDeps } from './post';

/** Slack: SNS alert → Block Kit → incoming webhook. Only the credential's reference is ever logged. */
const env = readEnv([Env.SlackWebhookSecret]);
useFunctionDimension('slack');

async function main(event: SNSEvent, context: Context): Promise<void> {
  const deps: SlackDeps = {
    webhookUrl: async (refresh) =>
      webhookUrlFrom(await getCredential(env.SLACK_WEBHOOK_SECRET, { forceFetch: refresh })),
    post: (url, message) =>
      postWebhook(url, message, { remainingMs: () => context.getRemainingTimeInMillis() }),
    ruleById,
  };
  for (const record of event.Records ?? []) {
    const messageId = record.Sns?.MessageId;
    let outcome: Awaited<ReturnType<typeof postRecord>>;
    try {
      outcome = await postRecord(record, deps);
    } catch (err) {
      // Retryable (5xx, 429, timeout) or the credential could not be read: the platform retries, then DLQ.
      // Our own errors carry no secret; SDK and fetch messages are not echoed (they may quote input).
      const own = err instanceof Error && (err.name === 'WebhookError' || err.name === 'CredentialError');
      logger.error('slack delivery failed', {
        messageId,
        error: err instanceof Error ? err.name : 'unknown',
        ...(own ? { reason: (err as Error).message } : {}),
      });
      count(Metric.Failed);
      throw err;
    }
    if (outcome.status === 'invalid') {
      logger.error('malformed alert record', { messageId, problem: outcome.error });
      count(Metric.Failed);
      continue;
    }
    const ids = { messageId, findingId: outcome.finding.id, ruleId: outcome.finding.ruleId };
    if (outcome.status === 'refused') {
      // Slack will refuse the same payload again: report it once instead of cycling to the DLQ.
      logger.error('slack refused alert', { ...ids, status: outcome.httpStatus, error: outcome.error });
      count(Metric.Failed);
      continue;
    }
    logger.info('alert posted to slack', { ...ids, attempts: outcome.attempts });
    countBy(Metric.AlertsPublished, Dimension.Severity, [outcome.finding.severity]);
    count(Metric.Processed);
  }
}

export const handler = middy(main)
  .use(injectLambdaContext(logger, { clearState: true }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
