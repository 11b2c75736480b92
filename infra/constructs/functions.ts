import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { parseCredentialRef } from '#shared/aws/params';
import { Env, METRICS_NAMESPACE } from '#shared/metrics';
import type { Config } from '#shared/model/config';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Item actions of the state adapter and Powertools idempotency: no Scan, Query or batch. */
const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
/** What a caller needs to read and write data protected by a customer key (no wildcard actions). */
const KEY_DATA_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

/** Lets the ES module bundle load CommonJS dependencies that call require(). */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __sentinelCreateRequire } from 'node:module';" +
  'const require = __sentinelCreateRequire(import.meta.url);';

type EnvName = (typeof Env)[keyof typeof Env];

export interface FunctionsProps {
  config: Config;
  /** Encrypts every function log group. */
  key: kms.IKey;
  /** Receives the Errors, Throttles and DLQ-depth alarms. */
  alarmTopic: sns.ITopic;
}

export interface SentinelFunctionOptions {
  /** Timeout in seconds (default 30). */
  timeoutSeconds?: number;
  memoryMB?: number;
  /** Reserved concurrency: caps the load this function puts on a downstream service. */
  reservedConcurrency?: number;
  /** Entry file relative to the repository root (default functions/<name>/handler.ts). */
  entry?: string;
}

/**
 * Every Lambda of the stack is made here, so they share one set of defaults: NodejsFunction bundled
 * by the local esbuild (ESM, minified, source maps), ARM64, Node 24, JSON logs into an explicit
 * encrypted log group, X-Ray tracing, an SQS dead-letter queue and alarms on errors, throttles and
 * DLQ depth. Each function has its own role that starts with nothing but its own log group.
 */
export class Functions extends Construct {
  readonly all: SentinelFunction[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: FunctionsProps,
  ) {
    super(scope, id);
  }

  create(name: string, options: SentinelFunctionOptions = {}): SentinelFunction {
    const fn = new SentinelFunction(this, name, { ...this.props, name, ...options });
    this.all.push(fn);
    return fn;
  }
}

interface SentinelFunctionProps extends FunctionsProps, SentinelFunctionOptions {
  name: string;
}

export class SentinelFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly dlq: sqs.Queue;
  readonly logGroup: logs.LogGroup;
  readonly alarms: cloudwatch.Alarm[];
  readonly functionName: string;

  constructor(scope: Construct, id: string, props: SentinelFunctionProps) {
    super(scope, id);
    const prefix = props.config.resourcePrefix;
    this.functionName = `${prefix}-${props.name}`;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${this.functionName}`,
      retention: props.config.stack.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${this.functionName}: only the actions this function calls`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.dlq = new sqs.Queue(this, 'Dlq', {
      queueName: `${this.functionName}-dlq`,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    this.fn = new NodejsFunction(this, 'Function', {
      functionName: this.functionName,
      entry: join(REPO_ROOT, props.entry ?? `functions/${props.name}/handler.ts`),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMB ?? 256,
      timeout: Duration.seconds(props.timeoutSeconds ?? 30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      deadLetterQueue: this.dlq,
      retryAttempts: 2,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        [Env.Config]: configForFunctions(props.config),
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // The nodejs24.x runtime ships AWS SDK v3: leaving it out keeps bundles small and cold starts
        // near the floor (npm run bench: handlers.*.bundleKB / importRatio).
        externalModules: ['@aws-sdk/*'],
      },
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });

    this.alarms = this.createAlarms(props.alarmTopic);
  }

  /** Read and write items of the state table (and use its key); sets TABLE_NAME. */
  useTable(table: dynamodb.ITable, key: kms.IKey): this {
    return this.connect(Env.TableName, table.tableName, () => {
      table.grant(this.role, ...TABLE_ACTIONS);
      key.grant(this.role, ...KEY_DATA_ACTIONS);
    });
  }

  /** Put findings on a bus; sets BUS_NAME. */
  useBus(bus: events.IEventBus): this {
    return this.connect(Env.BusName, bus.eventBusName, () => bus.grantPutEventsTo(this.role));
  }

  /** Publish to an encrypted topic; sets TOPIC_ARN. */
  useTopic(topic: sns.ITopic, key: kms.IKey): this {
    return this.connect(Env.TopicArn, topic.topicArn, () => {
      this.allow('Publish', ['sns:Publish'], [topic.topicArn]);
      key.grant(this.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    });
  }

  /** Read exactly one secret (Secrets Manager) or SecureString parameter (SSM); sets SLACK_WEBHOOK_SECRET. */
  useSecret(ref: SecretRef): this {
    return this.connect(Env.SlackWebhookSecret, ref.name, () => {
      this.allow('ReadSecret', [ref.action], [ref.arn]);
    });
  }

  /** Any other env var, e.g. PII_MODE. */
  setEnv(name: EnvName, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /** An inline statement on this function's role. */
  allow(sid: string, actions: string[], resources: string[]): this {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid, actions, resources }));
    return this;
  }

  /**
   * For actions that support no resource-level permissions (IAM requires Resource "*"): the
   * statement and its cdk-nag acknowledgment, with the reason, are added together.
   */
  allowOnAnyResource(sid: string, actions: string[], why: string): this {
    this.allow(sid, actions, ['*']);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `${actions.join(', ')} support no resource-level permissions (${why}); X-Ray tracing neither.`,
    });
    return this;
  }

  /** Grants a permission and sets the env var that tells the handler about it, in one step. */
  private connect(env: EnvName, value: string, grant: () => void): this {
    grant();
    this.fn.addEnvironment(env, value);
    return this;
  }

  private createAlarms(topic: sns.ITopic): cloudwatch.Alarm[] {
    const period = Duration.minutes(5);
    const specs: Array<[string, cloudwatch.IMetric, string]> = [
      ['Errors', this.fn.metricErrors({ period, statistic: 'Sum' }), 'invocations failed'],
      ['Throttles', this.fn.metricThrottles({ period, statistic: 'Sum' }), 'invocations were throttled'],
      [
        'DlqDepth',
        this.dlq.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        'events are waiting in the dead-letter queue',
      ],
    ];
    return specs.map(([id, metric, what]) => {
      const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
        alarmName: `${this.functionName}-${id}`,
        alarmDescription: `${this.functionName}: ${what}. See the README "Operations" section.`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(topic));
      return alarm;
    });
  }
}

/** A Slack webhook held either in Secrets Manager or as an SSM SecureString parameter. */
export interface SecretRef {
  name: string;
  arn: string;
  action: 'secretsmanager:GetSecretValue' | 'ssm:GetParameter';
}

/**
 * Resolve the configured reference the way the handler does (shared/aws/params.ts): `ssm:<name>`,
 * `/path` or an SSM ARN is a parameter, anything else a Secrets Manager name or ARN (a name gets the
 * 6-character suffix Secrets Manager appends).
 */
export function secretRef(scope: Construct, ref: string): SecretRef {
  const stack = Stack.of(scope);
  const { store, name } = parseCredentialRef(ref);
  if (store === 'ssm') {
    const arn = name.startsWith('arn:')
      ? name
      : stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
    return { name: ref, action: 'ssm:GetParameter', arn };
  }
  const arn = name.startsWith('arn:')
    ? name
    : stack.formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${name}-??????`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
  return { name: ref, action: 'secretsmanager:GetSecretValue', arn };
}

/** What the handlers parse from SENTINEL_CONFIG: everything but the stack-only keys. */
export function configForFunctions(config: Config): string {
  const { stack: _stack, ...runtime } = config;
  return JSON.stringify(runtime);
}
