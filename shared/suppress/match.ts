import type { Config } from '../model/config';
import type { Finding, Suppressed } from '../model/finding';
import type { SuppressionStore } from '../state/types';
import { principalMatches } from './glob';
import { suppressionKeyOf } from './key';

type ConfigSuppressions = Pick<Config, 'suppressions'>;
type Tags = Record<string, string>;

/**
 * The first configured suppression active at `nowMs` (until its `expires`, exclusive) that matches the
 * finding: its rule (or `*`), its principal pattern (`*` alone also matches a finding without a
 * principal; any other pattern needs one) and, when given, its target tag. `targetTags` undefined means
 * the tags are unknown (a transcript or missing-transcript finding, a failed lookup): a suppression
 * with a target tag then does not match, so an unknown target is alerted rather than silenced.
 */
export function configSuppression(
  finding: Finding,
  config: ConfigSuppressions,
  nowMs: number,
  targetTags?: Tags,
): { until: string; reason?: string } | undefined {
  for (const s of config.suppressions) {
    const expiresMs = Date.parse(s.expires);
    if (!(expiresMs > nowMs)) continue;
    if (s.rule !== '*' && s.rule !== finding.ruleId) continue;
    if (s.principal !== '*' && !(finding.principal && principalMatches(finding.principal.arn, s.principal)))
      continue;
    if (s.targetTag && !hasTag(targetTags, s.targetTag.key, s.targetTag.value)) continue;
    return { until: new Date(expiresMs).toISOString(), ...(s.reason ? { reason: s.reason } : {}) };
  }
  return undefined;
}

function hasTag(tags: Tags | undefined, key: string, value: string): boolean {
  // Own keys only: a tag named like an Object.prototype member must not match by inheritance.
  return tags !== undefined && Object.hasOwn(tags, key) && tags[key] === value;
}

export interface MarkDeps {
  config: ConfigSuppressions;
  /** "Suppress similar" from Slack; without it only the configuration suppresses. */
  store?: SuppressionStore;
  /** When suppressions are judged: one time, or each finding's own (a replay judges at event time). */
  now: number | ((finding: Finding) => number);
  /** The target's tags, asked only when an active suppression names a target tag (undefined: unknown). */
  tagsOf?: (target: string) => Promise<Tags | undefined>;
  /** The store failed: the finding stays unmarked (alerted, never lost); the shell logs and counts. */
  onError?: (error: unknown, finding: Finding) => void;
}

/**
 * Each finding with its `suppressed` mark: the configuration first, then the store's "Suppress
 * similar" of exactly its rule, principal and target. A finding already marked keeps its mark. Never
 * throws for the store or the tag lookup: a finding it cannot judge is returned unmarked.
 */
export async function markSuppressed(findings: readonly Finding[], deps: MarkDeps): Promise<Finding[]> {
  // Nothing can suppress (the usual replay, a stack without suppressions): no work per finding.
  if (!deps.store && deps.config.suppressions.length === 0) return [...findings];
  const tagCache = new Map<string, Promise<Tags | undefined>>();
  const tags = (target: string) => {
    let hit = tagCache.get(target);
    if (!hit) {
      hit = lookupTags(deps.tagsOf, target);
      tagCache.set(target, hit);
    }
    return hit;
  };
  return Promise.all(
    findings.map(async (f) => {
      if (f.suppressed) return f;
      const nowMs = typeof deps.now === 'number' ? deps.now : deps.now(f);
      const suppressed = await judge(f, deps, nowMs, tags);
      return suppressed ? { ...f, suppressed } : f;
    }),
  );
}

async function judge(
  f: Finding,
  deps: MarkDeps,
  nowMs: number,
  tags: (target: string) => Promise<Tags | undefined>,
): Promise<Suppressed | undefined> {
  const needsTags = f.target !== undefined && deps.tagsOf && hasActiveTagSuppression(deps.config, nowMs);
  const byConfig = configSuppression(
    f,
    deps.config,
    nowMs,
    needsTags && f.target !== undefined ? await tags(f.target) : undefined,
  );
  if (byConfig) return { by: 'config', until: byConfig.until };
  if (!deps.store) return undefined;
  try {
    const untilMs = await deps.store.until(suppressionKeyOf(f), nowMs);
    return untilMs === undefined ? undefined : { by: 'slack', until: new Date(untilMs).toISOString() };
  } catch (e) {
    deps.onError?.(e, f);
    return undefined;
  }
}

function hasActiveTagSuppression(config: ConfigSuppressions, nowMs: number): boolean {
  return config.suppressions.some((s) => s.targetTag && Date.parse(s.expires) > nowMs);
}

async function lookupTags(tagsOf: MarkDeps['tagsOf'], target: string): Promise<Tags | undefined> {
  try {
    return await tagsOf?.(target);
  } catch {
    // Tags unknown: a target-tag suppression does not match, the finding is alerted.
    return undefined;
  }
}

/** A finding's time in ms (the time its suppressions are judged in the pipelines); else `fallbackMs`. */
export function findingTimeMs(f: Finding, fallbackMs: number): number {
  const t = Date.parse(f.time);
  return Number.isFinite(t) ? t : fallbackMs;
}
