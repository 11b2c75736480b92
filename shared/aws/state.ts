import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  AggregationStore,
  CarryOverStore,
  PreferencesStore,
  SessionRecord,
  SessionStore,
  TerminationGuard,
  WindowStore,
} from '../state/types';
import { storableSession } from '../state/types';

/**
 * The single DynamoDB table behind the core's state interfaces. Every item lives under partition key
 * `pk` = `<kind>#<key>`; `expiration` (epoch seconds) is the table's TTL attribute, shared with the
 * Powertools idempotency records. Writes are conditional or atomic updates: no read-modify-write.
 */
export interface TableOptions {
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** Clock for TTLs (tests); defaults to Date.now. */
  now?: () => number;
  /** Cap of ids per set (windows, aggregation); defaults to MAX_SET_IDS. */
  maxSetIds?: number;
}

const DAY_S = 86_400;
/** DescribeSessions keeps 30 days of history; session records outlive that a little. */
export const SESSION_TTL_DAYS = 35;
export const AGGREGATION_TTL_DAYS = 7;
export const CARRY_TTL_DAYS = 2;
/** DynamoDB items are at most 400 KB; keep every attribute well below. */
export const MAX_ITEM_BYTES = 350_000;
/** Distinct ids kept per set; past this an aggregation counts without de-dup. */
export const MAX_SET_IDS = 5_000;

function docClient(client: DynamoDBClient | DynamoDBDocumentClient): DynamoDBDocumentClient {
  if (client instanceof DynamoDBDocumentClient) return client;
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

function isConditionFailure(err: unknown): boolean {
  return (
    err instanceof ConditionalCheckFailedException ||
    (err instanceof Error && err.name === 'ConditionalCheckFailedException')
  );
}

/** Drop undefined members so a document client without removeUndefinedValues accepts the value. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

abstract class TableStore {
  protected readonly doc: DynamoDBDocumentClient;
  protected readonly tableName: string;
  protected readonly now: () => number;
  protected readonly maxSetIds: number;

  constructor(options: TableOptions) {
    this.doc = docClient(options.client);
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.maxSetIds = options.maxSetIds ?? MAX_SET_IDS;
  }

  protected expiresInDays(days: number): number {
    return Math.floor(this.now() / 1000) + days * DAY_S;
  }

  protected async getItem(pk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk }, ConsistentRead: true }),
    );
    return out.Item;
  }
}

/** Session start records (`session#<id>`); `endedAt` is its own attribute so a late start never clears it. */
export class DynamoSessionStore extends TableStore implements SessionStore {
  async get(sessionId: string): Promise<SessionRecord | undefined> {
    const item = await this.getItem(`session#${sessionId}`);
    if (!item) return undefined;
    const rec = isObject(item.rec)
      ? storableSession({ ...item.rec, sessionId } as unknown as SessionRecord)
      : undefined;
    const endedAt = typeof item.endedAt === 'string' ? item.endedAt : undefined;
    if (!rec) return endedAt ? { sessionId, startTime: endedAt, endedAt } : undefined;
    return endedAt ? { ...rec, endedAt } : rec;
  }

  /** Only the members of {@link storableSession}: the reason is its summary, never its text. */
  async put(record: SessionRecord): Promise<void> {
    const { endedAt, ...rec } = storableSession(record);
    const names: Record<string, string> = { '#rec': 'rec', '#exp': 'expiration' };
    const values: Record<string, unknown> = {
      ':rec': plain(rec),
      ':exp': this.expiresInDays(SESSION_TTL_DAYS),
    };
    let set = '#rec = :rec, #exp = :exp';
    if (endedAt) {
      names['#end'] = 'endedAt';
      values[':end'] = endedAt;
      set += ', #end = :end';
    }
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `session#${record.sessionId}` },
        UpdateExpression: `SET ${set}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async markEnded(sessionId: string, time: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `session#${sessionId}` },
        UpdateExpression: 'SET #end = :end, #exp = if_not_exists(#exp, :exp)',
        ExpressionAttributeNames: { '#end': 'endedAt', '#exp': 'expiration' },
        ExpressionAttributeValues: { ':end': time, ':exp': this.expiresInDays(SESSION_TTL_DAYS) },
      }),
    );
  }
}

/**
 * Sliding windows as fixed buckets one window wide (`window#<key>#<bucket>`): the window ending at
 * `timeMs` spans this bucket and the previous one. Each bucket is a string set of `<eventId>@<ms>`
 * grown with ADD (atomic, re-delivery adds nothing) and capped at MAX_SET_IDS members.
 */
export class DynamoWindowStore extends TableStore implements WindowStore {
  async hit(key: string, eventId: string, timeMs: number, windowMs: number): Promise<number> {
    const bucket = Math.floor(timeMs / windowMs);
    const current = await this.addToBucket(key, bucket, `${eventId}@${timeMs}`, timeMs + 2 * windowMs);
    const previous = await this.getItem(`window#${key}#${bucket - 1}`);
    return inWindow([...current, ...asStrings(previous?.ids)], timeMs, windowMs).size;
  }

  /** Reads the two buckets, writes nothing. */
  async count(key: string, eventId: string, timeMs: number, windowMs: number): Promise<number> {
    const bucket = Math.floor(timeMs / windowMs);
    const [current, previous] = await Promise.all([
      this.getItem(`window#${key}#${bucket}`),
      this.getItem(`window#${key}#${bucket - 1}`),
    ]);
    const seen = inWindow([...asStrings(current?.ids), ...asStrings(previous?.ids)], timeMs, windowMs);
    seen.delete(eventId);
    return seen.size;
  }

  private async addToBucket(key: string, bucket: number, member: string, untilMs: number): Promise<string[]> {
    const pk = `window#${key}#${bucket}`;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD #ids :m SET #exp = :exp',
          ConditionExpression: 'attribute_not_exists(#ids) OR size(#ids) < :max OR contains(#ids, :one)',
          ExpressionAttributeNames: { '#ids': 'ids', '#exp': 'expiration' },
          ExpressionAttributeValues: {
            ':m': new Set([member]),
            ':one': member,
            ':max': this.maxSetIds,
            ':exp': Math.ceil(untilMs / 1000) + DAY_S,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return asStrings(out.Attributes?.ids);
    } catch (err) {
      // A full bucket is already far past any burst threshold: count what it holds.
      if (!isConditionFailure(err)) throw err;
      return asStrings((await this.getItem(pk))?.ids);
    }
  }
}

/** Distinct event ids of `<eventId>@<ms>` members within [timeMs - windowMs, timeMs]. */
function inWindow(members: readonly string[], timeMs: number, windowMs: number): Set<string> {
  const seen = new Set<string>();
  for (const member of members) {
    const at = member.lastIndexOf('@');
    const t = Number(member.slice(at + 1));
    if (t >= timeMs - windowMs && t <= timeMs) seen.add(member.slice(0, at));
  }
  return seen;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asStrings(value: unknown): string[] {
  if (value instanceof Set) return [...value].filter((v): v is string => typeof v === 'string');
  return [];
}

export interface CarryOverOptions extends TableOptions {
  /** Called when a state is too large to keep even compressed: it is dropped and the session starts afresh. */
  onOversize?: (sessionId: string, bytes: number) => void;
}

/** Carry-over between deliveries (`carry#<sessionId>`): gzip-compressed JSON, size-bounded, with TTL. */
export class DynamoCarryOverStore<T> extends TableStore implements CarryOverStore<T> {
  private readonly onOversize: ((sessionId: string, bytes: number) => void) | undefined;

  constructor(options: CarryOverOptions) {
    super(options);
    this.onOversize = options.onOversize;
  }

  async get(sessionId: string): Promise<T | undefined> {
    const item = await this.getItem(`carry#${sessionId}`);
    const data = item?.data;
    if (!(data instanceof Uint8Array)) return undefined;
    try {
      return JSON.parse(gunzipSync(data).toString('utf8')) as T;
    } catch {
      // A damaged state is no worse than none: the session continues without it.
      return undefined;
    }
  }

  async put(sessionId: string, state: T): Promise<void> {
    const data = gzipSync(Buffer.from(JSON.stringify(state), 'utf8'));
    const pk = `carry#${sessionId}`;
    if (data.byteLength > MAX_ITEM_BYTES) {
      this.onOversize?.(sessionId, data.byteLength);
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk } }));
      return;
    }
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk, data, expiration: this.expiresInDays(CARRY_TTL_DAYS) },
      }),
    );
  }
}

/** Last seen session preferences per document (`prefs#<name>`), JSON text; kept without TTL. */
export class DynamoPreferencesStore extends TableStore implements PreferencesStore {
  async get(documentName: string): Promise<Record<string, unknown> | undefined> {
    const item = await this.getItem(`prefs#${documentName}`);
    if (typeof item?.prefs !== 'string') return undefined;
    try {
      const parsed: unknown = JSON.parse(item.prefs);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }

  async put(documentName: string, preferences: Record<string, unknown>): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `prefs#${documentName}`, prefs: JSON.stringify(preferences) },
      }),
    );
  }
}

/**
 * Aggregation per key (`agg#<key>`): finding ids in a string set (ADD is atomic and idempotent) and
 * `owner`, set once with if_not_exists to the caller's random token — the caller whose token stuck
 * created the key and is the only one told `first`. Past MAX_SET_IDS ids, `overflow` counts the rest.
 */
export class DynamoAggregationStore extends TableStore implements AggregationStore {
  async record(key: string, findingId: string): Promise<{ first: boolean; count: number }> {
    const token = randomUUID();
    const pk = `agg#${key}`;
    const names = { '#owner': 'owner', '#exp': 'expiration' };
    const common = { ':token': token, ':exp': this.expiresInDays(AGGREGATION_TTL_DAYS) };
    let attrs: Record<string, unknown> | undefined;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD #ids :id SET #owner = if_not_exists(#owner, :token), #exp = :exp',
          ConditionExpression: 'attribute_not_exists(#ids) OR size(#ids) < :max OR contains(#ids, :one)',
          ExpressionAttributeNames: { ...names, '#ids': 'ids' },
          ExpressionAttributeValues: {
            ...common,
            ':id': new Set([findingId]),
            ':one': findingId,
            ':max': this.maxSetIds,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attrs = out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD #over :one SET #owner = if_not_exists(#owner, :token), #exp = :exp',
          ExpressionAttributeNames: { ...names, '#over': 'overflow' },
          ExpressionAttributeValues: { ...common, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attrs = out.Attributes;
    }
    const ids = asStrings(attrs?.ids).length;
    const overflow = typeof attrs?.overflow === 'number' ? attrs.overflow : 0;
    return { first: attrs?.owner === token, count: Math.max(1, ids + overflow) };
  }
}

/**
 * Responder guard: a conditional put claims the session (`term#<id>`, at most once ever), then an
 * atomic counter per hour (`termhour#<hourKey>`) admits at most `maxPerHour`. A capped claim is
 * released so the session can still be handled in a later hour.
 */
export class DynamoTerminationGuard extends TableStore implements TerminationGuard {
  async claim(
    sessionId: string,
    hourKey: string,
    maxPerHour: number,
  ): Promise<'claimed' | 'duplicate' | 'capped'> {
    const pk = `term#${sessionId}`;
    if (maxPerHour <= 0) return (await this.getItem(pk)) ? 'duplicate' : 'capped';
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk, hourKey, expiration: this.expiresInDays(SESSION_TTL_DAYS) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return 'duplicate';
      throw err;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `termhour#${hourKey}` },
          UpdateExpression: 'ADD #n :one SET #exp = :exp',
          ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
          ExpressionAttributeNames: { '#n': 'n', '#exp': 'expiration' },
          ExpressionAttributeValues: { ':one': 1, ':max': maxPerHour, ':exp': this.expiresInDays(2) },
        }),
      );
      return 'claimed';
    } catch (err) {
      await this.release(sessionId);
      if (isConditionFailure(err)) return 'capped';
      throw err;
    }
  }

  /** Give a claim back, e.g. when the termination call itself failed and the event will be retried. */
  async release(sessionId: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: `term#${sessionId}` } }));
  }
}
