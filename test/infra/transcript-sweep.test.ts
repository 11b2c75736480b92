import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const SWEEP = 'ssm-sentinel-transcript-sweep';
const REGIONS = { stack: { homeRegion: 'eu-central-1', regions: ['eu-central-1', 'eu-west-1'] } };

let home: Template;
let regional: Template;
let disabled: Template;

beforeAll(() => {
  // cdk-nag AwsSolutions runs in each synth: an unacknowledged finding throws here.
  const on = synth(REGIONS);
  home = on.templates.get('SsmSentinel')!;
  regional = on.templates.get('SsmSentinel-eu-west-1')!;
  disabled = synth({ ...REGIONS, missingTranscript: { enabled: false } }).templates.get('SsmSentinel')!;
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, walked freely by assertions
type Json = any;

const scheduleRule = (tpl: Template): Json =>
  props(tpl, 'AWS::Events::Rule').find((r) => r.Name === 'ssm-sentinel-transcript-sweep');

describe('missing-transcript timer', () => {
  it('deploys the sweep function with the shared defaults in every region', () => {
    for (const tpl of [home, regional]) {
      const fn = props(tpl, 'AWS::Lambda::Function').find((p) => p.FunctionName === SWEEP) as Json;
      expect(fn).toBeDefined();
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      expect(fn.LoggingConfig.LogFormat).toBe('JSON');
      expect(fn.Timeout).toBeLessThan(300);
      const vars = fn.Environment.Variables;
      expect(vars.POWERTOOLS_SERVICE_NAME).toBe('transcript-sweep');
      expect(vars.TABLE_NAME).toEqual({ Ref: logicalId(tpl, 'AWS::DynamoDB::Table', 'ssm-sentinel-state') });
      expect(vars.BUS_NAME).toEqual({
        Ref: logicalId(tpl, 'AWS::Events::EventBus', 'ssm-sentinel-findings'),
      });
      expect(JSON.parse(vars.SENTINEL_CONFIG).missingTranscript).toEqual({ enabled: true, minutes: 10 });
    }
  });

  it('runs it every 5 minutes from a prefixed rule, with retries and its dead-letter queue', () => {
    const rule = scheduleRule(home);
    expect(rule).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    expect(rule.EventPattern).toBeUndefined();
    const [target, ...more] = rule.Targets as Json[];
    expect(more).toEqual([]);
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(home, 'AWS::Lambda::Function', SWEEP), 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 });
    expect(target.DeadLetterConfig.Arn).toEqual({
      'Fn::GetAtt': [logicalId(home, 'AWS::SQS::Queue', `${SWEEP}-dlq`), 'Arn'],
    });
    // EventBridge may invoke the function, from this rule only.
    const permissions = props(home, 'AWS::Lambda::Permission').filter(
      (p) => JSON.stringify(p.FunctionName) === JSON.stringify(target.Arn),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(home, 'AWS::Events::Rule', SWEEP), 'Arn'] },
    });
    expect(scheduleRule(regional)).toMatchObject({ ScheduleExpression: 'rate(5 minutes)' });
  });

  it('grants only item access (and batch reads) to the state table, its key and PutEvents on the findings bus', () => {
    const statements = statementsByFunction(home).get(SWEEP)!;
    expect(sortedActions(statements)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'events:PutEvents',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const on = (prefix: string) =>
      statements
        .filter((s: Statement) => actionsOf(s).some((a) => a.startsWith(prefix)))
        .map((s) => s.Resource);
    const table = logicalId(home, 'AWS::DynamoDB::Table', 'ssm-sentinel-state');
    const tableArn = { 'Fn::GetAtt': [table, 'Arn'] };
    expect(on('dynamodb:')).toEqual([[tableArn], tableArn]);
    const key = Object.keys(resources(home, 'AWS::KMS::Key'))[0]!;
    expect(on('kms:')).toEqual([{ 'Fn::GetAtt': [key, 'Arn'] }]);
    const bus = logicalId(home, 'AWS::Events::EventBus', 'ssm-sentinel-findings');
    expect(on('events:')).toEqual([{ 'Fn::GetAtt': [bus, 'Arn'] }]);
    for (const s of statements.filter((x) => x.Resource === '*')) {
      expect(actionsOf(s).every((a) => a.startsWith('xray:'))).toBe(true);
    }
  });

  it('alarms on its errors, throttles and dead-letter queue like every function', () => {
    const names = props(home, 'AWS::CloudWatch::Alarm').map((a) => a.AlarmName);
    for (const id of ['Errors', 'Throttles', 'DlqDepth']) expect(names).toContain(`${SWEEP}-${id}`);
  });

  it('is absent when missingTranscript is disabled', () => {
    expect(props(disabled, 'AWS::Lambda::Function').map((p) => p.FunctionName)).not.toContain(SWEEP);
    expect(scheduleRule(disabled)).toBeUndefined();
    // The alert digest is the only timer left.
    expect(
      props(disabled, 'AWS::Events::Rule')
        .filter((r) => r.ScheduleExpression !== undefined)
        .map((r) => r.Name),
    ).toEqual(['ssm-sentinel-alert-digest']);
    expect(JSON.stringify(disabled.toJSON())).not.toContain('transcript-sweep');
  });
});
