import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Config } from '#shared/model/config';
import { findingsPattern, severitiesAtLeast } from '../patterns';
import type { SentinelFunction } from './functions';

/** An encrypted topic that refuses plain-HTTP publishing. */
export function encryptedTopic(scope: Construct, id: string, topicName: string, key: kms.IKey): sns.Topic {
  return new sns.Topic(scope, id, { topicName, displayName: topicName, masterKey: key, enforceSSL: true });
}

/** Deliver matching events to a function, with retries and the function's DLQ for what still fails. */
export function lambdaTarget(fn: SentinelFunction): targets.LambdaFunction {
  return new targets.LambdaFunction(fn.fn, {
    deadLetterQueue: fn.dlq,
    retryAttempts: 8,
    maxEventAge: Duration.hours(24),
  });
}

export interface FindingsBusProps {
  config: Config;
  key: kms.IKey;
}

/**
 * The custom findings bus with an archive for replay, and the findings log group (the dashboard's
 * Logs Insights source) fed by a rule. EventBridge writes to a log group through a resource policy,
 * added here directly instead of through a custom-resource Lambda.
 */
export class FindingsBus extends Construct {
  readonly bus: events.EventBus;
  /** The bus name as a literal (rule names are derived from it). */
  readonly busName: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FindingsBusProps) {
    super(scope, id);
    const prefix = props.config.resourcePrefix;
    this.busName = `${prefix}-findings`;
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: this.busName });
    this.bus.archive('Archive', {
      archiveName: `${prefix}-findings`,
      description: 'Every finding, for replay',
      eventPattern: findingsPattern() as events.EventPattern,
      retention: Duration.days(props.config.stack.logRetentionDays),
    });

    // EventBridge only writes to log groups under /aws/events/.
    this.logGroup = new logs.LogGroup(this, 'FindingsLog', {
      logGroupName: `/aws/events/${prefix}-findings`,
      retention: props.config.stack.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new logs.ResourcePolicy(this, 'FindingsLogPolicy', {
      resourcePolicyName: `${prefix}-findings-log`,
      policyStatements: [
        new iam.PolicyStatement({
          sid: 'EventBridgeWritesFindings',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
      ],
    });
    const logGroupTarget: events.IRuleTarget = {
      bind: () => ({
        arn: Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      }),
    };
    this.addRule(
      'ToLog',
      'to-log',
      'Every finding into the findings log group',
      findingsPattern(),
      logGroupTarget,
    );
  }

  addRule(
    id: string,
    name: string,
    description: string,
    pattern: object,
    target: events.IRuleTarget,
  ): events.Rule {
    return new events.Rule(this, id, {
      eventBus: this.bus,
      ruleName: `${this.busName}-${name}`,
      description,
      eventPattern: pattern as events.EventPattern,
      targets: [target],
    });
  }
}

export interface AlertingProps {
  config: Config;
  key: kms.IKey;
  findings: FindingsBus;
  notifier: SentinelFunction;
  /** Present when alerts.slackWebhookSecretName is set. */
  slack?: SentinelFunction;
}

/**
 * Findings → notifier → SNS alert topic → e-mail (filtered by severity) and Slack. Alarms about the
 * monitor itself go to a separate ops topic: CloudWatch alarm messages carry no severity attribute,
 * so the severity filter policies of the alert subscriptions would drop them.
 */
export class Alerting extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const { config, key } = props;
    this.topic = encryptedTopic(this, 'Topic', `${config.resourcePrefix}-alerts`, key);
    const filterPolicy = {
      severity: sns.SubscriptionFilter.stringFilter({
        allowlist: severitiesAtLeast(config.alerts.minSeverity),
      }),
    };
    for (const email of config.alerts.emails) {
      this.topic.addSubscription(new subs.EmailSubscription(email, { filterPolicy }));
    }
    if (props.slack)
      this.topic.addSubscription(new subs.LambdaSubscription(props.slack.fn, { filterPolicy }));

    props.notifier.useTopic(this.topic, key);
    props.findings.addRule(
      'ToNotifier',
      'to-notifier',
      'Every finding to the notifier',
      findingsPattern(),
      lambdaTarget(props.notifier),
    );
  }
}

/** Ops topic for the alarms of the functions; the same e-mail addresses, unfiltered. */
export function opsTopic(scope: Construct, config: Config, key: kms.IKey): sns.Topic {
  const topic = encryptedTopic(scope, 'OpsTopic', `${config.resourcePrefix}-ops`, key);
  for (const email of config.alerts.emails) topic.addSubscription(new subs.EmailSubscription(email));
  return topic;
}
