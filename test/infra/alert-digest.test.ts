import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_RATE_MINUTES } from '#infra/constructs/alert-digest';
import { Metric } from '#shared/metrics';
import {
  actionsOf,
  logicalId,
  props,
  removeSynthOutputs,
  resources,
  type Statement,
  sortedActions,
  statementsByFunction,
  synth,
} from './synth';

afterAll(removeSynthOutputs);

const DIGEST = 'ssm-sentinel-alert-digest';
const REGIONS = { stack: { homeRegion: 'eu-central-1', regions: ['eu-central-1', 'eu-west-1'] } };
const FULL = {
  ...REGIONS,
  autoTerminate: { enabled: true },
  alerts: { emails: ['secops@example.com'], slackWebhookSecretName: 'sentinel/slack', windowMinutes: 30 },
};

let home: Template;
let regional: Template;
let full: Template;

beforeAll(() => {
  // cdk-nag AwsSolutions runs in each synth: an unacknowledged finding throws here.
  const on = synth(REGIONS);
  home = on.templates.get('SsmSentinel')!;
  regional = on.templates.get('SsmSentinel-eu-west-1')!;
  full = synth(FULL).templates.get('SsmSentinel')!;
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, walked freely by assertions
type Json = any;

const digestFn = (tpl: Template): Json =>
  props(tpl, 'AWS::Lambda::Function').find((p) => p.FunctionName === DIGEST);
const scheduleRule = (tpl: Template): Json => props(tpl, 'AWS::Events::Rule').find((r) => r.Name === DIGEST);

describe('incident digest timer', () => {
  it('deploys the digest function with the shared defaults, the table and the alerts topic, at home only', () => {
    for (const tpl of [home, full]) {
      const fn = digestFn(tpl);
      expect(fn).toBeDefined();
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.LoggingConfig.LogFormat).toBe('JSON');
      // Under one tick, so a slow sweep rarely overlaps the next.
      expect(fn.Timeout).toBeLessThan(DIGEST_RATE_MINUTES * 60);
      const vars = fn.Environment.Variables;
      expect(Object.keys(vars).sort()).toEqual(
        [
          'NODE_OPTIONS',
          'POWERTOOLS_METRICS_NAMESPACE',
          'POWERTOOLS_SERVICE_NAME',
          'SENTINEL_CONFIG',
          'TABLE_NAME',
          'TOPIC_ARN',
        ].sort(),
      );
      expect(vars.POWERTOOLS_SERVICE_NAME).toBe('alert-digest');
      expect(vars.TABLE_NAME).toEqual({ Ref: logicalId(tpl, 'AWS::DynamoDB::Table', 'ssm-sentinel-state') });
      expect(vars.TOPIC_ARN).toEqual({ Ref: logicalId(tpl, 'AWS::SNS::Topic', 'ssm-sentinel-alerts') });
    }
    expect(JSON.parse(digestFn(home).Environment.Variables.SENTINEL_CONFIG).alerts.windowMinutes).toBe(15);
    expect(JSON.parse(digestFn(full).Environment.Variables.SENTINEL_CONFIG).alerts.windowMinutes).toBe(30);
    // A forwarding region has no notifier and no alerts topic: nothing to digest there.
    expect(digestFn(regional)).toBeUndefined();
    expect(scheduleRule(regional)).toBeUndefined();
    expect(JSON.stringify(regional.toJSON())).not.toContain('alert-digest');
  });

  it('runs it every minute from a prefixed rule, with retries, a one-tick event age and its dead-letter queue', () => {
    expect(DIGEST_RATE_MINUTES).toBe(1);
    for (const tpl of [home, full]) {
      const rule = scheduleRule(tpl);
      expect(rule).toMatchObject({ ScheduleExpression: 'rate(1 minute)', State: 'ENABLED' });
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.EventPattern).toBeUndefined();
      const [target, ...more] = rule.Targets as Json[];
      expect(more).toEqual([]);
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(tpl, 'AWS::Lambda::Function', DIGEST), 'Arn'] });
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 });
      expect(target.DeadLetterConfig.Arn).toEqual({
        'Fn::GetAtt': [logicalId(tpl, 'AWS::SQS::Queue', `${DIGEST}-dlq`), 'Arn'],
      });
      // EventBridge may invoke the function, from this rule only; SNS or anything else may not.
      const permissions = props(tpl, 'AWS::Lambda::Permission').filter(
        (p) => JSON.stringify(p.FunctionName) === JSON.stringify(target.Arn),
      );
      expect(permissions).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [logicalId(tpl, 'AWS::Events::Rule', DIGEST), 'Arn'] },
        }),
      ]);
    }
  });

  it('lets EventBridge dead-letter only this rule into the queue, over TLS', () => {
    const queue = logicalId(home, 'AWS::SQS::Queue', `${DIGEST}-dlq`);
    const policies = props(home, 'AWS::SQS::QueuePolicy').filter((p) =>
      (p.Queues as Json[]).some((q) => q.Ref === queue),
    );
    const statements = policies.flatMap((p) => (p.PolicyDocument as Json).Statement as Json[]);
    const fromEvents = statements.filter((s) => s.Principal?.Service === 'events.amazonaws.com');
    expect(fromEvents).toHaveLength(1);
    expect(fromEvents[0]).toMatchObject({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Condition: {
        ArnEquals: {
          'aws:SourceArn': { 'Fn::GetAtt': [logicalId(home, 'AWS::Events::Rule', DIGEST), 'Arn'] },
        },
      },
    });
    expect(JSON.stringify(statements)).toContain('"aws:SecureTransport":"false"');
  });

  it('grants item access and batch reads on the state table, Publish on the alerts topic and the key: nothing else', () => {
    for (const tpl of [home, full]) {
      const statements = statementsByFunction(tpl).get(DIGEST)!;
      expect(sortedActions(statements)).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sns:Publish',
        'sqs:SendMessage',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
      const on = (prefix: string) =>
        statements
          .filter((s: Statement) => actionsOf(s).some((a) => a.startsWith(prefix)))
          .map((s) => s.Resource);
      // The table itself: no index, no other table, no wildcard.
      const tableArn = {
        'Fn::GetAtt': [logicalId(tpl, 'AWS::DynamoDB::Table', 'ssm-sentinel-state'), 'Arn'],
      };
      expect(on('dynamodb:')).toEqual([tableArn]);
      // The alerts topic, not the ops topic.
      expect(on('sns:')).toEqual([{ Ref: logicalId(tpl, 'AWS::SNS::Topic', 'ssm-sentinel-alerts') }]);
      const keyArn = { 'Fn::GetAtt': [Object.keys(resources(tpl, 'AWS::KMS::Key'))[0]!, 'Arn'] };
      expect(new Set(on('kms:').map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify(keyArn)]));
      expect(on('sqs:')).toEqual([
        { 'Fn::GetAtt': [logicalId(tpl, 'AWS::SQS::Queue', `${DIGEST}-dlq`), 'Arn'] },
      ]);
      for (const s of statements) expect(s.Effect).toBe('Allow');
      for (const s of statements.filter((x) => x.Resource === '*')) {
        expect(actionsOf(s).every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('alarms on its errors, throttles and dead-letter queue like every function, and is on the dashboard', () => {
    const names = props(home, 'AWS::CloudWatch::Alarm').map((a) => a.AlarmName);
    for (const id of ['Errors', 'Throttles', 'DlqDepth']) expect(names).toContain(`${DIGEST}-${id}`);
    const body = JSON.stringify(props(home, 'AWS::CloudWatch::Dashboard')[0]!.DashboardBody);
    expect(body).toContain(`${DIGEST} errors`);
    expect(body).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(home, 'AWS::SQS::Queue', `${DIGEST}-dlq`), 'QueueName'] }),
    );
    expect(body).toContain('Alerts by kind, and findings held for a digest');
    expect(body).toContain(`MetricName=\\\\\\"${Metric.AlertsPublished}\\\\\\" AlertKind`);
    expect(body).toContain(`MetricName=\\\\\\"${Metric.AlertsHeld}\\\\\\"`);
  });
});
