import {
  DescribeSessionsCommand,
  type DescribeSessionsCommandInput,
  GetDocumentCommand,
  SSMClient,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmPreferencesSource, SsmSessionControl } from '#shared/aws/ssm';

const ssm = mockClient(SSMClient);
const client = new SSMClient({ region: 'us-east-1' });

beforeEach(() => {
  ssm.reset();
});

describe('SsmPreferencesSource', () => {
  it('returns the inputs of the Session document', async () => {
    const inputs = {
      s3BucketName: '',
      cloudWatchLogGroupName: 'ssm-sessions',
      cloudWatchStreamingEnabled: true,
    };
    ssm.on(GetDocumentCommand).resolves({
      Content: JSON.stringify({ schemaVersion: '1.0', sessionType: 'Standard_Stream', inputs }),
    });
    expect(await new SsmPreferencesSource(client).current('SSM-SessionManagerRunShell')).toEqual(inputs);
    expect(ssm.commandCalls(GetDocumentCommand).map((c) => c.args[0].input)).toEqual([
      { Name: 'SSM-SessionManagerRunShell', DocumentFormat: 'JSON' },
    ]);
  });

  it.each([
    ['a failed call', () => ssm.on(GetDocumentCommand).rejects(new Error('InvalidDocument'))],
    ['content that is not JSON', () => ssm.on(GetDocumentCommand).resolves({ Content: 'inputs: [' })],
    ['no inputs', () => ssm.on(GetDocumentCommand).resolves({ Content: '{"schemaVersion":"1.0"}' })],
    ['no content', () => ssm.on(GetDocumentCommand).resolves({})],
  ])('returns undefined for %s', async (_name, arrange) => {
    arrange();
    expect(await new SsmPreferencesSource(client).current('SSM-SessionManagerRunShell')).toBeUndefined();
  });
});

describe('SsmSessionControl', () => {
  const id = 'alice-0123456789abcdef0';
  const activeInput: DescribeSessionsCommandInput = {
    State: 'Active',
    Filters: [{ key: 'SessionId', value: id }],
  };
  const historyInput: DescribeSessionsCommandInput = {
    State: 'History',
    Filters: [{ key: 'SessionId', value: id }],
  };

  it('reports an active session after one call', async () => {
    ssm
      .on(DescribeSessionsCommand, activeInput)
      .resolves({ Sessions: [{ SessionId: id, Status: 'Connected' }] });
    expect(await new SsmSessionControl(client).status(id)).toBe('active');
    expect(ssm.commandCalls(DescribeSessionsCommand).map((c) => c.args[0].input)).toEqual([activeInput]);
  });

  it('reports a terminating active session as ended', async () => {
    ssm
      .on(DescribeSessionsCommand, activeInput)
      .resolves({ Sessions: [{ SessionId: id, Status: 'Terminating' }] });
    expect(await new SsmSessionControl(client).status(id)).toBe('ended');
  });

  it('looks in the history next', async () => {
    ssm.on(DescribeSessionsCommand, activeInput).resolves({ Sessions: [] });
    ssm
      .on(DescribeSessionsCommand, historyInput)
      .resolves({ Sessions: [{ SessionId: id, Status: 'Terminated' }] });
    expect(await new SsmSessionControl(client).status(id)).toBe('ended');
    expect(ssm.commandCalls(DescribeSessionsCommand).map((c) => c.args[0].input)).toEqual([
      activeInput,
      historyInput,
    ]);
  });

  it('reports unknown when neither list has the session', async () => {
    ssm.on(DescribeSessionsCommand).resolves({ Sessions: [] });
    expect(await new SsmSessionControl(client).status(id)).toBe('unknown');
  });

  it('terminates with TerminateSession', async () => {
    ssm.on(TerminateSessionCommand).resolves({ SessionId: id });
    await new SsmSessionControl(client).terminate(id);
    expect(ssm.commandCalls(TerminateSessionCommand).map((c) => c.args[0].input)).toEqual([
      { SessionId: id },
    ]);
  });
});
