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
import { stableId } from '../ids';
import { type IncidentSubject, IncidentSubjectSchema } from '../model/digest';
import { SEVERITIES, type Severity } from '../model/finding';
import type {
  CarryOverStore,
  IncidentClaim,
  IncidentRecordInput,
  IncidentRecordResult,
  IncidentStore,
  IncidentWindow,
  NonceStore,
  PreferencesStore,
  SeenStore,
  SessionRecord,
  SessionStore,
  SuppressionKey,
  SuppressionStore,
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
  /** Cap of ids per set (windows, incidents); defaults to MAX_SET_IDS. */
  maxSetIds?: number;
}

const DAY_S = 86_400;
/** DescribeSessions keeps 30 days of history; session records outlive that a little. */
export const SESSION_TTL_DAYS = 35;
/** Alert incidents outlive the longest session (24 h) and a week of digests. */
export const INCIDENT_TTL_DAYS = 7;
export const CARRY_TTL_DAYS = 2;
/** DynamoDB items are at most 400 KB; keep every attribute well below. */
export const MAX_ITEM_BYTES = 350_000;
/** Distinct ids kept per set; past this a window counts without de-dup. */
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
  private readonly buckets: DueBuckets;
  private readonly written = new Map<string, number>();

  constructor(options: TranscriptWatchOptions) {
    super(options);
    this.onDropped = options.onDropped;
    this.buckets = new DueBuckets(
      this.doc,
      this.tableName,
      'due',
      Math.min(this.maxSetIds, MAX_DUE_IDS),
      options,
    );
  }

  async expect(sessionId: string, dueMs: number): Promise<void> {
    if (!Number.isFinite(dueMs)) return this.onDropped?.('bad-time');
    if (sessionId.length > MAX_SESSION_ID_CHARS) return this.onDropped?.('id-too-long');
    if (!(await this.buckets.add(sessionId, dueMs))) this.onDropped?.('bucket-full');
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

  async due(fromMs: number, toMs: number): Promise<string[]> {
    return inDueOrder(await this.buckets.read(fromMs, toMs));
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

interface DueBucketOptions {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Minute buckets of ids by due time, for the timers (transcript sweep, incident digests):
 * `<prefix>#<minute>` (minute = floor(dueMs / 60 000)) holds a string set `ids` of `<id>@<dueMs>`,
 * grown with ADD (atomic, idempotent), at most `maxIds` members; past that an id is not kept and the
 * bucket's `dropped` counts the attempts. A bucket expires DUE_KEEP_MS and a day after its minute.
 */
class DueBuckets {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly prefix: string,
    private readonly maxIds: number,
    options: DueBucketOptions = {},
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** false when the bucket is full and the id was not kept. */
  async add(id: string, dueMs: number): Promise<boolean> {
    const member = `${id}@${dueMs}`;
    const pk = `${this.prefix}#${Math.floor(dueMs / MINUTE_MS)}`;
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
            ':max': this.maxIds,
            ':exp': exp,
          },
        }),
      );
      return true;
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
      return false;
    }
  }

  /**
   * Every id due in [fromMs, toMs), exact to the millisecond (each member keeps its due time): reads
   * every minute bucket of the range with BatchGetItem (100 keys a call, unprocessed keys retried with
   * backoff), at most DUE_KEEP_MS / 1 min + 1 buckets.
   */
  async read(fromMs: number, toMs: number): Promise<Array<{ id: string; dueMs: number }>> {
    if (!(toMs > fromMs)) return [];
    if (toMs - fromMs > DUE_KEEP_MS)
      throw new RangeError(`due range wider than ${DUE_KEEP_MS} ms (buckets are kept no longer)`);
    const keys: string[] = [];
    for (let m = Math.floor(fromMs / MINUTE_MS); m * MINUTE_MS < toMs; m++) keys.push(`${this.prefix}#${m}`);
    const entries: Array<{ id: string; dueMs: number }> = [];
    for (let i = 0; i < keys.length; i += BATCH_KEYS) {
      for (const item of await this.batchGet(keys.slice(i, i + BATCH_KEYS))) {
        for (const member of asStrings(item.ids)) {
          const at = member.lastIndexOf('@');
          const dueMs = Number(member.slice(at + 1));
          if (at > 0 && dueMs >= fromMs && dueMs < toMs) entries.push({ id: member.slice(0, at), dueMs });
        }
      }
    }
    return entries;
  }

  private async batchGet(keys: readonly string[]): Promise<Record<string, unknown>[]> {
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
              ExpressionAttributeNames: { '#a': 'ids' },
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

/** Findings kept by id per incident window (`<ruleId>\t<severity>\t<id>`, under 200 bytes each). */
export const MAX_WINDOW_FINDINGS = 1_000;
/** Members per digest due bucket (`<32 hex>#<window>@<ms>`, about 55 bytes). */
export const MAX_DIGEST_DUE = 5_000;
/** Tries to find an open window: each failed try means another writer opened or closed one meanwhile. */
const INCIDENT_ATTEMPTS = 8;
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);

export interface IncidentStoreOptions extends TableOptions, DueBucketOptions {
  /** Told when a window's due time is not kept (full bucket): its digest is never sent. */
  onDropped?: () => void;
}

type Attrs = Record<string, unknown>;

/**
 * Alert incidents (shared/state/types.ts IncidentStore), all single-item conditional writes:
 * - `inc#<h>` (h = hash of the incident key): `win` = the current window, `start`/`end` its open and
 *   close time, `subj` = the incident subject (JSON, first writer wins), and for session incidents
 *   `first`/`crit` = the finding ids that claimed the opening and the CRITICAL alert (if_not_exists:
 *   exactly one writer's id sticks; a retry of the same finding finds its own id and sends again).
 *   A finding joins `win` while `end` is ahead of it; otherwise it opens `win + 1`, conditional on
 *   `win` being what it read, so concurrent openers agree on one window.
 * - `incw#<h>#<n>`: window n's findings as a string set `ids` of `<ruleId>\t<severity>\t<id>` (ADD:
 *   atomic, idempotent), past MAX_WINDOW_FINDINGS counted in `o\t<ruleId>\t<severity>`; the first
 *   excerpt per rule in `x\t<ruleId>`; principal incidents' `first`/`crit` claims (per window). Every
 *   write is conditional on the window not being `closed`: the digest sweep's claim sets `closed`, so
 *   a write either lands before the claim (and is in the digest) or fails and goes to window n + 1.
 * - `idue#<minute>`: due buckets of `<h>#<n>@<end>` (see DueBuckets); `digest#cursor`: the sweep's cursor.
 */
export class DynamoIncidentStore extends TableStore implements IncidentStore {
  private readonly buckets: DueBuckets;
  private readonly onDropped: (() => void) | undefined;

  constructor(options: IncidentStoreOptions) {
    super(options);
    this.onDropped = options.onDropped;
    this.buckets = new DueBuckets(
      this.doc,
      this.tableName,
      'idue',
      Math.min(this.maxSetIds, MAX_DIGEST_DUE),
      options,
    );
  }

  async record(input: IncidentRecordInput): Promise<IncidentRecordResult> {
    const h = stableId('incident', input.key);
    let closed = 0;
    for (let attempt = 0; attempt < INCIDENT_ATTEMPTS; attempt++) {
      const inc = await this.openWindow(h, input, closed);
      if (!inc) continue;
      const win = Number(inc.win);
      const end = Number(inc.end);
      // Every finding (re)registers its window: ADD is idempotent, and a writer that stopped between
      // opening a window and registering it would otherwise leave it without a digest.
      if (!(await this.buckets.add(`${h}#${win}`, end))) this.onDropped?.();
      const counted = await this.count(h, win, Number(inc.start), end, input);
      if (!counted) {
        closed = win;
        continue;
      }
      const claims = input.scope === 'session' ? inc : counted;
      const id = input.finding.id;
      const immediate = claims.first === id ? 'opened' : claims.crit === id ? 'escalated' : undefined;
      return { window: win, closesAtMs: end, ...(immediate ? { immediate } : {}) };
    }
    throw new Error(`no open incident window after ${INCIDENT_ATTEMPTS} attempts`);
  }

  /** Join the open window (after `closed`), or open the next one; undefined when a race was lost. */
  private async openWindow(
    h: string,
    input: IncidentRecordInput,
    closed: number,
  ): Promise<Attrs | undefined> {
    const pk = `inc#${h}`;
    const claims = input.scope === 'session' ? claimSet(input) : { set: [], names: {}, values: {} };
    const names = { '#win': 'win', '#end': 'end', '#subj': 'subj', '#exp': 'expiration', ...claims.names };
    const values = {
      ':now': input.nowMs,
      ':subj': JSON.stringify(input.subject),
      ':exp': this.expiresInDays(INCIDENT_TTL_DAYS),
      ...claims.values,
    };
    const common = ['#subj = if_not_exists(#subj, :subj)', '#exp = :exp', ...claims.set];
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: `SET ${common.join(', ')}`,
          ConditionExpression: 'attribute_exists(#win) AND #end > :now AND #win > :closed',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':closed': closed },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const current = (await this.getItem(pk))?.win;
    const cur = typeof current === 'number' ? current : 0;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: `SET #win = :next, #start = :now, #end = :end, ${common.join(', ')}`,
          // Only over the window it read, and only once that one is over (closed by time or by a sweep).
          ConditionExpression:
            cur === 0 ? 'attribute_not_exists(#win)' : '#win = :cur AND (#end <= :now OR #win <= :closed)',
          ExpressionAttributeNames: { ...names, '#start': 'start' },
          ExpressionAttributeValues: {
            ...values,
            ':next': cur + 1,
            ':end': input.nowMs + input.windowMs,
            ...(cur === 0 ? {} : { ':cur': cur, ':closed': closed }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return undefined;
    }
  }

  /** Count the finding in window `win`; undefined when the window was closed by a digest sweep. */
  private async count(
    h: string,
    win: number,
    start: number,
    end: number,
    input: IncidentRecordInput,
  ): Promise<Attrs | undefined> {
    const pk = `incw#${h}#${win}`;
    const f = input.finding;
    const claims = input.scope === 'principal' ? claimSet(input) : { set: [], names: {}, values: {} };
    const set = ['#opened = if_not_exists(#opened, :start)', '#end = :end', '#exp = :exp', ...claims.set];
    const names: Record<string, string> = {
      '#opened': 'opened',
      '#end': 'end',
      '#exp': 'expiration',
      '#closed': 'closed',
      ...claims.names,
    };
    const values: Record<string, unknown> = {
      ':start': start,
      ':end': end,
      ':exp': this.expiresInDays(INCIDENT_TTL_DAYS),
      ...claims.values,
    };
    if (f.excerpt) {
      set.push('#x = if_not_exists(#x, :x)');
      names['#x'] = `x\t${f.ruleId}`;
      values[':x'] = f.excerpt;
    }
    const entry = `${f.ruleId}\t${f.severity}\t${f.id}`;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: `ADD #ids :entry SET ${set.join(', ')}`,
          ConditionExpression:
            'attribute_not_exists(#closed) AND (attribute_not_exists(#ids) OR size(#ids) < :max OR contains(#ids, :one))',
          ExpressionAttributeNames: { ...names, '#ids': 'ids' },
          ExpressionAttributeValues: {
            ...values,
            ':entry': new Set([entry]),
            ':one': entry,
            ':max': Math.min(this.maxSetIds, MAX_WINDOW_FINDINGS),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    if ((await this.getItem(pk))?.closed) return undefined;
    // A full window: counted without its id (a re-delivery counts twice there; the notifier's
    // idempotency layer keeps re-deliveries rare).
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: `ADD #over :one SET ${set.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(#closed)',
          ExpressionAttributeNames: { ...names, '#over': `o\t${f.ruleId}\t${f.severity}` },
          ExpressionAttributeValues: { ...values, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return undefined;
    }
  }

  async due(
    fromMs: number,
    toMs: number,
  ): Promise<Array<{ key: string; window: number; closesAtMs: number }>> {
    const out: Array<{ key: string; window: number; closesAtMs: number }> = [];
    for (const { id, dueMs } of await this.buckets.read(fromMs, toMs)) {
      const at = id.lastIndexOf('#');
      const window = Number(id.slice(at + 1));
      if (at > 0 && Number.isSafeInteger(window) && window > 0)
        out.push({ key: id.slice(0, at), window, closesAtMs: dueMs });
    }
    out.sort(
      (a, b) => a.closesAtMs - b.closesAtMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.window - b.window),
    );
    return out;
  }

  async claim(key: string, window: number, nowMs: number, leaseUntilMs: number): Promise<IncidentClaim> {
    const pk = `incw#${key}#${window}`;
    let attrs: Attrs | undefined;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk },
          UpdateExpression: 'SET #closed = :t, #lease = :until',
          ConditionExpression:
            'attribute_exists(#opened) AND attribute_not_exists(#dig) AND (attribute_not_exists(#lease) OR #lease < :now)',
          ExpressionAttributeNames: {
            '#closed': 'closed',
            '#lease': 'lease',
            '#opened': 'opened',
            '#dig': 'digested',
          },
          ExpressionAttributeValues: { ':t': true, ':until': leaseUntilMs, ':now': nowMs },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attrs = out.Attributes;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const item = await this.getItem(pk);
      return !item || item.digested || item.opened === undefined ? { status: 'done' } : { status: 'busy' };
    }
    const inc = (await this.getItem(`inc#${key}`)) ?? {};
    return { status: 'claimed', window: windowOf(key, window, attrs ?? {}, inc) };
  }

  async digested(key: string, window: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `incw#${key}#${window}` },
        UpdateExpression: 'SET #dig = :t REMOVE #lease',
        ExpressionAttributeNames: { '#dig': 'digested', '#lease': 'lease' },
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }

  async cursor(): Promise<number | undefined> {
    const last = (await this.getItem('digest#cursor'))?.last;
    return typeof last === 'number' ? last : undefined;
  }

  async advance(toMs: number): Promise<void> {
    await this.raise('digest#cursor', toMs);
  }
}

/** `first`/`crit` claims of one finding (crit only for a CRITICAL one), first writer wins. */
function claimSet(input: IncidentRecordInput): {
  set: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const set = ['#first = if_not_exists(#first, :fid)'];
  const names: Record<string, string> = { '#first': 'first' };
  if (input.finding.severity === 'CRITICAL') {
    set.push('#crit = if_not_exists(#crit, :fid)');
    names['#crit'] = 'crit';
  }
  return { set, names, values: { ':fid': input.finding.id } };
}

/** A claimed window item (and its incident item) as the core's IncidentWindow. */
function windowOf(key: string, window: number, attrs: Attrs, inc: Attrs): IncidentWindow {
  const counts = new Map<string, { ruleId: string; severity: Severity; count: number }>();
  const add = (ruleId: string, severity: string, n: number) => {
    if (!SEVERITY_SET.has(severity) || !(n > 0)) return;
    const k = `${ruleId}\t${severity}`;
    const c = counts.get(k);
    if (c) c.count += n;
    else counts.set(k, { ruleId, severity: severity as Severity, count: n });
  };
  const ids = new Set<string>();
  for (const member of asStrings(attrs.ids)) {
    const [ruleId, severity, id] = member.split('\t');
    if (ruleId && severity && id) {
      add(ruleId, severity, 1);
      ids.add(id);
    }
  }
  const excerpts: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(attrs)) {
    const parts = name.split('\t');
    if (parts[0] === 'o' && parts.length === 3 && typeof value === 'number') add(parts[1]!, parts[2]!, value);
    if (parts[0] === 'x' && parts.length === 2 && typeof value === 'string') excerpts[parts[1]!] = value;
  }
  const claims = attrs.first !== undefined ? attrs : inc;
  const alerted = new Set([claims.first, claims.crit].filter((id) => typeof id === 'string' && ids.has(id)));
  return {
    key,
    window,
    subject: subjectOf(inc.subj),
    openedAtMs: typeof attrs.opened === 'number' ? attrs.opened : 0,
    closesAtMs: typeof attrs.end === 'number' ? attrs.end : 0,
    counts: [...counts.values()],
    excerpts,
    alerted: alerted.size,
  };
}

function subjectOf(json: unknown): IncidentSubject {
  try {
    const parsed = IncidentSubjectSchema.safeParse(JSON.parse(String(json)));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through: only a hand-edited item has no readable subject
  }
  return { scope: 'session', category: 'session-start' };
}

/** `<ruleId>\u0000<principal>\u0000<target>` hashed: the item key names no principal or target. */
function suppressionPk(key: SuppressionKey): string {
  return `supp#${stableId('suppression', key.ruleId, key.principal, key.target)}`;
}

/**
 * Suppressions from Slack's "Suppress similar": `supp#<hash>` with `until` (ms) and a TTL a day past
 * it. A put overwrites: the latest choice wins. Expired items are ignored before DynamoDB's TTL
 * deletes them (TTL deletion lags by up to days).
 */
export class DynamoSuppressionStore extends TableStore implements SuppressionStore {
  async put(key: SuppressionKey, untilMs: number): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: suppressionPk(key), until: untilMs, expiration: Math.ceil(untilMs / 1000) + DAY_S },
      }),
    );
  }

  async until(key: SuppressionKey, nowMs: number): Promise<number | undefined> {
    const until = (await this.getItem(suppressionPk(key)))?.until;
    return typeof until === 'number' && until > nowMs ? until : undefined;
  }
}

/**
 * One-time tokens (`nonce#<hash>`): a conditional put succeeds once; the item expires with the token.
 * The hash keeps the token itself (a request signature) out of the table.
 */
export class DynamoNonceStore extends TableStore implements NonceStore {
  async claim(nonce: string, expiresAtMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `nonce#${stableId('nonce', nonce)}`, expiration: Math.ceil(expiresAtMs / 1000) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  }
}
