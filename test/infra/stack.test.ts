import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metric } from '#shared/metrics';
import {
  actionsOf,
  props,
  removeSynthOutputs,
  resources,
  type Statement,
  type Synthesized,
  sortedActions,
  statementsByFunction,
  synth,
} from './synth';

afterAll(removeSynthOutputs);

const LOGGING = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'sqs:SendMessage',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];
const TABLE = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const KEY = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
/** The only actions allowed on Resource "*": they support no resource-level permissions. */
const ANY_RESOURCE_OK = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:DescribeInstances',
  'comprehend:DetectPiiEntities',
  'ssm:DescribeSessions',
]);

const FULL = {
  autoTerminate: { enabled: true },
  alerts: {
    emails: ['secops@example.com'],
    minSeverity: 'HIGH',
    slackWebhookSecretName: 'sentinel/slack',
    slackActions: { signingSecretName: 'sentinel/slack-signing', terminateUserIds: ['U024BE7LH'] },
  },
  preferencesDocuments: ['Team-ShellPreferences'],
  stack: {
    managePreferences: true,
    createTrail: true,
    securityHubExport: true,
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1', 'eu-west-1'],
  },
};

let base: Synthesized;
let full: Synthesized;
let t: Template;
let f: Template;
let regional: Template;

beforeAll(() => {
  // Both synths run cdk-nag AwsSolutions: an unacknowledged finding throws here.
  base = synth({});
  full = synth(FULL);
  t = base.templates.get('SsmSentinel')!;
  f = full.templates.get('SsmSentinel')!;
  regional = full.templates.get('SsmSentinel-eu-west-1')!;
}, 120_000);

function rule(tpl: Template, name: string): Record<string, unknown> {
  const found = props(tpl, 'AWS::Events::Rule').find((r) => r.Name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, walked freely by assertions
type Json = any;

function pattern(tpl: Template, name: string): Json {
  return rule(tpl, name).EventPattern;
}

describe('stacks', () => {
  it('synthesises one env-agnostic stack by default and one per region when configured', () => {
    expect([...base.templates.keys()]).toEqual(['SsmSentinel']);
    expect(base.stacks[0]!.region).toMatch(/^\$\{Token/);
    expect([...full.templates.keys()]).toEqual(['SsmSentinel', 'SsmSentinel-eu-west-1']);
    expect(full.stacks.map((s) => s.region)).toEqual(['eu-central-1', 'eu-west-1']);
  });
});

describe('detection rules on the default bus', () => {
  it('matches session API calls exactly', () => {
    expect(pattern(t, 'ssm-sentinel-sessions')).toEqual({
      source: ['aws.ssm'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['ssm.amazonaws.com'],
        eventName: [
          'StartSession',
          'ResumeSession',
          'TerminateSession',
          'SendCommand',
          'StartAutomationExecution',
          'CreateDocument',
          'UpdateDocument',
          'UpdateDocumentDefaultVersion',
        ],
      },
    });
  });

  it('routes public document sharing (any case of `all`) and Fleet Manager remote desktop', () => {
    expect(pattern(t, 'ssm-sentinel-calls-ssm').detail).toEqual({
      eventSource: ['ssm.amazonaws.com'],
      eventName: ['ModifyDocumentPermission'],
      requestParameters: { accountIdsToAdd: [{ 'equals-ignore-case': 'all' }] },
    });
    expect(pattern(t, 'ssm-sentinel-calls-ssm-guiconnect')).toEqual({
      source: ['aws.ssm-guiconnect'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['ssm-guiconnect.amazonaws.com'], eventName: ['StartConnection'] },
    });
  });

  it('matches preference-document deletion by name prefix, including configured documents (every creation and update is routed with the sessions)', () => {
    expect(pattern(t, 'ssm-sentinel-preferences').detail).toEqual({
      eventSource: ['ssm.amazonaws.com'],
      eventName: ['DeleteDocument'],
      requestParameters: {
        $or: [{ name: [{ prefix: 'SSM-SessionManagerRunShell' }] }, { documentType: ['Session'] }],
      },
    });
    expect(pattern(f, 'ssm-sentinel-preferences').detail.requestParameters.$or[0].name).toEqual([
      { prefix: 'SSM-SessionManagerRunShell' },
      { prefix: 'Team-ShellPreferences' },
    ]);
  });

  it('matches tampering with CloudTrail on any trail', () => {
    const p = pattern(t, 'ssm-sentinel-tampering-cloudtrail');
    expect(p.source).toEqual(['aws.cloudtrail']);
    expect(p.detail.eventName).toEqual(['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors']);
    expect(p.detail.requestParameters).toBeUndefined();
  });

  it('scopes tampering with our own resources by the resource prefix', () => {
    const lambda = pattern(t, 'ssm-sentinel-tampering-lambda').detail;
    expect(lambda.eventName).toContain('DeleteFunction20150331');
    expect(lambda.requestParameters.functionName).toEqual([
      { prefix: 'ssm-sentinel-' },
      { wildcard: 'arn:*:lambda:*:*:function:ssm-sentinel-*' },
    ]);
    const logs = pattern(t, 'ssm-sentinel-tampering-logs').detail;
    expect(logs.eventName).toEqual(expect.arrayContaining(['DeleteLogGroup', 'DeleteSubscriptionFilter']));
    expect(logs.requestParameters.$or[0].logGroupName).toEqual([
      { prefix: '/aws/lambda/ssm-sentinel-' },
      { prefix: '/aws/events/ssm-sentinel-' },
      { prefix: '/ssm-sentinel/' },
    ]);
    expect(pattern(t, 'ssm-sentinel-tampering-events').detail.requestParameters.$or).toContainEqual({
      name: [{ prefix: 'ssm-sentinel-' }],
    });
    expect(pattern(t, 'ssm-sentinel-tampering-sns').detail.requestParameters.$or).toContainEqual({
      topicArn: [{ wildcard: 'arn:*:sns:*:*:ssm-sentinel-*' }],
    });
    expect(pattern(t, 'ssm-sentinel-tampering-dynamodb').detail.requestParameters.tableName).toContainEqual({
      prefix: 'ssm-sentinel-',
    });
    // The dead-letter queues, by URL: https://sqs.<region>.amazonaws.com/<account>/ssm-sentinel-<fn>-dlq.
    expect(pattern(t, 'ssm-sentinel-tampering-sqs').detail.requestParameters.queueUrl).toEqual([
      { wildcard: '*/ssm-sentinel-*' },
    ]);
  });

  it('watches the stack key by id, ARN and alias', () => {
    const kms = pattern(t, 'ssm-sentinel-tampering-kms').detail;
    expect(kms.eventName).toEqual(
      expect.arrayContaining(['DisableKey', 'ScheduleKeyDeletion', 'PutKeyPolicy']),
    );
    const key = expectLogical(t, 'AWS::KMS::Key');
    expect(kms.requestParameters.$or).toEqual([
      { keyId: [{ Ref: key }, { 'Fn::GetAtt': [key, 'Arn'] }, { prefix: 'alias/ssm-sentinel' }] },
      { aliasName: [{ prefix: 'alias/ssm-sentinel' }] },
    ]);
  });

  it('watches an existing session log group by its exact name', () => {
    const custom = synth({ resourcePrefix: 'acme-mon', stack: { sessionLogGroupName: '/corp/ssm' } });
    const tpl = custom.templates.get('SsmSentinel')!;
    expect(pattern(tpl, 'acme-mon-tampering-logs').detail.requestParameters.$or[0].logGroupName).toContain(
      '/corp/ssm',
    );
    tpl.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: '/corp/ssm',
      FilterName: 'acme-mon-transcripts',
    });
    // The group is not ours: no log group of that name is created, and no key use is granted for it.
    expect(props(tpl, 'AWS::Logs::LogGroup').map((g) => g.LogGroupName)).not.toContain('/corp/ssm');
    const agent = props(tpl, 'AWS::IAM::ManagedPolicy')[0]!;
    const statements = (agent.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements.flatMap(actionsOf).some((a) => a.startsWith('kms:'))).toBe(false);
  }, 60_000);

  it('delivers every default-bus rule to session-events with retries and a DLQ', () => {
    // Scheduled rules (the transcript sweep, the alert digest) live on the default bus too but match
    // no event; their names carry the prefix, so the tampering rules watch them as well.
    const scheduled = props(t, 'AWS::Events::Rule').filter((r) => r.ScheduleExpression !== undefined);
    expect(scheduled.map((r) => [r.Name, r.EventBusName, r.ScheduleExpression]).sort()).toEqual([
      ['ssm-sentinel-alert-digest', undefined, 'rate(1 minute)'],
      ['ssm-sentinel-transcript-sweep', undefined, 'rate(5 minutes)'],
    ]);
    const names = props(t, 'AWS::Events::Rule')
      .filter((r) => r.EventBusName === undefined && r.ScheduleExpression === undefined)
      .map((r) => r.Name);
    expect(names.sort()).toEqual(
      [
        'ssm-sentinel-preferences',
        'ssm-sentinel-sessions',
        'ssm-sentinel-calls-ssm',
        'ssm-sentinel-calls-ssm-guiconnect',
        ...['cloudtrail', 'dynamodb', 'events', 'kms', 'lambda', 'logs', 'sns', 'sqs'].map(
          (s) => `ssm-sentinel-tampering-${s}`,
        ),
      ].sort(),
    );
    for (const name of names) {
      const [target] = rule(t, name as string).Targets as Json[];
      expect(JSON.stringify(target!.Arn)).toContain('sessionevents');
      expect(target!.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 });
      expect(JSON.stringify(target!.DeadLetterConfig.Arn)).toContain('sessioneventsDlq');
    }
  });
});

describe('transcripts', () => {
  it('subscribes the transcripts function to the whole session log group', () => {
    t.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: expectLogical(t, 'AWS::Logs::LogGroup', '/ssm-sentinel/sessions') },
      FilterName: 'ssm-sentinel-transcripts',
      FilterPattern: '',
      DestinationArn: {
        'Fn::GetAtt': [expectLogical(t, 'AWS::Lambda::Function', 'ssm-sentinel-transcripts'), 'Arn'],
      },
    });
  });

  it('gives instance roles a managed policy limited to streaming into that group', () => {
    const [policy] = props(t, 'AWS::IAM::ManagedPolicy');
    const statements = (policy!.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(sortedActions(statements)).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:DescribeLogGroups',
      'logs:DescribeLogStreams',
      'logs:PutLogEvents',
    ]);
    expect(policy!.ManagedPolicyName).toEqual({
      'Fn::Join': ['', ['ssm-sentinel-session-logging-', { Ref: 'AWS::Region' }]],
    });
    const names = [f, regional].map((tpl) => props(tpl, 'AWS::IAM::ManagedPolicy')[0]!.ManagedPolicyName);
    expect(names).toEqual([
      'ssm-sentinel-session-logging-eu-central-1',
      'ssm-sentinel-session-logging-eu-west-1',
    ]);
    const stream = statements.find((s) => s.Sid === 'StreamSessionLogs')!;
    expect(JSON.stringify(stream.Resource)).toContain(':log-group:/ssm-sentinel/sessions');
    const key = statements.find((s) => s.Sid === 'UseSessionKey')!;
    expect(key.Resource).toEqual({ 'Fn::GetAtt': [expectLogical(t, 'AWS::KMS::Key'), 'Arn'] });
  });

  it('runs PII detection through Comprehend', () => {
    const fn = props(t, 'AWS::Lambda::Function').find((p) => p.FunctionName === 'ssm-sentinel-transcripts')!;
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.PII_MODE).toBe('comprehend');
    expect(fn.ReservedConcurrentExecutions).toBe(10);
  });
});

describe('least privilege', () => {
  it('uses no wildcard actions anywhere', () => {
    for (const tpl of [t, f, regional]) {
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
        for (const p of props(tpl, type)) {
          for (const s of (p.PolicyDocument as { Statement: Statement[] }).Statement) {
            for (const a of actionsOf(s)) expect(a, `${a} in ${type}`).not.toContain('*');
          }
        }
      }
    }
  });

  it('allows Resource "*" only for actions without resource-level permissions', () => {
    for (const tpl of [t, f, regional]) {
      for (const statements of statementsByFunction(tpl).values()) {
        for (const s of statements.filter((x) => x.Resource === '*')) {
          for (const a of actionsOf(s)) expect(ANY_RESOURCE_OK.has(a), a).toBe(true);
        }
      }
    }
  });

  it('gives each function exactly the actions it calls', () => {
    const byFn = statementsByFunction(f);
    const expected: Record<string, string[]> = {
      'ssm-sentinel-session-events': [
        ...LOGGING,
        ...TABLE,
        ...KEY,
        'events:PutEvents',
        'ec2:DescribeInstances',
        'ssm:GetDocument',
      ],
      'ssm-sentinel-transcripts': [
        ...LOGGING,
        ...TABLE,
        ...KEY,
        'events:PutEvents',
        'comprehend:DetectPiiEntities',
      ],
      'ssm-sentinel-notifier': [...LOGGING, ...TABLE, ...KEY, 'sns:Publish'],
      // The incident store's calls only: no DeleteItem.
      'ssm-sentinel-alert-digest': [
        ...LOGGING,
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        ...KEY,
        'sns:Publish',
      ],
      'ssm-sentinel-slack': [...LOGGING, 'secretsmanager:GetSecretValue'],
      'ssm-sentinel-responder': [
        ...LOGGING,
        ...TABLE,
        ...KEY,
        'events:PutEvents',
        'ssm:DescribeSessions',
        'ssm:TerminateSession',
      ],
      // Details in slack-actions.test.ts.
      'ssm-sentinel-slack-actions': [
        ...LOGGING,
        ...TABLE,
        ...KEY,
        'events:PutEvents',
        'secretsmanager:GetSecretValue',
        'ssm:DescribeSessions',
        'ssm:TerminateSession',
      ],
      'ssm-sentinel-securityhub': [...LOGGING, 'securityhub:BatchImportFindings'],
      'ssm-sentinel-transcript-sweep': [
        ...LOGGING,
        ...TABLE,
        ...KEY,
        'events:PutEvents',
        'dynamodb:BatchGetItem',
      ],
      'ssm-sentinel-preferences': [
        ...LOGGING,
        'ssm:CreateDocument',
        'ssm:DeleteDocument',
        'ssm:GetDocument',
        'ssm:UpdateDocument',
        'ssm:UpdateDocumentDefaultVersion',
      ],
    };
    expect([...byFn.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [fn, actions] of Object.entries(expected)) {
      expect(sortedActions(byFn.get(fn)!), fn).toEqual([...new Set(actions)].sort());
    }
  });

  it('scopes each permission to our resources', () => {
    const byFn = statementsByFunction(f);
    const find = (fn: string, action: string) =>
      JSON.stringify(
        byFn
          .get(fn)!
          .filter((s) => actionsOf(s).includes(action))
          .map((s) => s.Resource),
      );
    expect(find('ssm-sentinel-slack', 'secretsmanager:GetSecretValue')).toContain(
      ':secret:sentinel/slack-??????',
    );
    expect(find('ssm-sentinel-session-events', 'ssm:GetDocument')).toContain(
      ':document/SSM-SessionManagerRunShell',
    );
    expect(find('ssm-sentinel-session-events', 'ssm:GetDocument')).toContain(
      ':document/Team-ShellPreferences',
    );
    for (const fn of ['ssm-sentinel-notifier', 'ssm-sentinel-alert-digest']) {
      expect(find(fn, 'sns:Publish'), fn).toBe(
        JSON.stringify([{ Ref: expectLogical(f, 'AWS::SNS::Topic', 'ssm-sentinel-alerts') }]),
      );
    }
    expect(find('ssm-sentinel-alert-digest', 'dynamodb:BatchGetItem')).toBe(
      JSON.stringify([{ 'Fn::GetAtt': [expectLogical(f, 'AWS::DynamoDB::Table'), 'Arn'] }]),
    );
    expect(find('ssm-sentinel-securityhub', 'securityhub:BatchImportFindings')).toContain(':product/');
    expect(find('ssm-sentinel-transcripts', 'dynamodb:PutItem')).toContain(
      expectLogical(f, 'AWS::DynamoDB::Table'),
    );
  });

  it('grants ssm:TerminateSession only to the responder (auto-terminate) and the Slack actions endpoint', () => {
    const terminate = (tpl: Template) =>
      [...statementsByFunction(tpl)].filter(([, ss]) =>
        ss.some((s) => actionsOf(s).includes('ssm:TerminateSession')),
      );
    expect(terminate(t)).toEqual([]);
    expect(JSON.stringify(t.toJSON())).not.toContain('ssm:TerminateSession');
    expect(props(t, 'AWS::Lambda::Function').map((p) => p.FunctionName)).not.toContain(
      'ssm-sentinel-responder',
    );

    const granted = terminate(f);
    expect(granted.map(([fn]) => fn).sort()).toEqual([
      'ssm-sentinel-responder',
      'ssm-sentinel-slack-actions',
    ]);
    const responder = granted.find(([fn]) => fn === 'ssm-sentinel-responder')!;
    const resources = JSON.stringify(
      responder[1].filter((s) => actionsOf(s).includes('ssm:TerminateSession')).map((s) => s.Resource),
    );
    expect(resources).toContain(':ssm:eu-central-1:');
    expect(resources).toContain(':ssm:eu-west-1:');
    expect(resources).toContain(':session/*');
    expect(JSON.stringify(regional.toJSON())).not.toContain('ssm:TerminateSession');
  });
});

describe('encryption', () => {
  it('encrypts topics with the stack key and refuses plain-HTTP publishing', () => {
    const key = expectLogical(t, 'AWS::KMS::Key');
    for (const topic of props(t, 'AWS::SNS::Topic')) {
      expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    }
    for (const policy of props(t, 'AWS::SNS::TopicPolicy')) {
      expect(JSON.stringify(policy.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
    expect(props(t, 'AWS::SNS::TopicPolicy')).toHaveLength(props(t, 'AWS::SNS::Topic').length);
  });

  it('encrypts queues and requires TLS on them', () => {
    const queues = props(t, 'AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(0);
    for (const q of queues) expect(q.SqsManagedSseEnabled).toBe(true);
    const policies = props(t, 'AWS::SQS::QueuePolicy').map((p) => JSON.stringify(p.PolicyDocument));
    expect(policies.filter((p) => p.includes('"aws:SecureTransport":"false"'))).toHaveLength(queues.length);
  });

  it('keeps state in an on-demand table with TTL, point-in-time recovery and the customer key', () => {
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'ssm-sentinel-state',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [expectLogical(t, 'AWS::KMS::Key'), 'Arn'] },
      },
    });
  });

  it('encrypts every log group and sets its retention', () => {
    const groups = props(t, 'AWS::Logs::LogGroup');
    expect(groups.map((g) => g.LogGroupName).sort()).toEqual(
      [
        '/aws/events/ssm-sentinel-findings',
        '/ssm-sentinel/sessions',
        ...['alert-digest', 'notifier', 'session-events', 'transcript-sweep', 'transcripts'].map(
          (n) => `/aws/lambda/ssm-sentinel-${n}`,
        ),
      ].sort(),
    );
    for (const g of groups) {
      expect(g.KmsKeyId, String(g.LogGroupName)).toBeDefined();
      expect(g.RetentionInDays).toBe(90);
    }
  });

  it('rotates the key and lets only CloudWatch Logs and alarms use it without IAM', () => {
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const policy = JSON.stringify(props(t, 'AWS::KMS::Key')[0]!.KeyPolicy);
    expect(policy).toContain('kms:EncryptionContext:aws:logs:arn');
    expect(policy).toContain('cloudwatch.amazonaws.com');
  });
});

describe('functions', () => {
  it('share the defaults: ARM64, Node 24, JSON logs, tracing, DLQ, source maps', () => {
    for (const fn of props(f, 'AWS::Lambda::Function')) {
      expect(fn.Architectures).toEqual(['arm64']);
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
      expect((fn.LoggingConfig as Record<string, unknown>).LogFormat).toBe('JSON');
      expect(JSON.stringify((fn.DeadLetterConfig as Record<string, unknown>).TargetArn)).toContain('Dlq');
      const vars = (fn.Environment as { Variables: Record<string, string> }).Variables;
      expect(vars.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(vars.POWERTOOLS_METRICS_NAMESPACE).toBe('SsmSentinel');
      expect(String(fn.FunctionName)).toBe(`ssm-sentinel-${vars.POWERTOOLS_SERVICE_NAME}`);
      // Handlers get the runtime configuration, never the stack-only keys.
      expect(JSON.parse(vars.SENTINEL_CONFIG!).stack).toBeUndefined();
    }
  });

  it('alarm on errors, throttles and DLQ depth into the ops topic', () => {
    const fns = props(t, 'AWS::Lambda::Function').length;
    const alarms = props(t, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(fns * 3);
    const ops = expectLogical(t, 'AWS::SNS::Topic', 'ssm-sentinel-ops');
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: ops }]);
    const metrics = alarms.map((a) => a.MetricName).sort();
    expect(new Set(metrics)).toEqual(new Set(['Errors', 'Throttles', 'ApproximateNumberOfMessagesVisible']));
  });

  it('caps Slack concurrency when Slack is configured', () => {
    const slack = props(f, 'AWS::Lambda::Function').find((p) => p.FunctionName === 'ssm-sentinel-slack')!;
    expect(slack.ReservedConcurrentExecutions).toBe(2);
    const vars = (slack.Environment as { Variables: Record<string, string> }).Variables;
    expect(vars.SLACK_WEBHOOK_SECRET).toBe('sentinel/slack');
  });
});

describe('alerting', () => {
  it('has a findings bus with an archive and rules to the notifier and the findings log', () => {
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'ssm-sentinel-findings' });
    t.hasResourceProperties('AWS::Events::Archive', {
      ArchiveName: 'ssm-sentinel-findings',
      RetentionDays: 90,
    });
    const findings = { source: ['ssm-sentinel'], 'detail-type': ['SSM Sentinel Finding'] };
    expect(pattern(t, 'ssm-sentinel-findings-to-notifier')).toEqual(findings);
    expect(pattern(t, 'ssm-sentinel-findings-to-log')).toEqual(findings);
    const [logTarget] = rule(t, 'ssm-sentinel-findings-to-log').Targets as Array<Record<string, unknown>>;
    const findingsLog = expectLogical(t, 'AWS::Logs::LogGroup', '/aws/events/ssm-sentinel-findings');
    expect(JSON.stringify(logTarget!.Arn)).toContain(`:log-group:",{"Ref":"${findingsLog}"}`);
    t.hasResourceProperties('AWS::Logs::ResourcePolicy', { PolicyName: 'ssm-sentinel-findings-log' });
    expect(props(t, 'AWS::Events::Rule').map((r) => r.Name)).not.toContain(
      'ssm-sentinel-findings-to-responder',
    );
  });

  it('routes findings to the responder only when enabled, at or above its severity', () => {
    expect(pattern(f, 'ssm-sentinel-findings-to-responder')).toEqual({
      source: ['ssm-sentinel'],
      'detail-type': ['SSM Sentinel Finding'],
      detail: { severity: ['CRITICAL'], sessionId: [{ exists: true }] },
    });
  });

  it('subscribes e-mail and Slack with a severity filter, and e-mail to the ops topic unfiltered', () => {
    const subs = props(f, 'AWS::SNS::Subscription');
    const alerts = expectLogical(f, 'AWS::SNS::Topic', 'ssm-sentinel-alerts');
    const filtered = subs.filter((s) => (s.TopicArn as { Ref: string }).Ref === alerts);
    expect(filtered.map((s) => s.Protocol).sort()).toEqual(['email', 'lambda']);
    for (const s of filtered) expect(s.FilterPolicy).toEqual({ severity: ['HIGH', 'CRITICAL'] });
    const ops = subs.filter((s) => (s.TopicArn as { Ref: string }).Ref !== alerts);
    expect(ops).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'secops@example.com' })]);
    expect(ops[0]!.FilterPolicy).toBeUndefined();
  });
});

describe('dashboard', () => {
  it('shows sessions, findings, PII, secrets, terminations, Comprehend cost, health, alerts and the latest findings', () => {
    const [dash] = props(t, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dash!.DashboardBody);
    for (const m of [
      Metric.SessionsStarted,
      Metric.Findings,
      Metric.PiiEntities,
      Metric.Secrets,
      Metric.Terminations,
      Metric.ComprehendCharacters,
      Metric.MisroutedDeliveries,
      Metric.ExpectationsDropped,
      Metric.AlertsPublished,
      Metric.AlertsHeld,
    ]) {
      expect(body, m).toContain(`MetricName=\\\\\\"${m}\\\\\\"`);
    }
    for (const title of [
      'Findings by severity',
      'Findings by category',
      'Lambda errors and throttles',
      'Dead-letter queue depth',
      'Monitor health: misrouted deliveries, shell sessions not awaited',
      'Alerts by kind, and findings held for a digest',
      'Latest findings',
    ]) {
      expect(body).toContain(title);
    }
    const findingsLog = expectLogical(t, 'AWS::Logs::LogGroup', '/aws/events/ssm-sentinel-findings');
    expect(body).toContain(`SOURCE '",{"Ref":"${findingsLog}"}`);
    expect(body).toContain('| sort @timestamp desc\\\\n| limit 100');
  });
});

describe('optional parts', () => {
  it('manages the preferences document to stream into the session group', () => {
    const [cr] = props(f, 'Custom::SessionManagerPreferences');
    expect(cr!.DocumentName).toBe('SSM-SessionManagerRunShell');
    const doc = JSON.parse(cr!.Content as string);
    expect(doc.inputs).toMatchObject({
      cloudWatchLogGroupName: '/ssm-sentinel/sessions',
      cloudWatchStreamingEnabled: true,
      cloudWatchEncryptionEnabled: true,
      idleSessionTimeout: '20',
      maxSessionDuration: '480',
    });
    expect(resources(t, 'Custom::SessionManagerPreferences')).toEqual({});
  });

  it('creates a multi-region trail into an encrypted, TLS-only bucket when asked', () => {
    f.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      IsLogging: true,
      EnableLogFileValidation: true,
    });
    f.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    expect(resources(t, 'AWS::CloudTrail::Trail')).toEqual({});
    expect(resources(regional, 'AWS::CloudTrail::Trail')).toEqual({});
  });

  it('exports findings to Security Hub when asked', () => {
    expect(pattern(f, 'ssm-sentinel-findings-to-securityhub')).toEqual({
      source: ['ssm-sentinel'],
      'detail-type': ['SSM Sentinel Finding'],
    });
  });

  it('forwards findings of another region to the home bus and keeps alerting at home', () => {
    const [target] = rule(regional, 'ssm-sentinel-findings-to-home').Targets as Array<
      Record<string, unknown>
    >;
    expect(JSON.stringify(target!.Arn)).toContain(':events:eu-central-1:');
    expect(JSON.stringify(target!.Arn)).toContain(':event-bus/ssm-sentinel-findings');
    const fns = props(regional, 'AWS::Lambda::Function')
      .map((p) => p.FunctionName)
      .sort();
    expect(fns).toEqual([
      'ssm-sentinel-preferences',
      'ssm-sentinel-session-events',
      'ssm-sentinel-transcript-sweep',
      'ssm-sentinel-transcripts',
    ]);
    expect(resources(regional, 'AWS::CloudWatch::Dashboard')).toEqual({});
  });
});

/** Logical id of the one resource of a type (optionally with a given name property). */
function expectLogical(tpl: Template, type: string, name?: string): string {
  const found = Object.entries(resources(tpl, type)).filter(([, r]) => {
    if (name === undefined) return true;
    const p = r.Properties ?? {};
    return [p.FunctionName, p.TopicName, p.TableName, p.Name, p.LogGroupName].includes(name);
  });
  if (found.length !== 1) throw new Error(`expected one ${type} ${name ?? ''}, found ${found.length}`);
  return found[0]![0];
}
