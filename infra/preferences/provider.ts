import {
  CreateDocumentCommand,
  DeleteDocumentCommand,
  GetDocumentCommand,
  SSMClient,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
} from '@aws-sdk/client-ssm';

/**
 * Custom resource that owns the Session Manager preferences document.
 *
 * "Previous" means the document's default version at the moment the stack first took it over. The
 * physical id remembers it (`<name>#previous=<version>`, or `<name>#created` when the document did
 * not exist). On delete the content of that version becomes the new latest and default version
 * again; a document the stack created is deleted, so Session Manager falls back to its defaults.
 * SSM keeps every version, so the previous one is still there to read.
 */

export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceProperties: { DocumentName?: string; Content?: string };
}

type Ssm = Pick<SSMClient, 'send'>;

export async function apply(ssm: Ssm, event: CustomResourceEvent): Promise<string> {
  const name = event.ResourceProperties.DocumentName;
  const content = event.ResourceProperties.Content;
  if (!name || !content) throw new Error('DocumentName and Content are required');

  if (event.RequestType === 'Delete') {
    await restore(ssm, event.PhysicalResourceId ?? '');
    return event.PhysicalResourceId ?? name;
  }
  if (event.RequestType === 'Update' && event.PhysicalResourceId?.startsWith(`${name}#`)) {
    await publish(ssm, name, content);
    return event.PhysicalResourceId;
  }
  const previous = await defaultVersion(ssm, name);
  if (previous === undefined) {
    await ssm.send(
      new CreateDocumentCommand({
        Name: name,
        Content: content,
        DocumentType: 'Session',
        DocumentFormat: 'JSON',
      }),
    );
    return `${name}#created`;
  }
  await publish(ssm, name, content);
  return `${name}#previous=${previous}`;
}

/** Undo what the physical id says we did. A document already gone is nothing to restore. */
async function restore(ssm: Ssm, physicalId: string): Promise<void> {
  const [name, state] = physicalId.split('#');
  if (!name || !state) return;
  try {
    if (state === 'created') {
      await ssm.send(new DeleteDocumentCommand({ Name: name }));
      return;
    }
    // Anything else (a failed create) changed nothing.
    const version = /^previous=(\d+)$/.exec(state)?.[1];
    if (version === undefined) return;
    const old = await ssm.send(
      new GetDocumentCommand({ Name: name, DocumentVersion: version, DocumentFormat: 'JSON' }),
    );
    if (old.Content) await publish(ssm, name, old.Content);
  } catch (e) {
    if (errorName(e) !== 'InvalidDocument') throw e;
  }
}

/** Make `content` the latest and default version. */
async function publish(ssm: Ssm, name: string, content: string): Promise<void> {
  let version: string | undefined;
  try {
    const out = await ssm.send(
      new UpdateDocumentCommand({
        Name: name,
        Content: content,
        DocumentVersion: '$LATEST',
        DocumentFormat: 'JSON',
      }),
    );
    version = out.DocumentDescription?.DocumentVersion;
  } catch (e) {
    // Same content as the latest version already: make that one the default.
    if (errorName(e) !== 'DuplicateDocumentContent') throw e;
    const latest = await ssm.send(new GetDocumentCommand({ Name: name, DocumentVersion: '$LATEST' }));
    version = latest.DocumentVersion;
  }
  if (version)
    await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: name, DocumentVersion: version }));
}

async function defaultVersion(ssm: Ssm, name: string): Promise<string | undefined> {
  try {
    const out = await ssm.send(new GetDocumentCommand({ Name: name }));
    return out.DocumentVersion;
  } catch (e) {
    if (errorName(e) === 'InvalidDocument') return undefined;
    throw e;
  }
}

function errorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}

/** CloudFormation waits for this PUT; without it a stack operation hangs for an hour. */
export async function respond(
  event: CustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  physicalId: string,
  reason: string,
  put: typeof fetch = fetch,
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.slice(0, 1000),
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  await put(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
}

const client = new SSMClient({});

export async function handler(event: CustomResourceEvent): Promise<void> {
  const fallbackId =
    event.PhysicalResourceId ?? `${event.ResourceProperties.DocumentName ?? 'preferences'}#failed`;
  try {
    const physicalId = await apply(client, event);
    await respond(event, 'SUCCESS', physicalId, 'ok');
  } catch (e) {
    console.error(JSON.stringify({ level: 'ERROR', message: 'preferences update failed', error: String(e) }));
    await respond(event, 'FAILED', fallbackId, e instanceof Error ? e.message : String(e));
  }
}
