import type {
  AggregationStore,
  CarryOverStore,
  PreferencesStore,
  SessionRecord,
  SessionStore,
  TargetTagSource,
  TerminationGuard,
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

export class MemoryWindowStore implements WindowStore {
  /** Per key: event ids seen, and their times kept sorted so a count is two binary searches. */
  private readonly windows = new Map<string, { ids: Map<string, number>; times: number[] }>();

  async hit(key: string, eventId: string, timeMs: number, windowMs: number) {
    let w = this.windows.get(key);
    if (!w) {
      w = { ids: new Map(), times: [] };
      this.windows.set(key, w);
    }
    if (!w.ids.has(eventId)) {
      w.ids.set(eventId, timeMs);
      w.times.splice(upperBound(w.times, timeMs), 0, timeMs);
      // Forget what lies far behind the newest event, so a long replay stays small.
      const newest = w.times[w.times.length - 1]!;
      const drop = lowerBound(w.times, newest - 2 * windowMs);
      if (drop > 0) {
        const cutoff = w.times[drop]!;
        w.times.splice(0, drop);
        // Ids are in arrival order, which is time order for a replayed trail: stop at the first kept.
        for (const [id, t] of w.ids) {
          if (t >= cutoff) break;
          w.ids.delete(id);
        }
      }
    }
    return upperBound(w.times, timeMs) - lowerBound(w.times, timeMs - windowMs);
  }

  async count(key: string, eventId: string, timeMs: number, windowMs: number) {
    const w = this.windows.get(key);
    if (!w) return 0;
    const all = upperBound(w.times, timeMs) - lowerBound(w.times, timeMs - windowMs);
    const t = w.ids.get(eventId);
    const self = t !== undefined && t >= timeMs - windowMs && t <= timeMs ? 1 : 0;
    return all - self;
  }
}

/** First index whose value is ≥ x. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x. */
function upperBound(xs: readonly number[], x: number): number {
  let lo = 0;
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

export class MemoryAggregationStore implements AggregationStore {
  private readonly keys = new Map<string, Set<string>>();
  async record(key: string, findingId: string) {
    const ids = this.keys.get(key);
    if (!ids) {
      this.keys.set(key, new Set([findingId]));
      return { first: true, count: 1 };
    }
    ids.add(findingId);
    return { first: false, count: ids.size };
  }
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
