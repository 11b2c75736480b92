import { CfnOutput, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { Env } from '#shared/metrics';
import type { Config } from '#shared/model/config';
import { type Functions, type SentinelFunction, secretRef } from './functions';
import { allowSessionTermination } from './response';

/** Bounds what a flood of requests (signed or not) can cost: Slack clicks are rare and quick. */
export const SLACK_ACTIONS_CONCURRENCY = 5;
/** Slack waits 3 s for the answer; the outcome goes to response_url, so a long run only wastes money. */
const SLACK_ACTIONS_TIMEOUT_SECONDS = 15;

export interface SlackActionsProps {
  config: Config;
  functions: Functions;
  /** Secrets Manager name or ARN of the Slack app's signing secret (alerts.slackActions.signingSecretName). */
  signingSecretName: string;
  /** The state table: termination guard, hourly cap, nonces and suppressions. */
  table: dynamodb.ITable;
  key: kms.IKey;
  /** The findings bus the outcome of a button goes to. */
  bus: events.IEventBus;
}

/**
 * The endpoint of the buttons on Slack alerts (Terminate session, Acknowledge, Suppress similar),
 * created only in the home stack and only when alerts.slackActions.signingSecretName is set.
 *
 * Slack posts interaction payloads to a Lambda function URL with auth type NONE: Slack cannot sign
 * a request with SigV4, so IAM cannot authenticate it. The handler checks Slack's HMAC signature
 * (signing secret), the timestamp window and the one-time nonce before it reads anything else.
 *
 * The factory's dead-letter queue and retries apply to asynchronous invocations only; this function
 * is invoked synchronously through its URL alone (no rule, no async caller), so they stay inert and
 * its DlqDepth alarm silent; the Errors and Throttles alarms do apply.
 */
export class SlackActions extends Construct {
  readonly handler: SentinelFunction;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: SlackActionsProps) {
    super(scope, id);
    const { config, table, key, bus } = props;
    const signing = secretRef(this, props.signingSecretName);
    this.handler = props.functions
      .create('slack-actions', {
        timeoutSeconds: SLACK_ACTIONS_TIMEOUT_SECONDS,
        // stack.slackConcurrency null: the account cannot reserve any (new accounts, limit 10).
        reservedConcurrency: config.stack.slackConcurrency === null ? undefined : SLACK_ACTIONS_CONCURRENCY,
      })
      .useTable(table, key)
      .useBus(bus)
      // Not useSecret: that one names the webhook (SLACK_WEBHOOK_SECRET); this is the signing secret.
      .allow('ReadSigningSecret', [signing.action], [signing.arn])
      .setEnv(Env.SlackSigningSecret, signing.name);
    // Only listed Slack users may terminate: with nobody listed the function gets no SSM permission.
    if (config.alerts.slackActions.terminateUserIds.length > 0) this.allowTerminate(config);

    this.url = this.handler.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    new CfnOutput(Stack.of(this), 'SlackInteractivityUrl', {
      value: this.url.url,
      description: 'Request URL of the Slack app (Interactivity & Shortcuts)',
    });
  }

  /** ssm:TerminateSession and ssm:DescribeSessions exactly as the responder has them (response.ts). */
  private allowTerminate(config: Config): void {
    allowSessionTermination(this, this.handler, config, 'The session id arrives in the Slack button');
  }
}
