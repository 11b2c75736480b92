import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, vi } from 'vitest';

/** Creates an empty table with the stack's table shape: partition key `pk` (S). */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  // dynalite turns a table ACTIVE on the next tick.
  while (
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus !== 'ACTIVE'
  )
    await new Promise((r) => setTimeout(r, 1));
}

/**
 * A real DynamoDB-protocol server (dynalite, in memory) on 127.0.0.1 with the stack's table shape:
 * partition key `pk` (S), TTL attribute `expiration`. One server per test file; call `stop` in afterAll.
 */
export async function startDynalite(tableName = 'ssm-sentinel-test') {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  await createTable(client, tableName);
  return {
    client,
    tableName,
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Dynalite = Awaited<ReturnType<typeof startDynalite>>;

/**
 * startDynalite as hooks of the calling file or describe block, for handler tests: the server
 * starts in beforeAll with the SDK's DynamoDB endpoint (AWS_ENDPOINT_URL_DYNAMODB) pointed at it,
 * and stops in afterAll. Read `client` and `endpoint` inside tests and hooks only.
 */
export function useDynalite(tableName: string) {
  let db: Dynalite | undefined;
  let tables = 0;
  const started = (): Dynalite => {
    if (!db) throw new Error('dynalite is not running: use it inside tests and hooks');
    return db;
  };
  beforeAll(async () => {
    db = await startDynalite(tableName);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', db.endpoint);
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await db?.stop();
  });
  return {
    get client() {
      return started().client;
    },
    get endpoint() {
      return started().endpoint;
    },
    /** Creates the empty table `<prefix>-<n>` (n counts per file) and makes it the handler's TABLE_NAME. */
    async freshTable(prefix: string): Promise<string> {
      const name = `${prefix}-${++tables}`;
      await createTable(started().client, name);
      vi.stubEnv('TABLE_NAME', name);
      return name;
    },
  };
}
