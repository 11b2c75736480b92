import { describeError } from '../errors';
import type { Finding } from '../model/finding';
import { classifyEvent, factsFor, readRecord } from '../session/classify';
import type {
  ClassifyContext,
  ClassifyResult,
  FactQuery,
  Facts,
  PreferencesSource,
  SessionEvent,
  StateWrite,
} from '../session/types';
import type {
  PreferencesStore,
  SeenStore,
  SessionStore,
  SuppressionStore,
  TargetTagSource,
  TranscriptWatch,
  WindowStore,
} from '../state/types';
import { findingTimeMs, markSuppressed } from '../suppress/match';

/** State and enrichment behind one CloudTrail record: in memory for the CLI, DynamoDB/EC2/SSM in the Lambda. */
export interface RecordDeps {
  ctx: ClassifyContext;
  sessions: SessionStore;
  windows: WindowStore;
  tags: TargetTagSource;
  /** Optional: without it a preferences change stays HIGH (content unknown). */
  preferences?: { source: PreferencesSource; store: PreferencesStore };
  /** Optional: without it no principal is first seen (the baseline is unknown). */
  seen?: SeenStore;
  /** Optional: without it no shell session waits for its transcript (no missing-transcript finding). */
  watch?: TranscriptWatch;
  /**
   * Optional: "Suppress similar" from Slack. Configured suppressions (`ctx.config.suppressions`) apply
   * always; a matching finding is published marked `suppressed` (shared/suppress/match.ts).
   */
  suppressions?: SuppressionStore;
  /** The suppression store failed: the finding is published unmarked (so alerted); the shell logs it. */
  onSuppressionError?: (error: unknown) => void;
}

/**
 * The one pipeline for a CloudTrail record (bare or in an EventBridge envelope), for the CLI and the
 * session-events Lambda: read → gather the facts the decision needs → classify (pure) → publish the
 * findings → apply the state writes. Writes come after publishing, so a failed publish leaves state
 * untouched and a retry finds the same findings again. Never throws but for `publish`: unusable input
 * or a failing store becomes `error`, a one-line reason, and `findings` is then empty.
 */
export async function processRecord(
  raw: unknown,
  deps: RecordDeps,
  publish: (findings: Finding[]) => Promise<void>,
): Promise<ClassifyResult> {
  const read = readRecord(raw, deps.ctx);
  if (read.error !== undefined) return { findings: [], error: read.error };
  if (!read.event) return { findings: [] };
  return processEvent(read.event, deps, publish);
}

/**
 * {@link processRecord} from an event already read: a replay reads each record at once (reporting
 * what is unusable where it was met) and classifies the small event later, in event-time order.
 */
export async function processEvent(
  event: SessionEvent,
  deps: RecordDeps,
  publish: (findings: Finding[]) => Promise<void>,
): Promise<ClassifyResult> {
  let out: ReturnType<typeof classifyEvent>;
  let query: FactQuery;
  let facts: Facts;
  try {
    query = factsFor(event, deps.ctx);
    facts = await gatherFacts(query, deps);
    out = classifyEvent(event, facts, deps.ctx);
  } catch (e) {
    return failed(e);
  }
  if (out.error !== undefined) return { findings: [], error: out.error };
  // Suppressed findings are published all the same (bus, log, dashboard), marked: only alerts skip them.
  const findings = await markSuppressed(out.findings, {
    config: deps.ctx.config,
    ...(deps.suppressions ? { store: deps.suppressions } : {}),
    // Judged at the event's time: a replay marks what the Lambda marked when it happened.
    now: (f) => findingTimeMs(f, Date.now()),
    tagsOf: (target) => knownTags(query, facts, target) ?? tagsOf(deps.tags, target),
    ...(deps.onSuppressionError ? { onError: deps.onSuppressionError } : {}),
  });
  if (findings.length > 0) await publish(findings);
  try {
    for (const w of out.writes) await applyWrite(w, deps);
  } catch (e) {
    return failed(e);
  }
  return { findings };
}

/** The target's tags when the facts already hold them (a start's target, a command's instances). */
function knownTags(
  query: FactQuery,
  facts: Facts,
  target: string,
): Promise<Record<string, string>> | undefined {
  if (query.target === target && facts.tags) return Promise.resolve(facts.tags);
  const i = query.targets?.indexOf(target) ?? -1;
  const tags = i >= 0 ? facts.targetTags?.[i] : undefined;
  return tags ? Promise.resolve(tags) : undefined;
}

/** {@link processRecord} without publishing: the findings are only returned (tests, benchmarks). */
export function classifyRecord(raw: unknown, deps: RecordDeps): Promise<ClassifyResult> {
  return processRecord(raw, deps, async () => undefined);
}

function failed(e: unknown): ClassifyResult {
  return { findings: [], error: `classification failed: ${describeError(e)}` };
}

/** Answers a fact query from the stores; enrichment that fails is unknown, a failing store throws. */
export async function gatherFacts(q: FactQuery, deps: RecordDeps): Promise<Facts> {
  const facts: Facts = {};
  if (q.sessionId !== undefined) facts.session = await deps.sessions.get(q.sessionId);
  if (q.target !== undefined) facts.tags = await tagsOf(deps.tags, q.target);
  if (q.targets !== undefined)
    facts.targetTags = await Promise.all(q.targets.map((t) => tagsOf(deps.tags, t)));
  if (q.fanOut) {
    const { key, timeMs, windowMs, limit } = q.fanOut;
    facts.fanOutTargets = await deps.windows.members(key, timeMs, windowMs, limit);
  }
  if (q.seen && deps.seen) {
    const [lastMs, sinceMs] = await Promise.all([deps.seen.last(q.seen.key), deps.seen.since()]);
    facts.seen = {
      ...(lastMs === undefined ? {} : { lastMs }),
      ...(sinceMs === undefined ? {} : { sinceMs }),
    };
  }
  if (q.window) {
    const { key, eventId, timeMs, windowMs, limit } = q.window;
    facts.windowCount = await deps.windows.count(key, eventId, timeMs, windowMs, limit);
  }
  if (q.preferencesDocument !== undefined && deps.preferences) {
    const { source, store } = deps.preferences;
    const current = await currentPreferences(source, q.preferencesDocument);
    // Only a readable document is compared: the stored digest is not needed otherwise.
    const stored = current === undefined ? undefined : await store.get(q.preferencesDocument);
    facts.preferences = { current, stored };
  }
  return facts;
}

async function tagsOf(source: TargetTagSource, target: string): Promise<Record<string, string> | undefined> {
  try {
    return await source.tags(target);
  } catch {
    // The contract says tag sources never throw; an adapter that does still must not cost the finding.
    return undefined;
  }
}

async function currentPreferences(
  source: PreferencesSource,
  name: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await source.current(name);
  } catch {
    // An unreadable document leaves the change at HIGH instead of losing the finding.
    return undefined;
  }
}

/** One state write, through the store it belongs to. */
export async function applyWrite(w: StateWrite, deps: RecordDeps): Promise<void> {
  switch (w.type) {
    case 'session':
      return deps.sessions.put(w.record);
    case 'session-ended':
      return deps.sessions.markEnded(w.sessionId, w.time);
    case 'window':
      await deps.windows.hit(w.key, w.eventId, w.timeMs, w.windowMs, w.limit);
      return;
    case 'preferences':
      return deps.preferences?.store.put(w.document, w.preferences);
    case 'seen':
      await deps.seen?.begin(w.timeMs);
      return deps.seen?.mark(w.key, w.timeMs, w.ttlDays);
    case 'expect-transcript': {
      if (!deps.watch) return;
      // A start classified late (retries, delayed delivery) must not fall behind the sweep's cursor.
      const cursor = await deps.watch.cursor();
      return deps.watch.expect(w.sessionId, cursor !== undefined ? Math.max(w.dueMs, cursor) : w.dueMs);
    }
  }
}
