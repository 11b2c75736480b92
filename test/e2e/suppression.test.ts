import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoSuppressionStore } from '#shared/aws/state';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import { atLeast, type Finding, FindingSchema } from '#shared/model/finding';
import { suppressionKeyOf } from '#shared/suppress/key';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';

/**
 * Suppressions end to end on DynamoDB (dynalite): a "Suppress similar" written through the store and a
 * configured suppression, a StartSession and a transcript through their handlers, the published
 * findings marked, then the notifier handler: no SNS alert for a suppressed finding, one for the rest.
 */
const ec2 = mockClient(EC2Client);
const eb = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const db = useDynalite('suppression-e2e');
useLambdaEnv('eu-west-1', {
  BUS_NAME: 'ssm-sentinel-findings',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:ssm-sentinel-alerts',
  PII_MODE: 'off',
  SENTINEL_CONFIG: '',
});

const START = readFileSync(new URL('../../tools/invoke-events/start-session.json', import.meta.url), 'utf8');
const SESSION_ID = 'mallory-0a1b2c3d4e5f60718';
const INSTANCE = 'i-0e57975fb4405c6a9';
const FAR = '2099-01-01T00:00:00Z';

beforeEach(() => {
  for (const m of [ec2, eb, sns]) m.reset();
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE, Tags: [{ Key: 'Environment', Value: 'prod' }] }] }],
  });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

/** The detection functions and the notifier on one fresh table, with this configuration. */
async function loadStack(config: unknown = {}) {
  const tableName = await db.freshTable('suppression');
  vi.stubEnv('SENTINEL_CONFIG', JSON.stringify(config));
  vi.resetModules();
  const events = await import('#functions/session-events/handler');
  const transcripts = await import('#functions/transcripts/handler');
  const notifier = await import('#functions/notifier/handler');
  return {
    suppressions: new DynamoSuppressionStore({ client: db.client, tableName }),
    start: () => events.handler(JSON.parse(START), localContext('session-events')),
    transcript: (line: string) => transcripts.handler(delivery(line), localContext('transcripts')),
    notify: (f: Finding) =>
      notifier.handler(
        {
          version: '0',
          id: `evt-${f.id}`,
          'detail-type': FINDING_DETAIL_TYPE,
          source: FINDING_SOURCE,
          account: '111122223333',
          time: f.time,
          region: 'eu-west-1',
          resources: [],
          detail: f,
        } as never,
        localContext('notifier'),
      ),
  };
}

/** One session-log delivery of the session, one command line. */
function delivery(line: string) {
  const eventTime = '2026-03-01T21:48:00Z';
  const message = {
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/ssm/sessions',
    logStream: SESSION_ID,
    subscriptionFilters: ['ssm-sentinel-transcripts'],
    logEvents: [
      {
        id: '1',
        timestamp: Date.parse(eventTime),
        message: JSON.stringify({
          eventVersion: '1.0',
          eventTime,
          awsRegion: 'eu-west-1',
          target: { id: INSTANCE },
          userIdentity: { arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory' },
          runAsUser: 'ssm-user',
          sessionId: SESSION_ID,
          sessionData: [`[ssm-user@ip-10-0-1-23 ~]$ ${line}`],
        }),
      },
    ],
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') } };
}

/** Findings put on the bus since the last call, parsed as a consumer (log, dashboard) reads them. */
function drainBus(): Finding[] {
  const out = eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => FindingSchema.parse(JSON.parse(e.Detail ?? '{}')));
  eb.resetHistory();
  return out;
}

function drainAlerts(): string[] {
  const ids = sns.commandCalls(PublishCommand).map((c) => {
    const body = JSON.parse(JSON.parse(c.args[0].input.Message ?? '{}').lambda);
    return String(body.id);
  });
  sns.resetHistory();
  return ids;
}

const alertable = (fs: Finding[]) => fs.filter((f) => atLeast(f.severity, 'MEDIUM'));

describe('suppressions on dynalite', () => {
  it('"Suppress similar": marked on the bus, skipped by the notifier even for a finding published before it', async () => {
    // Every finding alerted, so the start's findings of lower severity are the unsuppressed control.
    const stack = await loadStack({ alerts: { minSeverity: 'INFORMATIONAL' } });
    await stack.start();
    const before = drainBus();
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.every((f) => f.suppressed === undefined)).toBe(true);
    const [silenced, other] = before as [Finding, Finding];

    const untilMs = Date.now() + 3_600_000;
    await stack.suppressions.put(suppressionKeyOf(silenced), untilMs);
    // A re-delivery of the start: the same finding, now marked; the others still unmarked.
    await stack.start();
    const after = drainBus();
    expect(after.find((f) => f.id === silenced.id)?.suppressed).toEqual({
      by: 'slack',
      until: new Date(untilMs).toISOString(),
    });
    expect(after.filter((f) => f.id !== silenced.id).every((f) => f.suppressed === undefined)).toBe(true);

    // The notifier asks the store again: the unmarked copy published earlier sends nothing.
    await stack.notify(silenced);
    expect(drainAlerts()).toEqual([]);
    await stack.notify(other);
    expect(drainAlerts()).toEqual([other.id]);
  });

  it('a configured target-tag suppression marks the start; transcript findings (tags unknown) stay alerted', async () => {
    const stack = await loadStack({
      suppressions: [
        {
          rule: '*',
          principal: 'arn:aws:iam::*:role/ContractorAccess',
          targetTag: { key: 'Environment', value: 'prod' },
          expires: FAR,
          reason: 'pen test',
        },
      ],
    });
    await stack.start();
    const starts = drainBus();
    expect(starts.length).toBeGreaterThan(0);
    expect(
      starts.every((f) => f.suppressed?.by === 'config' && f.suppressed.until === '2099-01-01T00:00:00.000Z'),
    ).toBe(true);
    await stack.transcript('history -c');
    const typed = alertable(drainBus());
    expect(typed.length).toBeGreaterThan(0);
    expect(typed.every((f) => f.suppressed === undefined)).toBe(true);

    for (const f of alertable(starts)) await stack.notify(f);
    expect(drainAlerts()).toEqual([]);
    await stack.notify(typed[0]!);
    expect(drainAlerts()).toEqual([typed[0]!.id]);
  });

  it('a configured suppression without a target tag marks transcript findings too', async () => {
    const stack = await loadStack({
      suppressions: [{ rule: '*', principal: '*/mallory', expires: FAR }],
    });
    await stack.transcript('history -c');
    const typed = drainBus();
    expect(typed.length).toBeGreaterThan(0);
    expect(typed.every((f) => f.suppressed?.by === 'config')).toBe(true);
    for (const f of alertable(typed)) await stack.notify(f);
    expect(drainAlerts()).toEqual([]);
  });
});
