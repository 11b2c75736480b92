import { ArnFormat, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LambdaDestination } from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import type { Config } from '#shared/model/config';
import { nagEnv } from '../nag';
import type { SentinelFunction } from './functions';

export interface TranscriptsProps {
  config: Config;
  key: kms.IKey;
  transcripts: SentinelFunction;
}

/**
 * The session log group (created KMS-encrypted, or an existing one by name), the subscription that
 * streams it to the transcripts function, and the managed policy instance roles attach so the SSM
 * agent can stream into that group.
 */
export class Transcripts extends Construct {
  readonly logGroup: logs.ILogGroup;
  readonly logGroupName: string;
  readonly agentPolicy: iam.ManagedPolicy;
  /** True when the group is ours (and encrypted with our key). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: TranscriptsProps) {
    super(scope, id);
    const { config, key } = props;
    const prefix = config.resourcePrefix;
    const existing = config.stack.sessionLogGroupName;
    this.created = existing === null;
    this.logGroupName = existing ?? `/${prefix}/sessions`;
    this.logGroup =
      existing === null
        ? new logs.LogGroup(this, 'SessionLogs', {
            logGroupName: this.logGroupName,
            retention: config.stack.logRetentionDays as logs.RetentionDays,
            encryptionKey: key,
            // Session transcripts are audit evidence: they outlive the stack (README: clean-up).
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : logs.LogGroup.fromLogGroupName(this, 'SessionLogs', existing);

    new logs.SubscriptionFilter(this, 'Subscription', {
      logGroup: this.logGroup,
      filterName: `${prefix}-transcripts`,
      filterPattern: logs.FilterPattern.allEvents(),
      destination: new LambdaDestination(props.transcripts.fn),
    });

    const stack = Stack.of(this);
    const groupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: this.logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const statements = [
      new iam.PolicyStatement({
        sid: 'StreamSessionLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [groupArn, `${groupArn}:log-stream:*`],
      }),
      new iam.PolicyStatement({
        sid: 'FindSessionLogGroup',
        actions: ['logs:DescribeLogGroups'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    ];
    if (this.created) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'UseSessionKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [key.keyArn],
        }),
      );
    }
    this.agentPolicy = new iam.ManagedPolicy(this, 'AgentPolicy', {
      // IAM names are global: one policy per regional stack.
      managedPolicyName: `${prefix}-session-logging-${stack.region}`,
      description:
        'Attach to EC2 instance roles: lets the SSM agent stream session logs to the monitored group',
      statements,
    });
    const env = nagEnv(this);
    Validations.of(this.agentPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${env.region}:${env.account}:log-group:${this.logGroupName}:log-stream:*]`,
      reason:
        'Log stream names are session ids chosen at session start; scoped to the one session log group.',
    });
    Validations.of(this.agentPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:${env.region}:${env.account}:log-group:*]`,
      reason:
        'logs:DescribeLogGroups supports no resource-level scoping; it only lists group names and settings.',
    });
  }
}
