import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { getCredential } from '#shared/aws/params';
import { postWebhook } from '#shared/aws/slack-webhook';
import { sessionControlsByRegion } from '#shared/aws/ssm';
import {
  DynamoNonceStore,
  DynamoSessionStore,
  DynamoSuppressionStore,
  DynamoTerminationGuard,
} from '#shared/aws/state';
import { describeError, redact } from '#shared/errors';
import { stableId } from '#shared/ids';
import { Dimension, Env, Metric } from '#shared/metrics';
import { type ActionDeps, handleInteraction, parseInteraction } from '#shared/slack/actions';
import { MAX_SKEW_S, verifySlackRequest } from '#shared/slack/verify';
import { readEnv } from '../commons/env';
import { remaskFinding } from '../commons/findings';
import { ref } from '../commons/log-values';
import { count, countBy, countFindings, useFunctionDimension } from '../commons/metrics';
import { logger, metrics, tracer } from '../commons/powertools';

/**
 * Slack actions: the alert buttons' requests, through a Lambda function URL. The signature is checked
 * before anything else reads the request; a signature is accepted once (replay protection); then the
 * payload is parsed, the action carried out (terminations through the responder's guardrails) and its
 * outcome posted to the alert's thread. Never logged: the signing secret, the body, the signature.
 */
const env = readEnv([Env.TableName, Env.BusName, Env.SlackSigningSecret]);
/** The signing secret's reference: a Secrets Manager name or ARN. */
const signingSecretRef = env.SLACK_SIGNING_SECRET;

/** Largest body looked at; a block_actions payload is a few KiB. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A signature stays claimed a minute past the time it could still be accepted. */
const NONCE_MARGIN_S = 60;

const table = { client: tracer.captureAWSv3Client(new DynamoDBClient({})), tableName: env.TABLE_NAME };
const sessions = new DynamoSessionStore(table);
const guard = new DynamoTerminationGuard(table);
const nonces = new DynamoNonceStore(table);
const suppressions = new DynamoSuppressionStore(table);
const bus = new EventBridgeFindingPublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: env.BUS_NAME,
});
/** Sessions live in the Region of their finding (forwarding regions share the home responder). */
const controlFor = sessionControlsByRegion((c) => tracer.captureAWSv3Client(c));
useFunctionDimension('slack-actions');

type Response = APIGatewayProxyStructuredResultV2;

function json(statusCode: number, body?: Record<string, string>): Response {
  return body
    ? { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
    : { statusCode, body: '' };
}

function refused(statusCode: number, reason: string, error: string): Response {
  logger.warn('slack request refused', { reason });
  countBy(Metric.SlackActionsRefused, Dimension.Reason, [reason]);
  return json(statusCode, { error });
}

/** The raw body bytes, or undefined when larger than the cap (checked before decoding in full). */
function bodyOf(event: APIGatewayProxyEventV2): Buffer | undefined {
  const text = typeof event.body === 'string' ? event.body : '';
  const encodedMax = event.isBase64Encoded ? Math.ceil(MAX_BODY_BYTES / 3) * 4 + 4 : MAX_BODY_BYTES * 4;
  if (text.length > encodedMax) return undefined;
  const bytes = Buffer.from(text, event.isBase64Encoded ? 'base64' : 'utf8');
  return bytes.length > MAX_BODY_BYTES ? undefined : bytes;
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const value = event.headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

async function main(event: APIGatewayProxyEventV2, context: Context): Promise<Response> {
  if (event?.requestContext?.http?.method !== 'POST') return refused(405, 'method', 'method not allowed');
  const body = bodyOf(event);
  if (!body) return refused(413, 'too-large', 'payload too large');

  const signature = header(event, 'x-slack-signature');
  const verified = verifySlackRequest({
    signingSecret: await getCredential(signingSecretRef),
    timestamp: header(event, 'x-slack-request-timestamp'),
    signature,
    rawBody: body,
    nowMs: Date.now(),
  });
  if (!verified.ok) return refused(401, verified.reason, 'unauthorized');
  // Verified means `signature` is set; a second request with it is a replay, whatever its body.
  const expiresAtMs = (verified.timestampS + MAX_SKEW_S + NONCE_MARGIN_S) * 1000;
  if (!(await nonces.claim(signature as string, expiresAtMs)))
    return refused(401, 'replayed', 'unauthorized');

  const parsed = parseInteraction(body.toString('utf8'));
  if (!parsed.ok) {
    logger.warn('malformed slack interaction', { problem: redact(parsed.error) });
    return refused(400, 'malformed', 'bad request');
  }
  const { interaction } = parsed;
  const deps: ActionDeps = {
    config: env.config,
    guard,
    sessions,
    control: controlFor,
    suppressions,
    publish: async (findings) => {
      const out = findings.map(remaskFinding);
      await bus.publish(out);
      countFindings(out);
    },
    reply: async (url, message) => {
      const result = await postWebhook(url, message, {
        maxAttempts: 2,
        timeoutMs: 2000,
        remainingMs: () => context.getRemainingTimeInMillis(),
      });
      if (!result.ok) throw new Error(`response_url refused the reply (HTTP ${result.status})`);
    },
  };
  const result = await handleInteraction(interaction, deps);
  logger.info('slack action', {
    action: result.action,
    outcome: result.outcome,
    // The user as a short hash: enough to tell presses apart, not a directory lookup.
    user: stableId('slack-user', interaction.userId).slice(0, 16),
    findingId: ref(interaction.facts.f),
    ruleId: ref(interaction.facts.r),
    sessionId: ref(interaction.facts.s),
    published: result.published,
    replied: result.replied,
  });
  for (const err of result.errors) logger.error('slack action step failed', { error: describeError(err) });
  if (result.outcome === 'terminated') count(Metric.Terminations);
  if (result.outcome === 'dry-run') count(Metric.TerminationsDryRun);
  if (result.outcome === 'not-allowed')
    countBy(Metric.SlackActionsRefused, Dimension.Reason, ['not-allowed']);
  count(result.errors.length ? Metric.Failed : Metric.Processed);
  // Slack only needs a 2xx within 3 s; what happened is in the thread.
  return json(200);
}

/** Last line of defence: an unexpected error (the secret unreadable, a store down) is a 500 quoting nothing. */
async function guarded(event: APIGatewayProxyEventV2, context: Context): Promise<Response> {
  try {
    return await main(event, context);
  } catch (err) {
    logger.error('slack action failed', { error: describeError(err) });
    count(Metric.Failed);
    return json(500, { error: 'internal error' });
  }
}

export const handler = middy(guarded)
  .use(injectLambdaContext(logger, { clearState: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(captureLambdaHandler(tracer));
