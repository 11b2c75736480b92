import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
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
  SeenStore,
  SessionRecord,
  SessionStore,
  TerminationGuard,
  TranscriptScope,
  TranscriptWatch,
  WindowStore,
} from '../state/types';
import { storableSession } from '../state/types';
import { type Backoff, backoffDelay } from './retry';

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

  /**
   * Set `last` to `timeMs` unless it already holds that or a later time: one conditional update, no
   * read first; a lost race or a late, older time is a failed condition, which changes nothing.
   */
  protected async raise(pk: string, timeMs: number, expiration?: number): Promise<void> {
    const names: Record<string, string> = { '#last': 'last' };
    const values: Record<string, unknown> = { ':t': timeMs };
    let set = '#last = :t';
    if (expiration !== undefined) {
      names['#exp'] = 'expiration';
      values[':exp'] = expiration;
      set += ', #exp = :exp';
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: `SET ${set}`,
          ConditionExpression: 'attribute_not_exists(#last) OR #last < :t',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
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
    const seen = await this.members(key, timeMs, windowMs);
    seen.delete(eventId);
    return seen.size;
  }

  /** Reads the two buckets, writes nothing. Bounded by the buckets' size: `limit` only trims the answer. */
  async members(key: string, timeMs: number, windowMs: number, limit?: number): Promise<Set<string>> {
    const bucket = Math.floor(timeMs / windowMs);
    const [current, previous] = await Promise.all([
      this.getItem(`window#${key}#${bucket}`),
      this.getItem(`window#${key}#${bucket - 1}`),
    ]);
    const all = inWindow([...asStrings(current?.ids), ...asStrings(previous?.ids)], timeMs, windowMs);
    return limit === undefined || all.size <= limit ? all : new Set([...all].slice(0, limit));
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

/**
 * Last time per key (`seen#<key>`, attribute `last`): first seen. `mark` is one conditional update that
 * only ever raises `last` (a late, older event changes nothing; no read first), kept `ttlDays` from now.
 */
export class DynamoSeenStore extends TableStore implements SeenStore {
  /**
   * The baseline start once read: it only ever moves earlier, and a warm instance that still holds a
   * later one only learns a little longer. Saves a read and a write per session start.
   */
  private sinceKnown: number | undefined;

  async last(key: string): Promise<number | undefined> {
    const item = await this.getItem(`seen#${key}`);
    return typeof item?.last === 'number' ? item.last : undefined;
  }

  async mark(key: string, timeMs: number, ttlDays: number): Promise<void> {
    await this.raise(`seen#${key}`, timeMs, this.expiresInDays(ttlDays));
  }

  /** `baseline#seen`, attribute `since`, no TTL: one item for the stack's whole life. */
  async since(): Promise<number | undefined> {
    if (this.sinceKnown !== undefined) return this.sinceKnown;
    const item = await this.getItem(BASELINE_PK);
    if (typeof item?.since === 'number') this.sinceKnown = item.since;
    return this.sinceKnown;
  }

  /**
   * Only ever lowers `since` (one conditional update; a failed condition is ignored). Every start
   * calls it: once the baseline is known to be at or before `timeMs`, there is nothing to write.
   */
  async begin(timeMs: number): Promise<void> {
    if (this.sinceKnown !== undefined && this.sinceKnown <= timeMs) return;
    this.sinceKnown = undefined;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: BASELINE_PK },
          UpdateExpression: 'SET #since = :t',
          ConditionExpression: 'attribute_not_exists(#since) OR #since > :t',
          ExpressionAttributeNames: { '#since': 'since' },
          ExpressionAttributeValues: { ':t': timeMs },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

const BASELINE_PK = 'baseline#seen';

/** Transcript arrivals are kept this long: the sweep asks within a day of a session's due time. */
export const TRANSCRIPT_TTL_DAYS = 3;
/** Streaming marks outlive the sweep's streaming window (7 days) by a day. */
export const STREAMING_TTL_DAYS = 8;
/**
 * Due buckets are kept (and read) this far back: at least the sweep's MAX_LOOKBACK_MS
 * (shared/pipeline/silence.ts; a test holds the two equal). `due` refuses a wider range.
 */
export const DUE_KEEP_MS = 24 * 3_600_000;
/** Members per due bucket: `<sessionId>@<dueMs>` is at most 146 bytes, so a full bucket stays below MAX_ITEM_BYTES. */
export const MAX_DUE_IDS = 2_000;
/** SSM session ids are at most 96 characters; a longer one would break the bucket's size bound. */
export const MAX_SESSION_ID_CHARS = 128;
/** An instance skips re-writing an arrival mark it wrote this recently (see DynamoTranscriptWatch). */
export const ARRIVAL_MEMO_MS = 10 * 60_000;
const MINUTE_MS = 60_000;
/** BatchGetItem takes at most 100 keys. */
const BATCH_KEYS = 100;
const UNPROCESSED_BACKOFF: Backoff = { maxAttempts: 8, baseMs: 50, capMs: 2_000 };
const MEMO_ENTRIES = 2_000;

export interface TranscriptWatchOptions extends TableOptions {
  /** Told when an expectation is not kept (full bucket, oversized id, bad time), e.g. for a metric. */
  onDropped?: (reason: 'bucket-full' | 'id-too-long' | 'bad-time') => void;
  /** Waits between BatchGetItem retries of unprocessed keys (tests). */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * The missing-transcript timer's state:
 * - `due#<minute>` (minute = floor(dueMs / 60 000)): string set `ids` of `<sessionId>@<dueMs>`, grown
 *   with ADD (atomic, idempotent), at most MAX_DUE_IDS members. Past that an expectation is dropped:
 *   `dropped` counts the attempts on the bucket and `onDropped` is told; thousands of shell sessions
 *   due in one minute already raise other alarms. Expires DUE_KEEP_MS and a day after its due time.
 * - `transcript#<sessionId>`: a transcript arrived (TRANSCRIPT_TTL_DAYS).
 * - `streaming#<account>#<region>`: `last` = the latest arrival time, only ever raised (STREAMING_TTL_DAYS).
 * - `sweep#cursor`: `last` = where the sweep stopped, only ever advanced; no TTL.
 * The exact due time is kept in each member, so `due` is exact to the millisecond, not to the minute.
 *
 * `arrived` runs for every transcript delivery, many per session: an instance that wrote the same
 * transcript or streaming mark within ARRIVAL_MEMO_MS skips the write. A skipped streaming mark is then
 * at most that much behind, immaterial against the 7-day streaming window; a skipped transcript mark
 * already exists. The memo holds at most MEMO_ENTRIES keys, the least recently written dropped first.
 */
export class DynamoTranscriptWatch extends TableStore implements TranscriptWatch {
  private readonly onDropped: TranscriptWatchOptions['onDropped'];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly written = new Map<string, number>();

  constructor(options: TranscriptWatchOptions) {
    super(options);
    this.onDropped = options.onDropped;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async expect(sessionId: string, dueMs: number): Promise<void> {
    if (!Number.isFinite(dueMs)) return this.onDropped?.('bad-time');
    if (sessionId.length > MAX_SESSION_ID_CHARS) return this.onDropped?.('id-too-long');
    const member = `${sessionId}@${dueMs}`;
    const pk = `due#${Math.floor(dueMs / MINUTE_MS)}`;
    const names = { '#exp': 'expiration' };
    const exp = Math.ceil((dueMs + DUE_KEEP_MS) / 1000) + DAY_S;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD #ids :m SET #exp = :exp',
          ConditionExpression: 'attribute_not_exists(#ids) OR size(#ids) < :max OR contains(#ids, :one)',
          ExpressionAttributeNames: { ...names, '#ids': 'ids' },
          ExpressionAttributeValues: {
            ':m': new Set([member]),
            ':one': member,
            ':max': Math.min(this.maxSetIds, MAX_DUE_IDS),
            ':exp': exp,
          },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'ADD #drop :one SET #exp = :exp',
          ExpressionAttributeNames: { ...names, '#drop': 'dropped' },
          ExpressionAttributeValues: { ':one': 1, ':exp': exp },
        }),
      );
      this.onDropped?.('bucket-full');
    }
  }

  async arrived(sessionId: string, timeMs: number, scope?: TranscriptScope): Promise<void> {
    const writes: Array<[string, () => Promise<void>]> = [
      [
        `transcript#${sessionId}`,
        async () => {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { pk: `transcript#${sessionId}`, expiration: this.expiresInDays(TRANSCRIPT_TTL_DAYS) },
            }),
          );
        },
      ],
    ];
    const pk = streamingKey(scope);
    if (pk && Number.isFinite(timeMs))
      writes.push([pk, () => this.raise(pk, timeMs, this.expiresInDays(STREAMING_TTL_DAYS))]);
    await Promise.all(
      writes
        .filter(([key]) => !this.recentlyWritten(key))
        .map(async ([key, write]) => {
          await write();
          this.noteWritten(key);
        }),
    );
  }

  /**
   * Reads every minute bucket that can hold a due time in [fromMs, toMs) with BatchGetItem (100 keys a
   * call, unprocessed keys retried with backoff), at most DUE_KEEP_MS / 1 min + 1 buckets.
   */
  async due(fromMs: number, toMs: number): Promise<string[]> {
    if (!(toMs > fromMs)) return [];
    if (toMs - fromMs > DUE_KEEP_MS)
      throw new RangeError(`due range wider than ${DUE_KEEP_MS} ms (buckets are kept no longer)`);
    const keys: string[] = [];
    for (let m = Math.floor(fromMs / MINUTE_MS); m * MINUTE_MS < toMs; m++) keys.push(`due#${m}`);
    const entries: Array<{ id: string; dueMs: number }> = [];
    for (let i = 0; i < keys.length; i += BATCH_KEYS) {
      for (const item of await this.batchGet(keys.slice(i, i + BATCH_KEYS), 'ids')) {
        for (const member of asStrings(item.ids)) {
          const at = member.lastIndexOf('@');
          const dueMs = Number(member.slice(at + 1));
          if (at > 0 && dueMs >= fromMs && dueMs < toMs) entries.push({ id: member.slice(0, at), dueMs });
        }
      }
    }
    return inDueOrder(entries);
  }

  async transcriptSeen(sessionId: string): Promise<boolean> {
    return (await this.getItem(`transcript#${sessionId}`)) !== undefined;
  }

  /**
   * Only the latest arrival is kept, so this is "the latest arrival is at or after atMs - withinMs":
   * one later than atMs counts too (streaming is a standing set-up). A scope without account or
   * Region matches nothing: false, and nothing is read.
   */
  async streaming(scope: TranscriptScope, atMs: number, withinMs: number): Promise<boolean> {
    const pk = streamingKey(scope);
    if (!pk) return false;
    const last = (await this.getItem(pk))?.last;
    return typeof last === 'number' && last >= atMs - withinMs;
  }

  async cursor(): Promise<number | undefined> {
    const last = (await this.getItem('sweep#cursor'))?.last;
    return typeof last === 'number' ? last : undefined;
  }

  /** Never moves the cursor back: a slower, overlapping sweep that finishes last changes nothing. */
  async advance(toMs: number): Promise<void> {
    await this.raise('sweep#cursor', toMs);
  }

  private recentlyWritten(key: string): boolean {
    const at = this.written.get(key);
    return at !== undefined && this.now() - at < ARRIVAL_MEMO_MS && this.now() >= at;
  }

  private noteWritten(key: string): void {
    this.written.delete(key);
    this.written.set(key, this.now());
    if (this.written.size > MEMO_ENTRIES) {
      const oldest = this.written.keys().next().value;
      if (oldest !== undefined) this.written.delete(oldest);
    }
  }

  private async batchGet(keys: readonly string[], attribute: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let pending: Array<Record<string, unknown>> = keys.map((pk) => ({ pk }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (attempt >= UNPROCESSED_BACKOFF.maxAttempts)
          throw new Error(`BatchGetItem left ${pending.length} keys unprocessed after ${attempt} attempts`);
        await this.sleep(backoffDelay(attempt - 1, UNPROCESSED_BACKOFF, this.random));
      }
      const out = await this.doc.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: pending,
              ConsistentRead: true,
              ProjectionExpression: '#a',
              ExpressionAttributeNames: { '#a': attribute },
            },
          },
        }),
      );
      items.push(...(out.Responses?.[this.tableName] ?? []));
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return items;
  }
}

/** `streaming#<account>#<region>`, or undefined when either is unknown. */
function streamingKey(scope: TranscriptScope | undefined): string | undefined {
  return scope?.account && scope.region ? `streaming#${scope.account}#${scope.region}` : undefined;
}

/** Ids by due time (then id, for a stable order), each once at its earliest due time. */
export function inDueOrder(entries: Array<{ id: string; dueMs: number }>): string[] {
  entries.sort((a, b) => a.dueMs - b.dueMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...new Set(entries.map((e) => e.id))];
}
