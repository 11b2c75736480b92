import type { IncidentSubject } from '#shared/model/digest';
import type { Severity } from '#shared/model/finding';
import type {
  CarryOverStore,
  IncidentClaim,
  IncidentRecordInput,
  IncidentRecordResult,
  IncidentStore,
  NonceStore,
  PreferencesStore,
  SeenStore,
  SessionRecord,
  SessionStore,
  SuppressionKey,
  SuppressionStore,
  TargetTagSource,
  TerminationGuard,
  TranscriptScope,
  TranscriptWatch,
  WindowStore,
} from '#shared/state/types';
import { storableSession } from '#shared/state/types';

/** In-memory state for the CLI and tests: same contracts as the DynamoDB adapter. */
export class MemorySessionStore implements SessionStore {
  /** Records kept as JSON text: far smaller than live objects (bench: replayPeakRssMB). */
  private readonly sessions = new Map<string, string>();

  /** `maxSessions`: forget the least recently written sessions beyond this many (bounded replays). */
  constructor(private readonly maxSessions = Number.POSITIVE_INFINITY) {}

  async get(sessionId: string) {
    return this.read(sessionId);
  }
  async put(record: SessionRecord) {
    const prev = this.read(record.sessionId);
    const endedAt = record.endedAt ?? prev?.endedAt;
    this.set({ ...storableSession(record), ...(endedAt ? { endedAt } : {}) });
  }
  async markEnded(sessionId: string, time: string) {
    const prev = this.read(sessionId);
    this.set({ ...(prev ?? { sessionId, startTime: time }), endedAt: time });
  }
  private read(sessionId: string): SessionRecord | undefined {
    const text = this.sessions.get(sessionId);
    return text === undefined ? undefined : (JSON.parse(text) as SessionRecord);
  }
  private set(record: SessionRecord) {
    // Re-insert so Map order is write order: the first key is the least recently written.
    this.sessions.delete(record.sessionId);
    this.sessions.set(record.sessionId, JSON.stringify(record));
    if (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
  }
}

/** Times kept per id: one target hammered all window long stays cheap. */
const MAX_TIMES_PER_ID = 8;

/**
 * Per key, the recorded (event id, time) pairs sorted by time, forgetting those more than two windows
 * behind the newest. An id recorded at several times (a fan-out target reached again) counts once and
 * keeps its MAX_TIMES_PER_ID latest times: a query at or after an id's latest time (a replay in time
 * order) is exact; one far back between an id's forgotten times may miss it.
 */
interface Window {
  /** Live from index `head` on: forgetting advances it, the arrays are compacted now and then. */
  head: number;
  times: number[];
  /** The id of each entry of `times`. */
  ids: string[];
  /** Times recorded per id. */
  at: Map<string, number[]>;
  /** Entries whose id has an earlier entry too: while none, a count is two binary searches. */
  repeats: number;
}

export class MemoryWindowStore implements WindowStore {
  private readonly windows = new Map<string, Window>();

  async hit(key: string, eventId: string, timeMs: number, windowMs: number, limit?: number) {
    let w = this.windows.get(key);
    if (!w) {
      w = { head: 0, times: [], ids: [], at: new Map(), repeats: 0 };
      this.windows.set(key, w);
    }
    const times = w.at.get(eventId);
    const full = times !== undefined && times.length >= MAX_TIMES_PER_ID;
    // A full id takes a new time only if it is later than its earliest kept one, which it replaces.
    if (!times?.includes(timeMs) && !(full && timeMs < Math.min(...times))) {
      if (full) forgetEarliest(w, eventId, times);
      const i = upperBound(w.times, timeMs, w.head);
      w.times.splice(i, 0, timeMs);
      w.ids.splice(i, 0, eventId);
      if (times) {
        times.push(timeMs);
        w.repeats++;
      } else w.at.set(eventId, [timeMs]);
      // Forget what lies far behind the newest event, so a long replay stays small.
      forgetBefore(w, w.times[w.times.length - 1]! - 2 * windowMs);
    }
    return distinct(w, timeMs, windowMs, limit).size;
  }

  async count(key: string, eventId: string, timeMs: number, windowMs: number, limit?: number) {
    const w = this.windows.get(key);
    if (!w) return 0;
    // One more than asked: this event itself may be among them.
    const found = distinct(w, timeMs, windowMs, limit === undefined ? undefined : limit + 1);
    const n = found.size - (found.has(eventId) ? 1 : 0);
    return limit === undefined ? n : Math.min(n, limit);
  }

  async members(key: string, timeMs: number, windowMs: number, limit?: number) {
    const w = this.windows.get(key);
    return w ? distinct(w, timeMs, windowMs, limit).ids() : new Set<string>();
  }
}

/**
 * The distinct ids of `w` within [timeMs - windowMs, timeMs], at most `limit` of them (the latest):
 * counted without a set while no id repeats, else collected from the latest entry back until `limit`
 * are found. An id keeps at most MAX_TIMES_PER_ID entries, so that walk is bounded by the limit, not
 * by the window: a principal on 100,000 targets in one window costs each call its threshold, not the
 * window (linear replay on hostile input).
 */
function distinct(w: Window, timeMs: number, windowMs: number, limit = Number.POSITIVE_INFINITY) {
  const lo = lowerBound(w.times, timeMs - windowMs, w.head);
  const hi = upperBound(w.times, timeMs, w.head);
  const collect = () => {
    const set = new Set<string>();
    for (let i = hi - 1; i >= lo && set.size < limit; i--) set.add(w.ids[i]!);
    return set;
  };
  if (w.repeats > 0) {
    const set = collect();
    return { size: set.size, has: (id: string) => set.has(id), ids: () => set };
  }
  const inRange = (id: string) => (w.at.get(id) ?? []).some((t) => t >= timeMs - windowMs && t <= timeMs);
  return { size: Math.min(hi - lo, limit), has: inRange, ids: collect };
}

/** The earliest time of `id` out of `w` (and out of `times`, the id's own list). */
function forgetEarliest(w: Window, id: string, times: number[]): void {
  const t = Math.min(...times);
  times.splice(times.indexOf(t), 1);
  w.repeats--;
  for (let i = lowerBound(w.times, t, w.head); i < w.times.length && w.times[i] === t; i++) {
    if (w.ids[i] !== id) continue;
    w.times.splice(i, 1);
    w.ids.splice(i, 1);
    return;
  }
}

function forgetBefore(w: Window, cutoff: number): void {
  const drop = lowerBound(w.times, cutoff, w.head);
  for (let i = w.head; i < drop; i++) {
    const id = w.ids[i]!;
    const times = w.at.get(id) ?? [];
    const left = times.filter((t) => t !== w.times[i]);
    if (left.length === 0) w.at.delete(id);
    else {
      w.at.set(id, left);
      w.repeats--;
    }
  }
  w.head = drop;
  if (w.head > 1024 && w.head * 2 > w.times.length) {
    w.times = w.times.slice(w.head);
    w.ids = w.ids.slice(w.head);
    w.head = 0;
  }
}

/** First index (from `from` on) whose value is ≥ x. */
function lowerBound(xs: readonly number[], x: number, from = 0): number {
  let lo = from;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index (from `from` on) whose value is > x. */
function upperBound(xs: readonly number[], x: number, from = 0): number {
  let lo = from;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryCarryOverStore<T> implements CarryOverStore<T> {
  private readonly states = new Map<string, T>();
  async get(sessionId: string) {
    return this.states.get(sessionId);
  }
  async put(sessionId: string, state: T) {
    this.states.set(sessionId, state);
  }
}

export class MemoryPreferencesStore implements PreferencesStore {
  private readonly prefs = new Map<string, Record<string, unknown>>();
  async get(documentName: string) {
    return this.prefs.get(documentName);
  }
  async put(documentName: string, preferences: Record<string, unknown>) {
    this.prefs.set(documentName, preferences);
  }
}

/** Tags from a static map, e.g. the CLI's `--target-tags` file. */
export class StaticTagSource implements TargetTagSource {
  constructor(private readonly byTarget: Record<string, Record<string, string>>) {}
  async tags(target: string) {
    return this.byTarget[target];
  }
}

interface MemoryIncident {
  win: number;
  start: number;
  end: number;
  subject: IncidentSubject;
  first?: string;
  crit?: string;
}

interface MemoryWindow {
  opened: number;
  end: number;
  /** `<ruleId>\t<severity>` by finding id. */
  ids: Map<string, string>;
  excerpts: Record<string, string>;
  first?: string;
  crit?: string;
  closed: boolean;
  digested: boolean;
  lease?: number;
}

/**
 * Alert incidents in memory, with the semantics of DynamoIncidentStore (shared/aws/state.ts): a
 * finding joins its incident's open window or opens the next; the first and the first CRITICAL finding
 * claim the immediate alerts (per incident for sessions, per window otherwise); a claimed window is
 * closed, and a later finding opens the next one. The store contract tests hold the two equal.
 */
export class MemoryIncidentStore implements IncidentStore {
  private readonly incidents = new Map<string, MemoryIncident>();
  private readonly windows = new Map<string, MemoryWindow>();
  private readonly dueAt = new Map<string, number>();
  private last: number | undefined;

  async record(input: IncidentRecordInput): Promise<IncidentRecordResult> {
    const f = input.finding;
    let inc = this.incidents.get(input.key);
    const open = (): MemoryIncident => {
      const next: MemoryIncident = {
        ...(inc ?? { subject: input.subject }),
        win: (inc?.win ?? 0) + 1,
        start: input.nowMs,
        end: input.nowMs + input.windowMs,
      };
      this.incidents.set(input.key, next);
      return next;
    };
    if (!inc || inc.end <= input.nowMs || this.windows.get(windowKey(input.key, inc.win))?.closed)
      inc = open();
    const wk = windowKey(input.key, inc.win);
    this.dueAt.set(wk, inc.end);
    let w = this.windows.get(wk);
    if (!w) {
      w = {
        opened: inc.start,
        end: inc.end,
        ids: new Map(),
        excerpts: Object.create(null),
        closed: false,
        digested: false,
      };
      this.windows.set(wk, w);
    }
    w.ids.set(f.id, `${f.ruleId}\t${f.severity}`);
    if (f.excerpt && !(f.ruleId in w.excerpts)) w.excerpts[f.ruleId] = f.excerpt;
    const claims = input.scope === 'session' ? inc : w;
    claims.first ??= f.id;
    if (f.severity === 'CRITICAL') claims.crit ??= f.id;
    const immediate = claims.first === f.id ? 'opened' : claims.crit === f.id ? 'escalated' : undefined;
    return { window: inc.win, closesAtMs: inc.end, ...(immediate ? { immediate } : {}) };
  }

  async due(fromMs: number, toMs: number) {
    const out: Array<{ key: string; window: number; closesAtMs: number }> = [];
    for (const [wk, closesAtMs] of this.dueAt) {
      if (closesAtMs < fromMs || closesAtMs >= toMs) continue;
      const at = wk.lastIndexOf('#');
      out.push({ key: wk.slice(0, at), window: Number(wk.slice(at + 1)), closesAtMs });
    }
    return out.sort(
      (a, b) => a.closesAtMs - b.closesAtMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : a.window - b.window),
    );
  }

  async claim(key: string, window: number, nowMs: number, leaseUntilMs: number): Promise<IncidentClaim> {
    const w = this.windows.get(windowKey(key, window));
    if (!w || w.digested) return { status: 'done' };
    if (w.lease !== undefined && w.lease >= nowMs) return { status: 'busy' };
    w.closed = true;
    w.lease = leaseUntilMs;
    const inc = this.incidents.get(key);
    const counts = new Map<string, { ruleId: string; severity: Severity; count: number }>();
    for (const entry of w.ids.values()) {
      const [ruleId = '', severity = 'LOW'] = entry.split('\t');
      const c = counts.get(entry);
      if (c) c.count++;
      else counts.set(entry, { ruleId, severity: severity as Severity, count: 1 });
    }
    const claims = w.first !== undefined ? w : inc;
    const alerted = new Set([claims?.first, claims?.crit].filter((id) => id !== undefined && w.ids.has(id)));
    return {
      status: 'claimed',
      window: {
        key,
        window,
        subject: inc?.subject ?? { scope: 'session', category: 'session-start' },
        openedAtMs: w.opened,
        closesAtMs: w.end,
        counts: [...counts.values()],
        excerpts: { ...w.excerpts },
        alerted: alerted.size,
      },
    };
  }

  async digested(key: string, window: number) {
    const w = this.windows.get(windowKey(key, window));
    if (w) {
      w.digested = true;
      w.lease = undefined;
    }
  }

  async cursor() {
    return this.last;
  }

  async advance(toMs: number) {
    if (this.last === undefined || toMs > this.last) this.last = toMs;
  }
}

function windowKey(key: string, window: number): string {
  return `${key}#${window}`;
}

export class MemoryTerminationGuard implements TerminationGuard {
  private readonly sessions = new Set<string>();
  private readonly perHour = new Map<string, number>();
  async claim(sessionId: string, hourKey: string, maxPerHour: number) {
    if (this.sessions.has(sessionId)) return 'duplicate' as const;
    const used = this.perHour.get(hourKey) ?? 0;
    if (used >= maxPerHour) return 'capped' as const;
    this.perHour.set(hourKey, used + 1);
    this.sessions.add(sessionId);
    return 'claimed' as const;
  }
}

/**
 * Last time per key (first seen). Holds at most `maxKeys` keys, forgetting the least recently marked:
 * a forgotten principal looks new again (a LOW first-seen finding), never the reverse. No TTL: the
 * first-seen rule judges the age of the time kept.
 */
export class MemorySeenStore implements SeenStore {
  private readonly times = new Map<string, number>();
  private start: number | undefined;

  async since() {
    return this.start;
  }

  async begin(timeMs: number) {
    if (Number.isFinite(timeMs) && (this.start === undefined || timeMs < this.start)) this.start = timeMs;
  }

  constructor(private readonly maxKeys = 100_000) {}

  async last(key: string) {
    return this.times.get(key);
  }

  async mark(key: string, timeMs: number, _ttlDays: number) {
    const kept = this.times.get(key);
    this.times.delete(key);
    this.times.set(key, kept === undefined ? timeMs : Math.max(kept, timeMs));
    dropOldest(this.times, this.maxKeys);
  }
}

/** Scopes (account and Region pairs) kept by MemoryTranscriptWatch. */
const MAX_SCOPES = 10_000;

/**
 * The missing-transcript timer's state in memory, same contract as DynamoTranscriptWatch (due times
 * exact to the millisecond, ids in due order, the streaming answer from the latest arrival). Bounded:
 * at most `maxEntries` expectations (the earliest due dropped first: never judged) and `maxEntries`
 * sessions with a transcript (the least recently arrived forgotten: such a session, if still due,
 * could be judged silent), and MAX_SCOPES streaming scopes.
 */
export class MemoryTranscriptWatch implements TranscriptWatch {
  /** Expectations sorted by due time (ties in arrival order), live from index `head` on. */
  private dues: number[] = [];
  private ids: string[] = [];
  private head = 0;
  private readonly expected = new Set<string>();
  private readonly transcripts = new Set<string>();
  private readonly scopes = new Map<string, number>();
  private swept: number | undefined;

  constructor(private readonly maxEntries = 100_000) {}

  async expect(sessionId: string, dueMs: number) {
    const key = `${sessionId}@${dueMs}`;
    if (!Number.isFinite(dueMs) || this.expected.has(key)) return;
    this.expected.add(key);
    // Usually appended: a replay meets starts in time order.
    const last = this.dues.length - 1;
    const append = last < this.head || byDue(this.dues[last]!, this.ids[last]!, dueMs, sessionId) <= 0;
    if (append) {
      this.dues.push(dueMs);
      this.ids.push(sessionId);
    } else {
      const i = this.bound(dueMs, sessionId);
      this.dues.splice(i, 0, dueMs);
      this.ids.splice(i, 0, sessionId);
    }
    if (this.dues.length - this.head > this.maxEntries) {
      this.expected.delete(`${this.ids[this.head]}@${this.dues[this.head]}`);
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.dues.length) {
        this.dues = this.dues.slice(this.head);
        this.ids = this.ids.slice(this.head);
        this.head = 0;
      }
    }
  }

  async arrived(sessionId: string, timeMs: number, scope?: TranscriptScope) {
    this.transcripts.delete(sessionId);
    this.transcripts.add(sessionId);
    if (this.transcripts.size > this.maxEntries) {
      const oldest = this.transcripts.values().next().value;
      if (oldest !== undefined) this.transcripts.delete(oldest);
    }
    const key = scopeKey(scope);
    if (key === undefined || !Number.isFinite(timeMs)) return;
    const last = this.scopes.get(key);
    this.scopes.delete(key);
    this.scopes.set(key, last === undefined ? timeMs : Math.max(last, timeMs));
    dropOldest(this.scopes, MAX_SCOPES);
  }

  async due(fromMs: number, toMs: number) {
    if (!(toMs > fromMs)) return [];
    const lo = lowerBound(this.dues, fromMs, this.head);
    const hi = lowerBound(this.dues, toMs, this.head);
    return [...new Set(this.ids.slice(lo, hi))];
  }

  async transcriptSeen(sessionId: string) {
    return this.transcripts.has(sessionId);
  }

  /** The latest arrival is at or after atMs - withinMs; a scope without account or Region matches nothing. */
  async streaming(scope: TranscriptScope, atMs: number, withinMs: number) {
    const key = scopeKey(scope);
    const last = key === undefined ? undefined : this.scopes.get(key);
    return last !== undefined && last >= atMs - withinMs;
  }

  async cursor() {
    return this.swept;
  }

  async advance(toMs: number) {
    if (this.swept === undefined || toMs > this.swept) this.swept = toMs;
  }

  /** First live index due after dueMs (an equal due time goes after the ones already there). */
  private bound(dueMs: number, id: string): number {
    let lo = this.head;
    let hi = this.dues.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byDue(this.dues[mid]!, this.ids[mid]!, dueMs, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Due order; equal due times keep their arrival order (an insertion then appends: comparing ids too
 * made every start of the same second a splice in the middle, quadratic on a replay).
 */
function byDue(aMs: number, _aId: string, bMs: number, _bId: string): number {
  return aMs - bMs;
}

function scopeKey(scope: TranscriptScope | undefined): string | undefined {
  return scope?.account && scope.region ? `${scope.account}#${scope.region}` : undefined;
}

/** Drop the first-inserted keys of `map` beyond `max` (callers re-insert to refresh a key). */
function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}

/** Slack suppressions in memory (replay, tests): same contract as DynamoSuppressionStore. */
export class MemorySuppressionStore implements SuppressionStore {
  private readonly untilByKey = new Map<string, number>();
  async put(key: SuppressionKey, untilMs: number) {
    this.untilByKey.set(JSON.stringify([key.ruleId, key.principal ?? null, key.target ?? null]), untilMs);
  }
  async until(key: SuppressionKey, nowMs: number) {
    const until = this.untilByKey.get(
      JSON.stringify([key.ruleId, key.principal ?? null, key.target ?? null]),
    );
    return until !== undefined && until > nowMs ? until : undefined;
  }
}

export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  async claim(nonce: string, expiresAtMs: number) {
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, expiresAtMs);
    return true;
  }
}
