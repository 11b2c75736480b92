/**
 * Local invoke: `npm run invoke -- <function> <event.json>` runs one handler on this machine with
 * every AWS call answered locally, then prints the calls it would have sent (command + input, with
 * transcript text, binary state and credentials masked). DynamoDB is an in-memory dynalite table,
 * so state (sessions, incidents, idempotency) behaves as deployed; the other services return
 * canned answers; Slack webhook posts are answered with 200 and never leave the machine.
 *
 *   npm run invoke -- session-events tools/invoke-events/start-session.json
 *   npm run invoke -- transcripts tools/invoke-events/session-log.json
 *   npm run invoke -- responder tools/invoke-events/finding.json
 *   npm run invoke -- transcript-sweep tools/invoke-events/scheduled-event.json
 *   npm run invoke -- alert-digest tools/invoke-events/scheduled-event.json
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { ComprehendClient, DetectPiiEntitiesCommand } from '@aws-sdk/client-comprehend';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  DescribeSessionsCommand,
  type DescribeSessionsCommandInput,
  GetDocumentCommand,
  GetParameterCommand,
  SSMClient,
  TerminateSessionCommand,
} from '@aws-sdk/client-ssm';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { describeError, InputError } from '#shared/errors';
import { field } from '#shared/format/sanitize';
import { localContext } from './local-context';

const FUNCTIONS = [
  'session-events',
  'transcripts',
  'transcript-sweep',
  'responder',
  'notifier',
  'alert-digest',
  'slack',
  'securityhub',
] as const;
const FAKE_WEBHOOK = 'https://hooks.slack.com/services/T00000000/B00000000/local-invoke-placeholder';

export interface RecordedCall {
  service: string;
  command: string;
  input: unknown;
}

/** Show an SDK input without raw content: transcript text, binary state, webhook URLs. */
export function maskInput(value: unknown, key = ''): unknown {
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof Set) return [...value].map((v) => maskInput(v, key));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    if (/^(text|message|content)$/i.test(key) && value.length > 0) return `[${value.length} characters]`;
    if (/hooks\.slack\.com/i.test(value)) return '[webhook URL]';
    if (key === 'Detail' || key === 'Message') {
      try {
        return maskInput(JSON.parse(value), '');
      } catch {
        return `[${value.length} characters]`;
      }
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => maskInput(v, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskInput(v, k)]));
  }
  return value;
}

async function startTable(tableName: string): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const setup = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await setup.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  setup.destroy();
  return { endpoint, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Answer every AWS client the handlers use. DynamoDB calls are recorded, then forwarded to the local
 * table with the original (unmocked) send; the rest get canned answers shaped like the real ones.
 */
function installMocks(endpoint: string, calls: RecordedCall[]): Array<{ restore(): void }> {
  const record = (service: string) => (input: object, command: string) =>
    calls.push({ service, command, input });
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
  const localDdb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
  const localDoc = DynamoDBDocumentClient.from(localDdb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  // The unmocked send, captured before the stubs replace it on the prototypes.
  const realDoc = DynamoDBDocumentClient.prototype.send as (this: unknown, cmd: unknown) => Promise<unknown>;
  const realDdb = DynamoDBClient.prototype.send as (this: unknown, cmd: unknown) => Promise<unknown>;

  const doc = mockClient(DynamoDBDocumentClient);
  const ddb = mockClient(DynamoDBClient);
  const forward = (
    // biome-ignore lint/suspicious/noExplicitAny: one loop over commands of different input types
    stub: AwsStub<any, any, any>,
    // biome-ignore lint/suspicious/noExplicitAny: same
    Cmd: new (input: any) => object,
    send: (cmd: unknown) => Promise<unknown>,
  ) => {
    stub.on(Cmd as never).callsFake((input: object) => {
      record('DynamoDB')(input, Cmd.name.replace(/Command$/, ''));
      return send(new Cmd(input));
    });
  };
  for (const Cmd of [GetCommand, PutCommand, UpdateCommand, DeleteCommand, BatchGetCommand]) {
    forward(doc, Cmd, (cmd) => realDoc.call(localDoc, cmd));
  }
  // Powertools idempotency (notifier) uses the low-level client.
  for (const Cmd of [GetItemCommand, PutItemCommand, UpdateItemCommand, DeleteItemCommand]) {
    forward(ddb, Cmd, (cmd) => realDdb.call(localDdb, cmd));
  }

  const ec2 = mockClient(EC2Client);
  ec2.on(DescribeInstancesCommand).callsFake((input) => {
    record('EC2')(input, 'DescribeInstances');
    const ids: string[] = input.InstanceIds ?? [];
    return {
      Reservations: [
        { Instances: ids.map((id) => ({ InstanceId: id, Tags: [{ Key: 'Environment', Value: 'prod' }] })) },
      ],
    };
  });

  const ssm = mockClient(SSMClient);
  ssm.on(GetDocumentCommand).callsFake((input) => {
    record('SSM')(input, 'GetDocument');
    const inputs = {
      cloudWatchLogGroupName: '/ssm-sentinel/sessions',
      cloudWatchStreamingEnabled: true,
      kmsKeyId: 'alias/ssm',
    };
    return {
      Name: input.Name,
      Content: JSON.stringify({ schemaVersion: '1.0', sessionType: 'Standard_Stream', inputs }),
    };
  });
  ssm.on(DescribeSessionsCommand).callsFake((input: DescribeSessionsCommandInput) => {
    record('SSM')(input, 'DescribeSessions');
    const id = input.Filters?.find((f) => f.key === 'SessionId')?.value;
    return { Sessions: input.State === 'Active' && id ? [{ SessionId: id, Status: 'Connected' }] : [] };
  });
  ssm.on(TerminateSessionCommand).callsFake((input) => {
    record('SSM')(input, 'TerminateSession');
    return { SessionId: input.SessionId };
  });
  ssm.on(GetParameterCommand).callsFake((input) => {
    record('SSM')(input, 'GetParameter');
    return { Parameter: { Name: input.Name, Type: 'SecureString', Value: FAKE_WEBHOOK } };
  });

  const eb = mockClient(EventBridgeClient);
  eb.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
    record('EventBridge')(input, 'PutEvents');
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `local-${i}` })) };
  });

  const comprehend = mockClient(ComprehendClient);
  comprehend.on(DetectPiiEntitiesCommand).callsFake((input) => {
    record('Comprehend')(input, 'DetectPiiEntities');
    return { Entities: [] };
  });

  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).callsFake((input) => {
    record('SNS')(input, 'Publish');
    return { MessageId: '00000000-0000-4000-8000-000000000001' };
  });

  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).callsFake((input) => {
    record('SecretsManager')(input, 'GetSecretValue');
    return { Name: input.SecretId, SecretString: FAKE_WEBHOOK };
  });

  const hub = mockClient(SecurityHubClient);
  hub.on(BatchImportFindingsCommand).callsFake((input) => {
    record('SecurityHub')(input, 'BatchImportFindings');
    return { FailedCount: 0, SuccessCount: input.Findings?.length ?? 0, FailedFindings: [] };
  });

  return [doc, ddb, ec2, ssm, eb, comprehend, sns, secrets, hub];
}

/** Capture fetch (Slack webhook posts) so nothing leaves the machine. */
function installFetch(calls: RecordedCall[]): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    let parsed: unknown = body;
    try {
      parsed = JSON.parse(body);
    } catch {
      // Not JSON: shown as its length only.
    }
    calls.push({
      service: 'HTTPS',
      command: `${init?.method ?? 'GET'} ${maskInput(String(url))}`,
      input: parsed,
    });
    return new Response('ok', { status: 200 });
  };
  return () => {
    globalThis.fetch = original;
  };
}

const DEFAULT_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local-invoke',
  AWS_SECRET_ACCESS_KEY: 'local-invoke',
  TABLE_NAME: 'ssm-sentinel-local',
  BUS_NAME: 'ssm-sentinel',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:ssm-sentinel-alerts',
  SLACK_WEBHOOK_SECRET: 'ssm-sentinel/slack-webhook',
  PII_MODE: 'comprehend',
  POWERTOOLS_SERVICE_NAME: 'ssm-sentinel-local',
};

export interface InvokeResult {
  calls: RecordedCall[];
  error?: Error;
}

/** Run one handler on one event with all AWS calls answered locally. */
export async function invoke(fn: string, event: unknown): Promise<InvokeResult> {
  if (!(FUNCTIONS as readonly string[]).includes(fn)) {
    throw new InputError(`unknown function ${field(fn, 40)}: expected one of ${FUNCTIONS.join(', ')}`);
  }
  const entry = new URL(`../functions/${fn}/handler.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(entry)))
    throw new InputError(`function ${fn} has no handler in this checkout`);
  for (const [k, v] of Object.entries(DEFAULT_ENV)) process.env[k] ??= v;
  const table = await startTable(process.env.TABLE_NAME ?? DEFAULT_ENV.TABLE_NAME!);
  const calls: RecordedCall[] = [];
  const stubs = installMocks(table.endpoint, calls);
  const restoreFetch = installFetch(calls);
  try {
    const mod = (await import(entry.href)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
    await mod.handler(event, localContext(fn));
    return { calls };
  } catch (e) {
    return { calls, error: e instanceof Error ? e : new Error(String(e)) };
  } finally {
    restoreFetch();
    for (const s of stubs) s.restore();
    await table.close();
  }
}

/** The `npm run invoke` command: prints the calls and one result line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [fn, file] = argv;
  if (!fn || !file) {
    process.stderr.write(`usage: npm run invoke -- <${FUNCTIONS.join('|')}> <event.json>\n`);
    return 2;
  }
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    process.stderr.write(`cannot read event ${field(file, 200)}: ${describeError(e)}\n`);
    return 2;
  }
  const result = await invoke(fn, event);
  const lines = [`\n--- ${fn}: ${result.calls.length} AWS call(s) it would have sent ---`];
  for (const c of result.calls) {
    lines.push(
      `${c.service} ${c.command} ${inspect(maskInput(c.input), { depth: 8, breakLength: 120, colors: false })}`,
    );
  }
  // One line, whatever the error: handlers throw safe messages; anything else is described, not dumped.
  lines.push(result.error ? `--- handler failed: ${describeError(result.error)}` : '--- handler succeeded');
  process.stdout.write(`${lines.join('\n')}\n`);
  return result.error ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${describeError(e)}\n`);
      process.exitCode = 2;
    },
  );
}
