import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient, DescribeSubscriptionFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, ListRulesCommand, RuleState } from '@aws-sdk/client-eventbridge';
import { GetDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type DoctorClients, formatDoctorReport, runDoctor } from '#cli/doctor';
import { parseConfig } from '#shared/model/config';

const ct = mockClient(CloudTrailClient);
const ssm = mockClient(SSMClient);
const logs = mockClient(CloudWatchLogsClient);
const events = mockClient(EventBridgeClient);
const region = 'eu-west-1';
const clients: DoctorClients = {
  cloudtrail: new CloudTrailClient({ region }),
  ssm: new SSMClient({ region }),
  logs: new CloudWatchLogsClient({ region }),
  events: new EventBridgeClient({ region }),
};

const TRAIL_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/org';
const DETECTION = [
  'sessions',
  'calls-ssm',
  'calls-ssm-guiconnect',
  'preferences',
  ...['cloudtrail', 'events', 'logs', 'lambda', 'sns', 'dynamodb', 'kms', 'sqs'].map((s) => `tampering-${s}`),
];

function notFound(name: string) {
  return Object.assign(new Error(`${name} happened`), { name });
}

/** The scheduled rules of a home region with the default configuration. */
const TIMERS = ['transcript-sweep', 'alert-digest'];

function healthy(prefix = 'ssm-sentinel', group = `/${prefix}/sessions`) {
  ct.on(DescribeTrailsCommand).resolves({
    trailList: [{ Name: 'org', TrailARN: TRAIL_ARN, IsMultiRegionTrail: true, HomeRegion: 'us-east-1' }],
  });
  ct.on(GetTrailStatusCommand).resolves({ IsLogging: true });
  ct.on(GetEventSelectorsCommand).resolves({
    EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
  });
  ssm.on(GetDocumentCommand).resolves({
    Content: JSON.stringify({
      inputs: {
        cloudWatchLogGroupName: group,
        cloudWatchStreamingEnabled: true,
        cloudWatchEncryptionEnabled: true,
      },
    }),
  });
  logs.on(DescribeSubscriptionFiltersCommand).resolves({
    subscriptionFilters: [
      {
        filterName: `${prefix}-transcripts`,
        destinationArn: `arn:aws:lambda:${region}:1:function:${prefix}-transcripts`,
      },
    ],
  });
  events.on(ListRulesCommand, { EventBusName: undefined }).resolves({
    Rules: [...DETECTION, ...TIMERS].map((n) => ({ Name: `${prefix}-${n}`, State: 'ENABLED' })),
  });
  events.on(ListRulesCommand, { EventBusName: `${prefix}-findings` }).resolves({
    Rules: ['to-log', 'to-notifier'].map((n) => ({ Name: `${prefix}-findings-${n}`, State: 'ENABLED' })),
  });
}

beforeEach(() => {
  for (const m of [ct, ssm, logs, events]) m.reset();
});

function check(report: Awaited<ReturnType<typeof runDoctor>>, name: string) {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}: ${report.checks.map((c) => c.name).join(', ')}`);
  return found;
}

describe('runDoctor', () => {
  it('passes a healthy deployment and prints ✔ for every check', async () => {
    healthy();
    const report = await runDoctor({ region }, clients);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks).toHaveLength(8);
    const text = formatDoctorReport(report);
    expect(text.split('\n').filter((l) => l.startsWith('✔'))).toHaveLength(8);
    expect(text).toContain('All checks passed.');
    expect(ct.commandCalls(GetTrailStatusCommand)[0]!.args[0].input).toEqual({ Name: TRAIL_ARN });
    expect(ssm.commandCalls(GetDocumentCommand)[0]!.args[0].input.Name).toBe('SSM-SessionManagerRunShell');
  });

  it('uses the configured prefix and existing session log group', async () => {
    healthy('acme', '/corp/ssm');
    const config = parseConfig({ resourcePrefix: 'acme', stack: { sessionLogGroupName: '/corp/ssm' } });
    const report = await runDoctor({ region, config }, clients);
    expect(report.ok).toBe(true);
    expect(logs.commandCalls(DescribeSubscriptionFiltersCommand)[0]!.args[0].input).toEqual({
      logGroupName: '/corp/ssm',
    });
  });

  it('fails when no trail covers the region, or the covering trail is stopped', async () => {
    healthy();
    ct.on(DescribeTrailsCommand).resolves({
      trailList: [{ Name: 'local', TrailARN: 'x', HomeRegion: 'us-east-1' }],
    });
    let c = check(await runDoctor({ region }, clients), 'CloudTrail trail is logging');
    expect(c).toMatchObject({ ok: false, detail: 'no trail covers eu-west-1' });
    expect(c.fix).toContain('createTrail');

    ct.on(DescribeTrailsCommand).resolves({
      trailList: [{ Name: 'org', TrailARN: TRAIL_ARN, IsMultiRegionTrail: true }],
    });
    ct.on(GetTrailStatusCommand).resolves({ IsLogging: false });
    c = check(await runDoctor({ region }, clients), 'CloudTrail trail is logging');
    expect(c).toMatchObject({ ok: false, detail: 'no usable trail: org' });
  });

  it.each([
    [{ EventSelectors: [{ IncludeManagementEvents: false }] }, false],
    [{ EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'ReadOnly' as const }] }, false],
    [{ EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'WriteOnly' as const }] }, true],
    [
      { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] },
      true,
    ],
    [
      {
        AdvancedEventSelectors: [
          {
            FieldSelectors: [
              { Field: 'eventCategory', Equals: ['Management'] },
              { Field: 'readOnly', Equals: ['true'] },
            ],
          },
        ],
      },
      false,
    ],
    [{ AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] }, false],
  ])('reads event selectors %j: usable=%s', async (selectors, usable) => {
    healthy();
    ct.on(GetEventSelectorsCommand).resolves(selectors);
    expect(check(await runDoctor({ region }, clients), 'CloudTrail trail is logging').ok).toBe(usable);
  });

  it('reports each preference that does not stream to the monitored group', async () => {
    healthy();
    ssm.on(GetDocumentCommand).resolves({
      Content: JSON.stringify({
        inputs: { cloudWatchLogGroupName: '/other', cloudWatchStreamingEnabled: false },
      }),
    });
    const report = await runDoctor({ region }, clients);
    expect(report.ok).toBe(false);
    expect(check(report, 'Preferences log to the monitored group')).toMatchObject({
      ok: false,
      detail: 'sessions log to /other',
    });
    expect(check(report, 'Preferences stream (not only at session end)')).toMatchObject({ ok: false });
    expect(check(report, 'Preferences require an encrypted log group')).toMatchObject({ ok: false });
    const text = formatDoctorReport(report);
    expect(text).toContain('✘ Preferences log to the monitored group: sessions log to /other');
    expect(text).toContain('    fix: deploy with {"stack":{"managePreferences":true}}');
    expect(text).toContain('3 check(s) failed.');
  });

  it('says so when the preferences document does not exist', async () => {
    healthy();
    ssm.on(GetDocumentCommand).rejects(notFound('InvalidDocument'));
    const c = check(await runDoctor({ region }, clients), 'Session Manager preferences exist');
    expect(c).toMatchObject({
      ok: false,
      detail: 'SSM-SessionManagerRunShell does not exist: sessions are not logged',
    });
  });

  it('fails without our subscription filter or without the log group', async () => {
    healthy();
    logs
      .on(DescribeSubscriptionFiltersCommand)
      .resolves({ subscriptionFilters: [{ filterName: 'someone-else' }] });
    expect(check(await runDoctor({ region }, clients), 'Session log subscription')).toMatchObject({
      ok: false,
      detail: '/ssm-sentinel/sessions has no ssm-sentinel-transcripts subscription filter',
    });
    logs.on(DescribeSubscriptionFiltersCommand).rejects(notFound('ResourceNotFoundException'));
    expect(check(await runDoctor({ region }, clients), 'Session log subscription').detail).toBe(
      'log group /ssm-sentinel/sessions does not exist',
    );
  });

  it('names missing and disabled rules, following pagination', async () => {
    healthy();
    const rules = DETECTION.map((n) => ({
      Name: `ssm-sentinel-${n}`,
      State: n === 'tampering-logs' ? RuleState.DISABLED : RuleState.ENABLED,
    }));
    events
      .on(ListRulesCommand, { EventBusName: undefined })
      .resolvesOnce({ Rules: rules.slice(0, 3), NextToken: 't1' })
      .resolvesOnce({ Rules: rules.slice(3).filter((r) => r.Name !== 'ssm-sentinel-tampering-sns') });
    const c = check(await runDoctor({ region }, clients), 'Detection rules on the default bus');
    expect(c).toMatchObject({
      ok: false,
      detail: 'missing ssm-sentinel-tampering-sns; disabled ssm-sentinel-tampering-logs',
    });
    expect(
      events.commandCalls(ListRulesCommand, { EventBusName: undefined })[1]!.args[0].input.NextToken,
    ).toBe('t1');
  });

  it('accepts a forwarding region and fails when the findings bus is missing', async () => {
    healthy();
    events.on(ListRulesCommand, { EventBusName: 'ssm-sentinel-findings' }).resolves({
      Rules: ['to-log', 'to-home'].map((n) => ({ Name: `ssm-sentinel-findings-${n}`, State: 'ENABLED' })),
    });
    expect(check(await runDoctor({ region }, clients), 'Findings bus rules').ok).toBe(true);
    events
      .on(ListRulesCommand, { EventBusName: 'ssm-sentinel-findings' })
      .rejects(notFound('ResourceNotFoundException'));
    expect(check(await runDoctor({ region }, clients), 'Findings bus rules').detail).toBe(
      'event bus ssm-sentinel-findings does not exist',
    );
  });

  it('turns an API error into a failed check instead of throwing', async () => {
    healthy();
    ct.on(DescribeTrailsCommand).rejects(
      Object.assign(new Error('User is not authorized\nmore'), { name: 'AccessDeniedException' }),
    );
    const report = await runDoctor({ region }, clients);
    const c = check(report, 'CloudTrail trail is logging');
    expect(c).toMatchObject({
      ok: false,
      detail: 'could not check (AccessDeniedException: User is not authorized)',
    });
    expect(c.fix).toContain('credentials that may read CloudTrail');
    expect(report.ok).toBe(false);
    expect(report.checks.filter((x) => x.ok)).toHaveLength(7);
  });

  it('checks the timers: the alert digest in the home region, the transcript sweep when it is on', async () => {
    healthy();
    const without = (name: string) =>
      events.on(ListRulesCommand, { EventBusName: undefined }).resolves({
        Rules: [...DETECTION, ...TIMERS]
          .filter((n) => n !== name)
          .map((n) => ({ Name: `ssm-sentinel-${n}`, State: 'ENABLED' })),
      });
    without('alert-digest');
    expect(check(await runDoctor({ region }, clients), 'Timers')).toMatchObject({
      ok: false,
      detail: 'missing ssm-sentinel-alert-digest',
    });
    // A forwarding region sends its findings home: no digest there.
    events.on(ListRulesCommand, { EventBusName: 'ssm-sentinel-findings' }).resolves({
      Rules: ['to-log', 'to-home'].map((n) => ({ Name: `ssm-sentinel-findings-${n}`, State: 'ENABLED' })),
    });
    expect(check(await runDoctor({ region }, clients), 'Timers').ok).toBe(true);
    healthy();
    without('transcript-sweep');
    expect(check(await runDoctor({ region }, clients), 'Timers').ok).toBe(false);
    const off = parseConfig({ missingTranscript: { enabled: false } });
    expect(check(await runDoctor({ region, config: off }, clients), 'Timers').ok).toBe(true);
  });
});
