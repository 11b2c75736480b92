import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLACK_ACTIONS_CONCURRENCY } from '#infra/constructs/slack-actions';
import {
  actionsOf,
  logicalId,
  props,
  removeSynthOutputs,
  type Statement,
  sortedActions,
  statementsByFunction,
  synth,
} from './synth';

afterAll(removeSynthOutputs);

const ACTIONS_FN = 'ssm-sentinel-slack-actions';
const SIGNING = 'ssm-sentinel/slack-signing-secret';
const REGIONS = { homeRegion: 'eu-central-1', regions: ['eu-central-1', 'eu-west-1'] };
const WEBHOOK = { emails: ['secops@example.com'], slackWebhookSecretName: 'sentinel/slack' };
const ON = {
  alerts: { ...WEBHOOK, slackActions: { signingSecretName: SIGNING, terminateUserIds: ['U024BE7LH'] } },
  stack: REGIONS,
};
const WITH_RESPONDER = { ...ON, autoTerminate: { enabled: true } };

const LOGGING = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'sqs:SendMessage',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];
const TABLE = ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const KEY = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
const SSM = ['ssm:DescribeSessions', 'ssm:TerminateSession'];

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, walked freely by assertions
type Json = any;

let off: Template;
let webhookOnly: Template;
let explicitNull: Template;
let on: Template;
let regional: Template;
let withResponder: Template;
let noUsers: Template;

beforeAll(() => {
  // cdk-nag AwsSolutions runs in each synth: an unacknowledged finding throws here.
  off = synth({}).templates.get('SsmSentinel')!;
  webhookOnly = synth({ alerts: WEBHOOK }).templates.get('SsmSentinel')!;
  explicitNull = synth({ alerts: { ...WEBHOOK, slackActions: { signingSecretName: null } } }).templates.get(
    'SsmSentinel',
  )!;
  const both = synth(ON);
  on = both.templates.get('SsmSentinel')!;
  regional = both.templates.get('SsmSentinel-eu-west-1')!;
  withResponder = synth(WITH_RESPONDER).templates.get('SsmSentinel')!;
  noUsers = synth({
    alerts: { ...WEBHOOK, slackActions: { signingSecretName: SIGNING } },
  }).templates.get('SsmSentinel')!;
}, 180_000);

const actionsFn = (tpl: Template): Json =>
  props(tpl, 'AWS::Lambda::Function').find((p) => p.FunctionName === ACTIONS_FN);

/** Every function whose role may call one of `actions`. */
function holders(tpl: Template, actions: string[]): string[] {
  return [...statementsByFunction(tpl)]
    .filter(([, ss]) => ss.some((s) => actionsOf(s).some((a) => actions.includes(a))))
    .map(([fn]) => fn)
    .sort();
}

function resourcesOf(statements: Statement[], action: string): unknown[] {
  return statements.filter((s) => actionsOf(s).includes(action)).flatMap((s) => [s.Resource].flat());
}

describe('Slack actions endpoint', () => {
  it('is absent by default, with the webhook alone and with a null signing secret', () => {
    for (const tpl of [off, webhookOnly, explicitNull]) {
      expect(actionsFn(tpl)).toBeUndefined();
      expect(props(tpl, 'AWS::Lambda::Url')).toEqual([]);
      expect(Object.keys(tpl.findOutputs('SlackInteractivityUrl'))).toEqual([]);
      expect(JSON.stringify(tpl.toJSON())).not.toContain('SLACK_SIGNING_SECRET');
    }
  });

  it('is not deployed in a forwarding region', () => {
    expect(actionsFn(regional)).toBeUndefined();
    expect(props(regional, 'AWS::Lambda::Url')).toEqual([]);
    expect(Object.keys(regional.findOutputs('*'))).not.toContain('SlackInteractivityUrl');
  });

  it('deploys the function with the shared defaults, its environment and a small reserved concurrency', () => {
    const fn = actionsFn(on);
    expect(fn).toBeDefined();
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.ReservedConcurrentExecutions).toBe(SLACK_ACTIONS_CONCURRENCY);
    expect(SLACK_ACTIONS_CONCURRENCY).toBeLessThanOrEqual(5);
    const vars = fn.Environment.Variables;
    expect(Object.keys(vars).sort()).toEqual(
      [
        'BUS_NAME',
        'NODE_OPTIONS',
        'POWERTOOLS_METRICS_NAMESPACE',
        'POWERTOOLS_SERVICE_NAME',
        'SENTINEL_CONFIG',
        'SLACK_SIGNING_SECRET',
        'TABLE_NAME',
      ].sort(),
    );
    expect(vars.SLACK_SIGNING_SECRET).toBe(SIGNING);
    expect(vars.TABLE_NAME).toEqual({ Ref: logicalId(on, 'AWS::DynamoDB::Table', 'ssm-sentinel-state') });
    expect(vars.BUS_NAME).toEqual({ Ref: logicalId(on, 'AWS::Events::EventBus', 'ssm-sentinel-findings') });
    expect(JSON.parse(vars.SENTINEL_CONFIG).alerts.slackActions.terminateUserIds).toEqual(['U024BE7LH']);
  });

  it('serves a public function URL (auth NONE: Slack signs with HMAC, not SigV4), buffered, without CORS', () => {
    const urls = props(on, 'AWS::Lambda::Url');
    expect(urls).toHaveLength(1);
    const fnId = logicalId(on, 'AWS::Lambda::Function', ACTIONS_FN);
    expect(urls[0]).toEqual({
      AuthType: 'NONE',
      InvokeMode: 'BUFFERED',
      TargetFunctionArn: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    // The public invoke permissions are on this function only, and only through its URL.
    const publicPerms = props(on, 'AWS::Lambda::Permission').filter((p) => p.Principal === '*');
    expect(publicPerms.map((p) => p.Action).sort()).toEqual([
      'lambda:InvokeFunction',
      'lambda:InvokeFunctionUrl',
    ]);
    for (const p of publicPerms) expect(p.FunctionName).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(publicPerms.find((p) => p.Action === 'lambda:InvokeFunctionUrl')!.FunctionUrlAuthType).toBe(
      'NONE',
    );
    expect(publicPerms.find((p) => p.Action === 'lambda:InvokeFunction')!.InvokedViaFunctionUrl).toBe(true);
    for (const tpl of [off, webhookOnly, withResponder]) {
      const others = props(tpl, 'AWS::Lambda::Permission').filter(
        (p) =>
          p.Principal === '*' &&
          JSON.stringify(p.FunctionName) !==
            JSON.stringify({ 'Fn::GetAtt': [logicalId(tpl, 'AWS::Lambda::Function', ACTIONS_FN), 'Arn'] }),
      );
      expect(others).toEqual([]);
    }
  });

  it('reserves no concurrency when the account cannot (stack.slackConcurrency null)', () => {
    const tpl = synth({ ...ON, stack: { ...REGIONS, slackConcurrency: null } }).templates.get('SsmSentinel')!;
    expect(actionsFn(tpl)).toBeDefined();
    expect(actionsFn(tpl).ReservedConcurrentExecutions).toBeUndefined();
  }, 60_000);

  it('outputs the URL for the Slack app', () => {
    const outputs = on.findOutputs('SlackInteractivityUrl');
    expect(Object.values(outputs)).toHaveLength(1);
    const urlId = Object.entries(on.findResources('AWS::Lambda::Url'))[0]![0];
    expect(outputs.SlackInteractivityUrl!.Value).toEqual({ 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
  });

  it('alarms on errors, throttles and DLQ depth like every function', () => {
    const names = props(on, 'AWS::CloudWatch::Alarm').map((a) => a.AlarmName);
    expect(names.filter((n) => String(n).startsWith(`${ACTIONS_FN}-`)).sort()).toEqual(
      ['DlqDepth', 'Errors', 'Throttles'].map((n) => `${ACTIONS_FN}-${n}`),
    );
  });
});

describe('Slack actions permissions', () => {
  it('gives the function exactly the actions it calls', () => {
    const statements = statementsByFunction(on).get(ACTIONS_FN)!;
    expect(sortedActions(statements)).toEqual(
      [
        ...new Set([
          ...LOGGING,
          ...TABLE,
          ...KEY,
          'events:PutEvents',
          'secretsmanager:GetSecretValue',
          ...SSM,
        ]),
      ].sort(),
    );
  });

  it('scopes table, key, bus and secret to exactly the stack’s own and the configured one', () => {
    const statements = statementsByFunction(on).get(ACTIONS_FN)!;
    const table = logicalId(on, 'AWS::DynamoDB::Table', 'ssm-sentinel-state');
    for (const action of TABLE) {
      const res = resourcesOf(statements, action).filter(
        (r) => JSON.stringify(r) !== '{"Ref":"AWS::NoValue"}',
      );
      expect(res, action).toEqual([{ 'Fn::GetAtt': [table, 'Arn'] }]);
    }
    const keys = Object.keys(on.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    for (const action of KEY)
      expect(resourcesOf(statements, action), action).toEqual([{ 'Fn::GetAtt': [key, 'Arn'] }]);
    const bus = logicalId(on, 'AWS::Events::EventBus', 'ssm-sentinel-findings');
    expect(resourcesOf(statements, 'events:PutEvents')).toEqual([{ 'Fn::GetAtt': [bus, 'Arn'] }]);
    const secret = JSON.stringify(resourcesOf(statements, 'secretsmanager:GetSecretValue'));
    expect(secret).toContain(`:secret:${SIGNING}-??????`);
    expect(secret).not.toContain('sentinel/slack-??????');
    expect(secret).not.toContain('*');
  });

  it('reads a secret given by ARN exactly', () => {
    const arn =
      'arn:aws:secretsmanager:eu-central-1:123456789012:secret:ssm-sentinel/slack-signing-secret-AbCdEf';
    const tpl = synth({ alerts: { ...WEBHOOK, slackActions: { signingSecretName: arn } } }).templates.get(
      'SsmSentinel',
    )!;
    const statements = statementsByFunction(tpl).get(ACTIONS_FN)!;
    expect(resourcesOf(statements, 'secretsmanager:GetSecretValue')).toEqual([arn]);
    expect(actionsFn(tpl).Environment.Variables.SLACK_SIGNING_SECRET).toBe(arn);
  }, 60_000);

  it('terminates only sessions of this account in the monitored regions, and describes them', () => {
    const statements = statementsByFunction(on).get(ACTIONS_FN)!;
    const terminate = JSON.stringify(resourcesOf(statements, 'ssm:TerminateSession'));
    expect(terminate).toContain(':ssm:eu-central-1:');
    expect(terminate).toContain(':ssm:eu-west-1:');
    expect(terminate.match(/:session\/\*/g)).toHaveLength(2);
    expect(resourcesOf(statements, 'ssm:DescribeSessions')).toEqual(['*']);
  });

  it('grants the same SSM statements as the responder', () => {
    const byFn = statementsByFunction(withResponder);
    const ssmOf = (fn: string) => byFn.get(fn)!.filter((s) => actionsOf(s).some((a) => SSM.includes(a)));
    expect(ssmOf(ACTIONS_FN)).toEqual(ssmOf('ssm-sentinel-responder'));
  });

  it('gives no SSM permission when nobody may terminate', () => {
    expect(actionsFn(noUsers)).toBeDefined();
    expect(holders(noUsers, SSM)).toEqual([]);
    expect(JSON.stringify(noUsers.toJSON())).not.toContain('ssm:TerminateSession');
  });

  it('gives no other function these permissions', () => {
    expect(holders(on, SSM)).toEqual([ACTIONS_FN]);
    expect(holders(withResponder, SSM)).toEqual(['ssm-sentinel-responder', ACTIONS_FN]);
    // The signing secret is read by this function alone, and it reads no other secret.
    const bySecret = [...statementsByFunction(on)].filter(([, ss]) =>
      JSON.stringify(resourcesOf(ss, 'secretsmanager:GetSecretValue')).includes(SIGNING),
    );
    expect(bySecret.map(([fn]) => fn)).toEqual([ACTIONS_FN]);
    expect(
      JSON.stringify(
        resourcesOf(statementsByFunction(on).get('ssm-sentinel-slack')!, 'secretsmanager:GetSecretValue'),
      ),
    ).not.toContain(SIGNING);
    // Without the endpoint nothing mentions the signing secret or grants terminate.
    expect(holders(webhookOnly, SSM)).toEqual([]);
  });
});

describe('Slack actions configuration', () => {
  it('passes cdk-nag in an environment-bound deployment', () => {
    expect(() =>
      synth(WITH_RESPONDER, { env: { account: '123456789012', region: 'eu-central-1' } }),
    ).not.toThrow();
  }, 60_000);

  it('refuses actions without the Slack webhook, naming the key', () => {
    const config = { alerts: { slackActions: { signingSecretName: SIGNING } } };
    expect(() => synth(config)).toThrow(
      /config key "alerts\.slackActions\.signingSecretName".*alerts\.slackWebhookSecretName/,
    );
    // The message names the key, never the configured value.
    expect(() => synth(config)).not.toThrow(/slack-signing-secret/);
  });
});
