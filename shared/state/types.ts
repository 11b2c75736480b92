import type { IncidentScope, IncidentSubject } from '../model/digest';
import type { Principal, Severity } from '../model/finding';

/**
 * State the core needs between events. Each is an interface: the CLI uses the in-memory
 * implementations in `./memory.ts`, the Lambdas the DynamoDB adapter in `shared/aws/state.ts`.
 */

/**
 * What is kept of a session's `reason` (free text people fill with ticket numbers, names and worse):
 * that one was given, its length and a short masked excerpt. Never the text itself.
 */
export interface ReasonSummary {
  length: number;
  /** Masked and sanitised (shared/format/redact.ts), at most 80 characters. */
  excerpt: string;
}

/**
 * What we remember of a session from its StartSession event. Every string is display-safe (redacted
 * by the normaliser): state items hold no raw personal data or secret.
 */
export interface SessionRecord {
  sessionId: string;
  startTime: string;
  account?: string;
  region?: string;
  target?: string;
  principal?: Principal;
  sourceIp?: string;
  documentName?: string;
  sessionKind?: string;
  reason?: ReasonSummary;
  /** Set when a TerminateSession was seen (or the responder ended it). */
  endedAt?: string;
}

const RECORD_STRINGS = [
  'startTime',
  'account',
  'region',
  'target',
  'sourceIp',
  'documentName',
  'sessionKind',
  'endedAt',
] as const;

/**
 * The members of a session record a store keeps, and nothing else: a caller that passes more (an
 * old record with the raw reason text, an extra member) does not get it written. Stores call this.
 */
export function storableSession(record: SessionRecord): SessionRecord {
  const out: SessionRecord = { sessionId: record.sessionId, startTime: record.startTime };
  for (const k of RECORD_STRINGS) {
    const v = record[k];
    if (typeof v === 'string') out[k] = v;
  }
  const p = record.principal;
  if (p && typeof p.arn === 'string' && typeof p.type === 'string') {
    out.principal = { arn: p.arn, type: p.type, ...(typeof p.name === 'string' ? { name: p.name } : {}) };
  }
  const r = record.reason;
  if (typeof r === 'object' && r !== null && typeof r.length === 'number' && typeof r.excerpt === 'string') {
    out.reason = { length: r.length, excerpt: r.excerpt };
  }
  return out;
}

export interface SessionStore {
  get(sessionId: string): Promise<SessionRecord | undefined>;
  /** Insert or replace the start record (idempotent for the same record). */
  put(record: SessionRecord): Promise<void>;
  markEnded(sessionId: string, time: string): Promise<void>;
}

/**
 * Sliding-window counter, e.g. denied attempts or fan-out targets per principal. `limit`, when given,
 * lets a count stop early: the answer is then min(exact, limit), and `members` returns at most `limit`
 * ids. Callers compare with a threshold, so a store keeps every call bounded by it on hostile input.
 */
export interface WindowStore {
  /**
   * Record event `eventId` for `key` at `timeMs` and return how many distinct events of `key`
   * fall within [timeMs - windowMs, timeMs]. Recording the same eventId twice counts it once.
   */
  hit(key: string, eventId: string, timeMs: number, windowMs: number, limit?: number): Promise<number>;
  /**
   * Read only: how many distinct events of `key` other than `eventId` fall within
   * [timeMs - windowMs, timeMs]. `count` before `hit` of the same event, plus one, is what `hit` returns.
   */
  count(key: string, eventId: string, timeMs: number, windowMs: number, limit?: number): Promise<number>;
  /** Read only: the distinct event ids of `key` within [timeMs - windowMs, timeMs] (fan-out targets). */
  members(key: string, timeMs: number, windowMs: number, limit?: number): Promise<Set<string>>;
}

/**
 * When each principal last started a session or command (first seen). Keys are hashed. The baseline
 * start is when observation began: "not seen for N days" can only be said once N days were observed.
 */
export interface SeenStore {
  /** When observation began (the earliest time `begin` was given), or undefined before any. */
  since(): Promise<number | undefined>;
  /** Observation covers `timeMs`: the baseline start becomes `timeMs` if that is earlier (or unset). */
  begin(timeMs: number): Promise<void>;
  /** The latest time recorded for `key`, or undefined when none is kept. */
  last(key: string): Promise<number | undefined>;
  /** Record `timeMs` for `key` (an earlier time than the one kept changes nothing), kept `ttlDays`. */
  mark(key: string, timeMs: number, ttlDays: number): Promise<void>;
}

/** Where transcripts come from: the account and Region of a session log (absent = unknown). */
export interface TranscriptScope {
  account?: string;
  region?: string;
}

/**
 * The missing-transcript timer's state: shell sessions whose transcript is due, transcripts that
 * arrived, the accounts and Regions that stream transcripts, and how far the sweep has judged.
 */
export interface TranscriptWatch {
  /** A shell session's transcript is due by `dueMs` (idempotent). */
  expect(sessionId: string, dueMs: number): Promise<void>;
  /** A transcript of the session arrived at `timeMs`; `scope`, when known, now streams transcripts. */
  arrived(sessionId: string, timeMs: number, scope?: TranscriptScope): Promise<void>;
  /** Session ids whose transcript is due within [fromMs, toMs) (each once, in due order). */
  due(fromMs: number, toMs: number): Promise<string[]>;
  /** Any transcript of the session arrived. */
  transcriptSeen(sessionId: string): Promise<boolean>;
  /** Transcripts of this account and Region arrived within `withinMs` before `atMs`. */
  streaming(scope: TranscriptScope, atMs: number, withinMs: number): Promise<boolean>;
  /** Where the sweep stopped: every expectation due before it was judged (undefined: never swept). */
  cursor(): Promise<number | undefined>;
  /** Record that every expectation due before `toMs` was judged. */
  advance(toMs: number): Promise<void>;
}

/** Per-session transcript state carried between deliveries (JSON-serialisable). */
export interface CarryOverStore<T> {
  get(sessionId: string): Promise<T | undefined>;
  put(sessionId: string, state: T): Promise<void>;
}

/** Last known session preferences per document, to diff against a change. */
export interface PreferencesStore {
  get(documentName: string): Promise<Record<string, unknown> | undefined>;
  put(documentName: string, preferences: Record<string, unknown>): Promise<void>;
}

/** Target tags for enrichment (EC2 DescribeInstances in the Lambda, `--target-tags` in the CLI). */
export interface TargetTagSource {
  /** undefined = tags unknown (lookup failed or no such target); never throws. */
  tags(target: string): Promise<Record<string, string> | undefined>;
}

/**
 * Alert incidents (shared/alerts/incident.ts): one per session, or per principal and category for
 * findings without a session. Each incident runs in windows of `windowMs`; the first finding after a
 * window closed opens the next. Every method is one or a few single-item conditional writes: concurrent
 * notifiers and sweeps never lose or double-count a finding.
 */
export interface IncidentFinding {
  id: string;
  ruleId: string;
  severity: Severity;
  /** One masked excerpt (evidence or reason), already bounded. */
  excerpt?: string;
}

export interface IncidentRecordInput {
  /** Stable key: `session:<sessionId>` or `principal:<account>:<principal>:<category>` (hashed by the store). */
  key: string;
  /** Session incidents claim their opening and escalation alerts once per incident; principal incidents once per window. */
  scope: IncidentScope;
  /** Who and where, kept from the incident's first finding for its digests. */
  subject: IncidentSubject;
  finding: IncidentFinding;
  nowMs: number;
  windowMs: number;
}

export interface IncidentRecordResult {
  /** The window the finding was counted in (1 = the incident's first). */
  window: number;
  /** When that window closes and its digest falls due. */
  closesAtMs: number;
  /** This finding's alert goes out now: the incident's (principal: the window's) first, or its first CRITICAL. */
  immediate?: 'opened' | 'escalated';
}

/** A closed window, claimed for its digest by one sweep. */
export interface IncidentWindow {
  key: string;
  window: number;
  subject: IncidentSubject;
  openedAtMs: number;
  closesAtMs: number;
  /** Findings counted per rule and severity (deduplicated by id up to the store's cap, counted past it). */
  counts: Array<{ ruleId: string; severity: Severity; count: number }>;
  /** The first finding's excerpt per rule id. */
  excerpts: Record<string, string>;
  /** How many of the window's findings were sent at once (the opening and escalation alerts). */
  alerted: number;
}

/** `claimed`: the caller sends its digest; `done`: digested already (or unknown); `busy`: leased to another sweep. */
export type IncidentClaim =
  | { status: 'claimed'; window: IncidentWindow }
  | { status: 'done' }
  | { status: 'busy' };

export interface IncidentStore {
  /** Count a finding in its incident's open window (opening the next one if needed). Idempotent per finding id. */
  record(input: IncidentRecordInput): Promise<IncidentRecordResult>;
  /** Windows closing in [fromMs, toMs), in close order; `key` is the store's own (opaque) key. */
  due(fromMs: number, toMs: number): Promise<Array<{ key: string; window: number; closesAtMs: number }>>;
  /**
   * Close a window and lease its digest to the caller until `leaseUntilMs`. A finding arriving after
   * this is counted in the incident's next window.
   */
  claim(key: string, window: number, nowMs: number, leaseUntilMs: number): Promise<IncidentClaim>;
  /** The window's digest went out (or had nothing to say): never claimed again. */
  digested(key: string, window: number): Promise<void>;
  /** Where the digest sweep stopped; only ever advanced. */
  cursor(): Promise<number | undefined>;
  advance(toMs: number): Promise<void>;
}

/** What "Suppress similar" silences: one rule for one principal on one target (either may be absent). */
export interface SuppressionKey {
  ruleId: string;
  principal?: string;
  target?: string;
}

/** Suppressions written from Slack (`supp#<hash>` items with a TTL); config ones are matched in memory. */
export interface SuppressionStore {
  /** Suppress until `untilMs` (a later put of the same key extends or shortens it). */
  put(key: SuppressionKey, untilMs: number): Promise<void>;
  /** When the suppression of exactly this key ends, if it is active at `nowMs`. */
  until(key: SuppressionKey, nowMs: number): Promise<number | undefined>;
}

/** One-time tokens (a Slack request's signature): replay protection. */
export interface NonceStore {
  /** true only for the first claim of `nonce` (kept until `expiresAtMs`); false when seen before. */
  claim(nonce: string, expiresAtMs: number): Promise<boolean>;
}

/** Guard for the responder: at most one termination per session, at most N per hour. */
export interface TerminationGuard {
  claim(sessionId: string, hourKey: string, maxPerHour: number): Promise<'claimed' | 'duplicate' | 'capped'>;
}
