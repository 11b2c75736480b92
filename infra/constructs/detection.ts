import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { Env } from '#shared/metrics';
import type { Config } from '#shared/model/config';
import { detectionRules } from '../patterns';
import type { SentinelFunction } from './functions';

export interface DetectionProps {
  config: Config;
  /** The session-events function; its DLQ also holds events EventBridge could not deliver. */
  sessionEvents: SentinelFunction;
  /** The stack key: disabling or deleting it is tampering too. */
  key: kms.IKey;
}

/**
 * CloudTrail-driven detection on the default bus: session API calls, preference-document changes
 * and tampering with the monitor (the calls the rule catalogue routes), all delivered to session-events
 * with retries and a DLQ.
 */
export class Detection extends Construct {
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: DetectionProps) {
    super(scope, id);
    const { config, sessionEvents } = props;
    const prefix = config.resourcePrefix;
    // Routing matches the key by id and ARN; classification needs to know it too (a key ARN names its id).
    sessionEvents.setEnv(Env.OwnKeys, props.key.keyArn);
    // An existing session log group is routed by name (ownLogGroupPrefixes); classification needs it too.
    if (config.stack.sessionLogGroupName !== null)
      sessionEvents.setEnv(Env.OwnLogGroups, config.stack.sessionLogGroupName);
    const target = new targets.LambdaFunction(sessionEvents.fn, {
      deadLetterQueue: sessionEvents.dlq,
      retryAttempts: 8,
      maxEventAge: Duration.hours(24),
    });
    // One rule per service and resource filter, generated from the catalogue's routes.
    for (const { id: ruleId, name, description, pattern } of detectionRules(config, [
      props.key.keyId,
      props.key.keyArn,
    ])) {
      const rule = new events.Rule(this, ruleId, {
        ruleName: `${prefix}-${name}`,
        description,
        eventPattern: pattern as events.EventPattern,
        targets: [target],
      });
      this.rules.push(rule);
    }
  }
}
