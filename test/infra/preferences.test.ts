import {
  CreateDocumentCommand,
  DeleteDocumentCommand,
  GetDocumentCommand,
  SSMClient,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { preferencesDocument } from '#infra/preferences/document';
import { apply, type CustomResourceEvent, respond } from '#infra/preferences/provider';
import { parseConfig } from '#shared/model/config';

const ssm = mockClient(SSMClient);
const client = new SSMClient({ region: 'eu-west-1' });
const NAME = 'SSM-SessionManagerRunShell';
const OURS = '{"inputs":{"cloudWatchLogGroupName":"/ssm-sentinel/sessions"}}';
const THEIRS = '{"inputs":{"cloudWatchLogGroupName":""}}';

function ev(
  type: CustomResourceEvent['RequestType'],
  physical?: string,
  content = OURS,
): CustomResourceEvent {
  return {
    RequestType: type,
    ResponseURL: 'https://cloudformation-custom-resource-response.example/abc',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'Doc',
    PhysicalResourceId: physical,
    ResourceProperties: { DocumentName: NAME, Content: content },
  };
}

const invalid = (name: string) => Object.assign(new Error(name), { name });

beforeEach(() => ssm.reset());

describe('preferences document', () => {
  it('streams to the group with the configured timeouts and run-as user', () => {
    const config = parseConfig({
      stack: { idleSessionTimeoutMinutes: 15, maxSessionDurationMinutes: 120, runAsUser: 'ssm-user' },
    });
    expect(preferencesDocument(config, '/g', true).inputs).toMatchObject({
      cloudWatchLogGroupName: '/g',
      cloudWatchStreamingEnabled: true,
      cloudWatchEncryptionEnabled: true,
      idleSessionTimeout: '15',
      maxSessionDuration: '120',
      runAsEnabled: true,
      runAsDefaultUser: 'ssm-user',
    });
    expect(preferencesDocument(parseConfig({}), '/g', false).inputs).toMatchObject({
      cloudWatchEncryptionEnabled: false,
      runAsEnabled: false,
    });
  });
});

describe('preferences provider', () => {
  it('creates the document when there is none and deletes it again on delete', async () => {
    ssm.on(GetDocumentCommand).rejects(invalid('InvalidDocument'));
    ssm.on(CreateDocumentCommand).resolves({});
    const id = await apply(client, ev('Create'));
    expect(id).toBe(`${NAME}#created`);
    expect(ssm.commandCalls(CreateDocumentCommand)[0]!.args[0].input).toMatchObject({
      Name: NAME,
      DocumentType: 'Session',
      Content: OURS,
    });

    ssm.on(DeleteDocumentCommand).resolves({});
    await apply(client, ev('Delete', id));
    expect(ssm.commandCalls(DeleteDocumentCommand)[0]!.args[0].input).toEqual({ Name: NAME });
  });

  it('takes over an existing document, remembering its default version, and restores it on delete', async () => {
    ssm.on(GetDocumentCommand, { Name: NAME }).resolves({ DocumentVersion: '3', Content: THEIRS });
    ssm.on(UpdateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '4' } });
    ssm.on(UpdateDocumentDefaultVersionCommand).resolves({});
    const id = await apply(client, ev('Create'));
    expect(id).toBe(`${NAME}#previous=3`);
    expect(ssm.commandCalls(UpdateDocumentDefaultVersionCommand)[0]!.args[0].input).toEqual({
      Name: NAME,
      DocumentVersion: '4',
    });

    ssm.reset();
    ssm
      .on(GetDocumentCommand, { Name: NAME, DocumentVersion: '3' })
      .resolves({ DocumentVersion: '3', Content: THEIRS });
    ssm.on(UpdateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '5' } });
    await apply(client, ev('Delete', id));
    expect(ssm.commandCalls(UpdateDocumentCommand)[0]!.args[0].input.Content).toBe(THEIRS);
    expect(ssm.commandCalls(UpdateDocumentDefaultVersionCommand)[0]!.args[0].input).toEqual({
      Name: NAME,
      DocumentVersion: '5',
    });
    expect(ssm.commandCalls(DeleteDocumentCommand)).toHaveLength(0);
  });

  it('makes identical content the default instead of failing', async () => {
    ssm.on(UpdateDocumentCommand).rejects(invalid('DuplicateDocumentContent'));
    ssm.on(GetDocumentCommand, { Name: NAME, DocumentVersion: '$LATEST' }).resolves({ DocumentVersion: '7' });
    const id = await apply(client, ev('Update', `${NAME}#previous=3`));
    expect(id).toBe(`${NAME}#previous=3`);
    expect(ssm.commandCalls(UpdateDocumentDefaultVersionCommand)[0]!.args[0].input).toEqual({
      Name: NAME,
      DocumentVersion: '7',
    });
  });

  it('deletes cleanly after a failed create and when the document is already gone', async () => {
    await apply(client, ev('Delete', `${NAME}#failed`));
    expect(ssm.calls()).toHaveLength(0);
    ssm.on(DeleteDocumentCommand).rejects(invalid('InvalidDocument'));
    await expect(apply(client, ev('Delete', `${NAME}#created`))).resolves.toBe(`${NAME}#created`);
  });

  it('surfaces other errors', async () => {
    ssm.on(GetDocumentCommand).rejects(invalid('AccessDeniedException'));
    await expect(apply(client, ev('Create'))).rejects.toThrow('AccessDeniedException');
  });

  it('answers CloudFormation with the physical id', async () => {
    const put = vi.fn(async () => new Response(''));
    await respond(ev('Create'), 'FAILED', 'x#failed', 'because', put as unknown as typeof fetch);
    const [url, init] = put.mock.calls[0]! as unknown as [string, RequestInit];
    expect(url).toBe('https://cloudformation-custom-resource-response.example/abc');
    expect(init.method).toBe('PUT');
    expect(JSON.parse(init.body as string)).toEqual({
      Status: 'FAILED',
      Reason: 'because',
      PhysicalResourceId: 'x#failed',
      StackId: 'stack',
      RequestId: 'req',
      LogicalResourceId: 'Doc',
    });
  });
});
