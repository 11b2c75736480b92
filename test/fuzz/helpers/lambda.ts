import { gunzipSync } from 'node:zlib';
import { BatchWriteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { crashTrace, unsafeCharAt } from './plant';

/**
 * Invoking a handler in the fuzz suite: what it threw (message, name, stack and JSON, as the Lambda
 * runtime would report it to CloudWatch and the dead-letter queue), and the state it left in DynamoDB.
 */

export interface Invoked {
  threw: boolean;
  /** Everything the runtime could print of the error; empty when the handler resolved. */
  error: string;
  name?: string;
}

export async function invoke(run: () => Promise<unknown>): Promise<Invoked> {
  try {
    await run();
    return { threw: false, error: '' };
  } catch (e) {
    if (!(e instanceof Error)) return { threw: true, error: String(e), name: typeof e };
    let json = '';
    try {
      json = JSON.stringify(e);
    } catch {
      json = '(not serialisable)';
    }
    return { threw: true, error: `${e.name}: ${e.message}\n${e.stack ?? ''}\n${json}`, name: e.name };
  }
}

/**
 * Problems with a thrown error that lands in the DLQ and the log: an internal error class (a crash
 * rather than a refusal), a message over several lines, control characters.
 */
export function unsafeError(i: Invoked): string[] {
  if (!i.threw) return [];
  const out: string[] = [];
  const message = i.error.split('\n')[0] ?? '';
  if (i.name && /^(TypeError|RangeError|ReferenceError|SyntaxError)$/.test(i.name)) {
    out.push(`crashed with ${i.name}: ${message.slice(0, 160)}`);
  }
  const trace = crashTrace(message);
  if (trace && !out.length) out.push(`internal error in the message: ${trace}`);
  const unsafe = unsafeCharAt(message);
  if (unsafe) out.push(`control character in the error: ${unsafe}`);
  return out;
}

/** Every item of the table, as JSON; gzip-compressed binary attributes decoded (carry-over state). */
export async function tableText(
  client: DynamoDBClient,
  tableName: string,
): Promise<{ items: string; gz: string }> {
  const items: unknown[] = [];
  let gz = '';
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start as never }),
    );
    for (const item of page.Items ?? []) {
      items.push(item);
      for (const attr of Object.values(item)) {
        const b = attr.B;
        if (b && b[0] === 0x1f && b[1] === 0x8b) gz += `${gunzipSync(b).toString('utf8')}\n`;
      }
    }
    start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
  } while (start);
  return { items: JSON.stringify(items), gz };
}

/** Deletes every item (the handler keeps its warm-container state; the table starts empty again). */
export async function clearTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const page = await client.send(new ScanCommand({ TableName: tableName, ProjectionExpression: pk }));
  const keys = (page.Items ?? []).map((i) => ({ DeleteRequest: { Key: { pk: i.pk! } } }));
  for (let i = 0; i < keys.length; i += 25) {
    await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: keys.slice(i, i + 25) } }));
  }
}
const pk = 'pk';

/** Deterministic unique ids per case, so idempotency and aggregation never merge two cases. */
export function caseId(n: number, width = 32): string {
  return n.toString(16).padStart(width, '0');
}
