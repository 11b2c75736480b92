import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryPreferencesStore, MemorySessionStore, MemoryWindowStore, StaticTagSource } from '#cli/state';
import { type ConfigInput, parseConfig } from '#shared/model/config';
import type { ClassifyContext } from '#shared/session/index';

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
}

const configs = new Map<string, ReturnType<typeof parseConfig>>();

/** Parsed once per distinct input: property tests build thousands of contexts from a few configs. */
function configOf(input: ConfigInput = {}): ReturnType<typeof parseConfig> {
  const key = JSON.stringify(input);
  let config = configs.get(key);
  if (!config) {
    config = parseConfig(input);
    configs.set(key, config);
  }
  return config;
}

/** A classification context on in-memory state, as the CLI builds it. */
export async function makeContext(spec: ContextSpec = {}): Promise<ClassifyContext> {
  const ctx: ClassifyContext = {
    config: configOf(spec.config),
    sessions: new MemorySessionStore(),
    windows: new MemoryWindowStore(),
    tags: new StaticTagSource(spec.tags ?? {}),
  };
  if (spec.ownKeys) ctx.ownKeys = spec.ownKeys;
  const prefs = spec.preferences;
  if (prefs) {
    const store = new MemoryPreferencesStore();
    const current = prefs.current;
    ctx.preferences = { source: { current: async () => current }, store };
    if (prefs.before) {
      // Seed every name the cases use: the store is keyed by document name.
      for (const name of ['SSM-SessionManagerRunShell', 'Team-SessionPrefs', 'Acme-Session-Prefs']) {
        await store.put(name, prefs.before);
      }
    }
  }
  return ctx;
}
