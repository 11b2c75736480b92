import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MemoryPreferencesStore,
  MemorySeenStore,
  MemorySessionStore,
  MemoryWindowStore,
  StaticTagSource,
} from '#cli/state';
import type { ConfigInput } from '#shared/model/config';
import type { RecordDeps } from '#shared/pipeline/record';
import { SESSION_RULES } from '#shared/rules/session-rules';
import { configOf, examplesOf } from '#shared/session/families';
import type { CloudTrailExample } from '#shared/session/types';

export const CLOUDTRAIL_FIXTURES = join(import.meta.dirname, '../fixtures/cloudtrail');

/** Every copied real record file (CloudTrail records, arrays and EventBridge events). */
export function fixtureFiles(): string[] {
  return readdirSync(CLOUDTRAIL_FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Records of a fixture file: a record, an array of records, or `{"Records": […]}`. */
export function recordsOf(data: unknown): unknown[] {
  if (Array.isArray(data)) return data;
  if (typeof data === 'object' && data !== null && Array.isArray((data as { Records?: unknown }).Records)) {
    return (data as { Records: unknown[] }).Records;
  }
  return [data];
}

export interface ContextSpec {
  config?: ConfigInput;
  /** Target tags, as for the CLI's --target-tags. */
  tags?: Record<string, Record<string, string>>;
  /** Preferences known before the change, and what GetDocument returns now. */
  preferences?: { before?: Record<string, unknown>; current?: Record<string, unknown> };
  /** The stack's KMS key refs, as session-events reads them from OWN_KEYS (the CLI has none). */
  ownKeys?: string[];
  /**
   * A first-seen baseline (a seen store): `{}` known and empty, `{lastMs}` the last start of every
   * principal not seen since; observed since `sinceMs` (default: long before, learning is over).
   * Absent: no seen store, the baseline is unknown.
   */
  seen?: { lastMs?: number; sinceMs?: number };
}

/** A seen store whose principals, until marked, were last seen at `baseline` (undefined: never). */
class BaselineSeenStore extends MemorySeenStore {
  constructor(
    private readonly baseline: number | undefined,
    sinceMs: number,
  ) {
    super();
    void this.begin(sinceMs);
  }

  override async last(key: string) {
    return (await super.last(key)) ?? this.baseline;
  }
}

/** The record pipeline's dependencies on in-memory state, as the CLI builds them. */
export async function makeContext(spec: ContextSpec = {}): Promise<RecordDeps> {
  const deps: RecordDeps = {
    ctx: { config: configOf(spec.config), ...(spec.ownKeys ? { ownKeys: spec.ownKeys } : {}) },
    sessions: new MemorySessionStore(),
    windows: new MemoryWindowStore(),
    tags: new StaticTagSource(spec.tags ?? {}),
  };
  if (spec.seen) deps.seen = new BaselineSeenStore(spec.seen.lastMs, spec.seen.sinceMs ?? 0);
  const prefs = spec.preferences;
  if (prefs) {
    const store = new MemoryPreferencesStore();
    const current = prefs.current;
    deps.preferences = { source: { current: async () => current }, store };
    if (prefs.before) {
      // Seed every name the cases use: the store is keyed by document name.
      for (const name of ['SSM-SessionManagerRunShell', 'Team-SessionPrefs', 'Acme-Session-Prefs']) {
        await store.put(name, prefs.before);
      }
    }
  }
  return deps;
}

/** A CloudTrail rule example as a record and the in-memory context the pipeline runs it on. */
export interface ExampleCase {
  name: string;
  record: Record<string, unknown>;
  context: ContextSpec & { previous?: unknown[] };
}

/** Every example of the CloudTrail rules (shared/rules/examples), rule files by id, examples in file order. */
export function exampleCases(): ExampleCase[] {
  const out: ExampleCase[] = [];
  for (const rule of [...SESSION_RULES].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    for (const [name, e] of examplesOf(rule.id)) {
      const record = (e.record ?? e.event) as Record<string, unknown> | undefined;
      if (record) out.push({ name: `${rule.id}.json: ${name}`, record, context: contextOf(e, record) });
    }
  }
  return out;
}

/**
 * The example's facts as stores and sources hold them: tags by target (a command's by instance, in
 * order), the first-seen baseline, preferences stored and current. `silence` is the sweep's, not the
 * record pipeline's.
 */
export function contextOf(e: CloudTrailExample, record: Record<string, unknown>): ExampleCase['context'] {
  const context: ExampleCase['context'] = {};
  if (e.config) context.config = e.config;
  if (e.ownKeys) context.ownKeys = e.ownKeys;
  if (e.previous) context.previous = e.previous;
  if (e.facts?.seen) {
    // An example's baseline without `sinceMs` begins with its record (still learning).
    const inner = (record.detail ?? record) as { eventTime?: unknown };
    const begins = typeof inner.eventTime === 'string' ? Date.parse(inner.eventTime) : Date.now();
    context.seen = { ...e.facts.seen, sinceMs: e.facts.seen.sinceMs ?? begins };
  }
  const inner = (record.detail ?? record) as {
    requestParameters?: { target?: unknown; instanceIds?: unknown };
  };
  const target = inner.requestParameters?.target;
  if (e.facts?.tags && typeof target === 'string') context.tags = { [target]: e.facts.tags };
  const instances = inner.requestParameters?.instanceIds;
  if (e.facts?.targetTags && Array.isArray(instances)) {
    context.tags = {};
    for (const [i, tags] of e.facts.targetTags.entries()) {
      const id = instances[i];
      if (tags && typeof id === 'string') context.tags[id] = tags;
    }
  }
  const prefs = e.facts?.preferences;
  if (prefs) {
    context.preferences = {};
    if (prefs.stored) context.preferences.before = prefs.stored;
    if (prefs.current) context.preferences.current = prefs.current;
  }
  return context;
}
