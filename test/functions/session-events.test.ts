import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoPreferencesStore, DynamoSessionStore } from '#shared/aws/state';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';
import {
  ALL_PLANTED,
  crashTrace,
  expectSafeError,
  leaks,
  malformedShapes,
  metricSum,
  PLANTED,
  stringPaths,
  thrownBy,
  withAllStrings,
  withStringAt,
} from './hostile';

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
const START = readFileSync(new URL('../../tools/invoke-events/start-session.json', import.meta.url), 'utf8');
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
  const { handler } = await import('#functions/session-events/handler');
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

  it('knows the stack key from OWN_KEYS: disabling it by ARN is CRITICAL tampering, another key is not', async () => {
    const own = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    vi.stubEnv('OWN_KEYS', own);
    try {
      const run = await loadHandler();
      const disableKey = (keyId: string) => {
        const ev = startEvent();
        Object.assign(ev.detail, {
          eventSource: 'kms.amazonaws.com',
          eventName: 'DisableKey',
          requestParameters: { keyId },
          responseElements: null,
        });
        return ev;
      };
      await run(disableKey(own.replace('1234abcd', '9999abcd')));
      expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
      await run(disableKey(own));
      const findings = published()[0] ?? [];
      expect(findings.map((f) => [f.ruleId, f.severity])).toEqual([
        ['monitor-resource-tampering', 'CRITICAL'],
      ]);
    } finally {
      vi.stubEnv('OWN_KEYS', '');
    }
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

  it('fails the invocation when the bus refuses the findings, naming only the error', async () => {
    const run = await loadHandler();
    eb.on(PutEventsCommand).rejects(
      Object.assign(new Error(`entry ${PLANTED.awsKey} refused`), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error = await thrownBy(() => run(startEvent()));
    expect(error).toMatchObject({
      name: 'AccessDeniedException',
      message: 'AccessDeniedException (HTTP 400)',
    });
    expect(output.text()).toContain('"message":"invocation failed"');
    expect(leaks(output.text())).toEqual([]);
  });
});

describe('session-events handler on hostile input', () => {
  /** Everything the handler wrote or sent: logs and metrics, PutEvents entries, the state table. */
  async function everything(errors: unknown[]): Promise<string> {
    const items = await db.client.send(new ScanCommand({ TableName: tableName }));
    return [
      output.text(),
      JSON.stringify(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input)),
      JSON.stringify(items.Items ?? []),
      ...errors.map((e) => `${(e as Error).name}: ${(e as Error).message}`),
    ].join('\n');
  }

  it('rejects every malformed shape with a safe one-line error, a log line and a Failed metric', async () => {
    const run = await loadHandler();
    const shapes = malformedShapes();
    const errors: unknown[] = [];
    for (const [name, event] of shapes) {
      const error = await thrownBy(() => run(event));
      expect(error, name).toBeDefined();
      expectSafeError(error);
      expect((error as Error).name, name).toBe('MalformedEvent');
      errors.push(error);
    }
    const lines = output.text().split('\n');
    expect(lines.filter((l) => l.includes('"message":"CloudTrail event not classified"'))).toHaveLength(
      shapes.length,
    );
    expect(metricSum(output.text(), 'Failed')).toBe(shapes.length);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    const all = await everything(errors);
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  });

  it('logs eventID, eventName and errorCode only when they have their CloudTrail shape', async () => {
    const run = await loadHandler();
    for (const value of Object.values(PLANTED)) {
      const ev = startEvent();
      // A source that is not a string keeps the event from being skipped as another service's.
      Object.assign(ev.detail, { eventID: value, errorCode: value, eventName: value, eventSource: 5 });
      expectSafeError(await thrownBy(() => run(ev)));
    }
    const logged = output
      .text()
      .split('\n')
      .filter((l) => l.includes('not classified'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toHaveLength(Object.keys(PLANTED).length);
    for (const line of logged) {
      expect(line).toMatchObject({ eventId: 'invalid', errorCode: 'invalid', eventName: 'invalid' });
    }
    expect(leaks(output.text())).toEqual([]);
  });

  it('leaks no value planted in any string field, and still classifies what stays valid', async () => {
    const run = await loadHandler();
    const good = startEvent();
    const paths = stringPaths(good);
    expect(paths.length).toBeGreaterThan(30);
    const plants = Object.values(PLANTED);
    const errors: unknown[] = [];
    let processed = 0;
    // Each field in turn: the planted value appended (often still valid) and in place of the value.
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const f of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED]) {
        const error = await thrownBy(() => run(withStringAt(good, path, f)));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        } else processed++;
      }
    }
    // And everywhere at once.
    errors.push(await thrownBy(() => run(withAllStrings(good, () => ALL_PLANTED))));
    expect(processed).toBeGreaterThan(paths.length);
    expect(eb.commandCalls(PutEventsCommand).length).toBeGreaterThan(0);
    const all = await everything(errors.filter(Boolean));
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  });

  it('processes a good event after a bad one in the same warm container', async () => {
    const run = await loadHandler();
    await expect(run({ detail: ALL_PLANTED })).rejects.toThrow(/not classified/);
    await run(startEvent());
    expect(published()).toHaveLength(1);
    expect(output.text()).toContain('"Processed"');
  });
});
