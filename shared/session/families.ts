import { readFileSync } from 'node:fs';
import { type Config, type ConfigInput, parseConfig } from '../model/config';
import { MONITOR_RULES } from '../rules/monitor-rules';
import { PREFERENCES_RULES } from '../rules/preferences-rules';
import { SESSION_FAMILY_RULES } from '../rules/session-rules';
import type { RuleFamily } from '../rules/types';
import { type SessionRecord, storableSession } from '../state/types';
import { classifyEvent, factsFor, judgeSilence, readRecord } from './classify';
import type {
  ClassifyContext,
  ClassifyResult,
  CloudTrailExample,
  CloudTrailRule,
  FactQuery,
  Facts,
  StateWrite,
} from './types';

/**
 * The CloudTrail rule families (session, preferences, monitor) as the catalogue walks them: an example
 * is run the way the engine runs a record (readRecord → factsFor → classifyEvent), on state built by
 * replaying the example's `previous` records. Examples are read from `shared/rules/examples/<id>.json`
 * when asked for, so no bundle that classifies carries them.
 */

const EXAMPLES_DIR = new URL('../rules/examples/', import.meta.url);
const files = new Map<string, ReadonlyMap<string, CloudTrailExample>>();

/** The examples of a rule's file, by name. */
export function examplesOf(ruleId: string): ReadonlyMap<string, CloudTrailExample> {
  let byName = files.get(ruleId);
  if (!byName) {
    const data = JSON.parse(readFileSync(new URL(`${ruleId}.json`, EXAMPLES_DIR), 'utf8')) as {
      rule: string;
      examples: CloudTrailExample[];
    };
    if (data.rule !== ruleId) throw new Error(`examples/${ruleId}.json: rule names another rule`);
    byName = new Map(data.examples.map((e) => [e.name, e]));
    files.set(ruleId, byName);
  }
  return byName;
}

/** One named example of a rule. */
export function exampleOf(rule: CloudTrailRule, name: string): CloudTrailExample {
  const example = examplesOf(rule.id).get(name);
  if (!example) throw new Error(`examples/${rule.id}.json: no example named in the rule`);
  return example;
}

const configs = new Map<string, Config>();

/** An example's configuration, parsed once per distinct input (examples share a few). */
export function configOf(input: ConfigInput = {}): Config {
  const key = JSON.stringify(input);
  let config = configs.get(key);
  if (!config) {
    config = parseConfig(input);
    configs.set(key, config);
  }
  return config;
}

/** The state a replay builds, in plain maps: what the stores would hold. */
class ReplayState {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly windows = new Map<string, Map<string, number>>();
  private readonly preferences = new Map<string, Record<string, unknown>>();
  private readonly seen = new Map<string, number>();
  private since: number | undefined;

  /** Answers `q` from the state; the example's facts answer what the state does not hold, or the shell would look up. */
  facts(q: FactQuery, given: Facts): Facts {
    const facts: Facts = {};
    if (q.sessionId !== undefined) {
      const session = this.sessions.get(q.sessionId) ?? given.session;
      if (session) facts.session = session;
    }
    if (q.target !== undefined && given.tags) facts.tags = given.tags;
    if (q.targets !== undefined && given.targetTags) facts.targetTags = given.targetTags;
    if (q.window) facts.windowCount = given.windowCount ?? this.count(q.window);
    if (q.fanOut) facts.fanOutTargets = this.members(q.fanOut);
    if (q.seen) {
      // An example states its baseline (`seen`), or builds it from its previous records; without
      // either the baseline is unknown and nothing is first seen.
      const lastMs = this.seen.get(q.seen.key) ?? given.seen?.lastMs;
      const sinceMs = given.seen?.sinceMs ?? this.since;
      if (given.seen || this.seen.size > 0)
        facts.seen = {
          ...(lastMs === undefined ? {} : { lastMs }),
          ...(sinceMs === undefined ? {} : { sinceMs }),
        };
    }
    if (q.preferencesDocument !== undefined && given.preferences) {
      const stored = this.preferences.get(q.preferencesDocument) ?? given.preferences.stored;
      facts.preferences = { current: given.preferences.current, stored };
    }
    return facts;
  }

  apply(w: StateWrite): void {
    switch (w.type) {
      case 'session': {
        const endedAt = this.sessions.get(w.record.sessionId)?.endedAt;
        this.sessions.set(w.record.sessionId, {
          ...storableSession(w.record),
          ...(endedAt ? { endedAt } : {}),
        });
        return;
      }
      case 'session-ended': {
        const prev = this.sessions.get(w.sessionId) ?? { sessionId: w.sessionId, startTime: w.time };
        this.sessions.set(w.sessionId, { ...prev, endedAt: w.time });
        return;
      }
      case 'window': {
        const ids = this.windows.get(w.key) ?? new Map<string, number>();
        if (!ids.has(w.eventId)) ids.set(w.eventId, w.timeMs);
        this.windows.set(w.key, ids);
        return;
      }
      case 'preferences':
        this.preferences.set(w.document, w.preferences);
        return;
      case 'seen':
        this.seen.set(w.key, Math.max(w.timeMs, this.seen.get(w.key) ?? w.timeMs));
        this.since = Math.min(w.timeMs, this.since ?? w.timeMs);
        return;
      case 'expect-transcript':
        return;
    }
  }

  /** The stored session of an id, for the silence judgement. */
  session(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  private members(q: NonNullable<FactQuery['fanOut']>): Set<string> {
    const out = new Set<string>();
    for (const [id, t] of this.windows.get(q.key) ?? []) {
      if (t >= q.timeMs - q.windowMs && t <= q.timeMs) out.add(id);
    }
    return out;
  }

  private count(q: NonNullable<FactQuery['window']>): number {
    let n = 0;
    for (const [id, t] of this.windows.get(q.key) ?? []) {
      if (id !== q.eventId && t >= q.timeMs - q.windowMs && t <= q.timeMs) n++;
    }
    return n;
  }
}

/** One record through the pure engine on the replay's state; its writes applied after. */
function step(raw: unknown, ctx: ClassifyContext, state: ReplayState, given: Facts): ClassifyResult {
  const read = readRecord(raw, ctx);
  if (read.error !== undefined) return { findings: [], error: read.error };
  if (!read.event) return { findings: [] };
  const out = classifyEvent(read.event, state.facts(factsFor(read.event, ctx), given), ctx);
  if (out.error !== undefined) return { findings: [], error: out.error };
  for (const w of out.writes) state.apply(w);
  const findings = [...out.findings];
  // A `silence` example: the start's transcript is judged as the sweep would, on the given facts.
  const expected = out.writes.find((w) => w.type === 'expect-transcript');
  if (given.silence && expected?.type === 'expect-transcript') {
    const record = state.session(expected.sessionId);
    if (record) findings.push(...judgeSilence(record, given.silence, ctx.config));
  }
  return { findings };
}

/** The findings of an example's record, after its `previous` records (an error in either is returned). */
export function runExample(example: CloudTrailExample): ClassifyResult {
  const ctx: ClassifyContext = { config: configOf(example.config) };
  if (example.ownKeys) ctx.ownKeys = example.ownKeys;
  const state = new ReplayState();
  const given = example.facts ?? {};
  for (const prev of example.previous ?? []) {
    const r = step(prev, ctx, state, given);
    if (r.error !== undefined) return { findings: [], error: `previous record: ${r.error}` };
  }
  return step(example.event ?? example.record, ctx, state, given);
}

function fires(rule: CloudTrailRule, name: string): boolean {
  const r = runExample(exampleOf(rule, name));
  return r.error === undefined && r.findings.some((f) => f.ruleId === rule.id);
}

export const SESSION_FAMILY: RuleFamily<CloudTrailRule, string> = {
  name: 'session',
  rules: SESSION_FAMILY_RULES,
  fires,
};

export const PREFERENCES_FAMILY: RuleFamily<CloudTrailRule, string> = {
  name: 'preferences',
  rules: PREFERENCES_RULES,
  fires,
};

export const MONITOR_FAMILY: RuleFamily<CloudTrailRule, string> = {
  name: 'monitor',
  rules: MONITOR_RULES,
  fires,
};

/** The CloudTrail families, in catalogue order (SESSION_RULES). */
export const CLOUDTRAIL_FAMILIES = [SESSION_FAMILY, PREFERENCES_FAMILY, MONITOR_FAMILY] as const;
