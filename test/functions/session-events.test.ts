import { readFileSync } from 'node:fs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '../../functions/commons/local';
import { DynamoPreferencesStore, DynamoSessionStore } from '../../shared/aws/state';
import type { Finding } from '../../shared/model/finding';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const eb = mockClient(EventBridgeClient);
const db = useDynalite('session-events-test');
const output = useLambdaEnv('eu-west-1', {
  BUS_NAME: 'ssm-sentinel-findings',
  SENTINEL_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'] }),
});
let tableName = '';

type Event = { detail: Record<string, unknown> & { requestParameters: Record<string, unknown> } };
const START = readFileSync(
  new URL('../../functions/invoke-events/start-session.json', import.meta.url),
  'utf8',
);
const startEvent = (): Event => JSON.parse(START);
const SESSION_ID = 'mallory-0a1b2c3d4e5f60718';
const INSTANCE = 'i-0e57975fb4405c6a9';

beforeEach(() => {
  for (const m of [ec2, ssm, eb]) m.reset();
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE, Tags: [{ Key: 'Environment', Value: 'prod' }] }] }],
  });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

/** A fresh handler module (warm-container caches reset) on an empty table. */
async function loadHandler() {
  tableName = await db.freshTable('session-events');
  vi.resetModules();
  const { handler } = await import('../../functions/session-events/handler');
  return (event: unknown) => handler(event, localContext('session-events'));
}

const store = () => ({ client: db.client, tableName });
const published = () =>
  eb.commandCalls(PutEventsCommand).map((c) =>
    (c.args[0].input.Entries ?? []).map((e) => {
      expect(e).toMatchObject({
        EventBusName: 'ssm-sentinel-findings',
        Source: 'ssm-sentinel',
        DetailType: 'SSM Sentinel Finding',
      });
      return JSON.parse(e.Detail ?? '{}') as Finding;
    }),
  );

describe('session-events handler', () => {
  it('classifies a StartSession with EC2 tags, records the session and publishes the findings', async () => {
    const run = await loadHandler();
    await run(startEvent());
    expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceIds: [INSTANCE] },
    ]);
    const calls = published();
    expect(calls).toHaveLength(1);
    const findings = calls[0] ?? [];
    const categories = findings.map((f) => f.category);
    expect(categories).toContain('port-forwarding');
    expect(categories).toContain('production-target');
    expect(categories).toContain('untrusted-network');
    expect(findings.every((f) => f.sessionId === SESSION_ID && f.source === 'cloudtrail')).toBe(true);
    const record = await new DynamoSessionStore(store()).get(SESSION_ID);
    expect(record).toMatchObject({
      sessionId: SESSION_ID,
      target: INSTANCE,
      sourceIp: '203.0.113.77',
      sessionKind: 'port-forward-remote',
      principal: { arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory' },
    });
    expect(output.text()).toMatch(/"SessionKind":"port-forward-remote"[^\n]*"SessionsStarted"/);
    expect(output.text()).toContain('"Processed"');
  });

  it('re-delivery gives the same finding ids and looks the tags up once per warm container', async () => {
    const run = await loadHandler();
    for (let i = 0; i < 3; i++) await run(startEvent());
    const [a, b, c] = published().map((fs) => fs.map((f) => f.id));
    expect(a?.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });

  it('still classifies when EC2 fails (tags unknown)', async () => {
    const run = await loadHandler();
    ec2.on(DescribeInstancesCommand).rejects(new Error('UnauthorizedOperation'));
    await run(startEvent());
    const categories = (published()[0] ?? []).map((f) => f.category);
    expect(categories).toContain('port-forwarding');
    expect(categories).not.toContain('production-target');
  });

  it('publishes nothing for an event it does not handle', async () => {
    const run = await loadHandler();
    const ev = startEvent();
    ev.detail.eventSource = 's3.amazonaws.com';
    ev.detail.eventName = 'GetObject';
    await run(ev);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
  });

  it('marks a session ended on TerminateSession without findings', async () => {
    const run = await loadHandler();
    await run(startEvent());
    const end = startEvent();
    end.detail.eventName = 'TerminateSession';
    end.detail.eventTime = '2026-03-01T22:05:00Z';
    end.detail.eventID = '5b2e8f0c-7a6d-4e3b-8c9f-000000000002';
    end.detail.requestParameters = { sessionId: SESSION_ID };
    end.detail.responseElements = { sessionId: SESSION_ID };
    await run(end);
    expect(published()).toHaveLength(1);
    expect((await new DynamoSessionStore(store()).get(SESSION_ID))?.endedAt).toBe('2026-03-01T22:05:00Z');
  });

  it('reads the preferences document on a change and raises CRITICAL when logging went off', async () => {
    const run = await loadHandler();
    await new DynamoPreferencesStore(store()).put('SSM-SessionManagerRunShell', {
      cloudWatchLogGroupName: '/ssm-sentinel/sessions',
      cloudWatchStreamingEnabled: true,
      kmsKeyId: 'alias/ssm-sessions',
    });
    ssm.on(GetDocumentCommand).resolves({
      Content: JSON.stringify({
        schemaVersion: '1.0',
        sessionType: 'Standard_Stream',
        inputs: { cloudWatchLogGroupName: '', cloudWatchStreamingEnabled: false, kmsKeyId: '' },
      }),
    });
    const ev = startEvent();
    ev.detail.eventName = 'UpdateDocument';
    ev.detail.eventID = '5b2e8f0c-7a6d-4e3b-8c9f-000000000003';
    ev.detail.requestParameters = {
      name: 'SSM-SessionManagerRunShell',
      content: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      documentVersion: '$LATEST',
    };
    ev.detail.responseElements = { documentDescription: { name: 'SSM-SessionManagerRunShell' } };
    await run(ev);
    expect(ssm.commandCalls(GetDocumentCommand).map((c) => c.args[0].input)).toEqual([
      { Name: 'SSM-SessionManagerRunShell', DocumentFormat: 'JSON' },
    ]);
    const findings = published()[0] ?? [];
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ category: 'preferences-tampering', severity: 'CRITICAL' });
  });

  it('logs, counts and rethrows a malformed event (for the retry / dead-letter path)', async () => {
    const run = await loadHandler();
    const ev = startEvent();
    ev.detail.eventTime = 'last tuesday';
    await expect(run(ev)).rejects.toThrow(/^CloudTrail event not classified: .*eventTime/);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(output.text()).toContain('"Failed"');
    expect(output.text()).toContain('"eventId":"5b2e8f0c-7a6d-4e3b-8c9f-abcdefabcdef"');
    await expect(run('not an event')).rejects.toThrow(/not classified/);
  });

  it('fails the invocation when the bus refuses the findings', async () => {
    const run = await loadHandler();
    eb.on(PutEventsCommand).rejects(new Error('AccessDeniedException'));
    await expect(run(startEvent())).rejects.toThrow('AccessDeniedException');
  });
});
