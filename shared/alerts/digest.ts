import { stableId } from '../ids';
import { DIGEST_MAX_RULES, type Digest, type DigestRule } from '../model/digest';
import { maxSeverity, type Severity, severityRank } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import type { IncidentWindow } from '../state/types';

/**
 * The digest of a closed incident window: counts by rule (highest severity first, then the most
 * frequent), one masked excerpt per rule, how many findings were alerted at once. Undefined when the
 * window holds nothing beyond what was already alerted: a digest would repeat the alert.
 */
export function buildDigest(
  w: IncidentWindow,
  ruleById: (id: string) => RuleMeta | undefined,
): Digest | undefined {
  const total = w.counts.reduce((n, c) => n + c.count, 0);
  if (total <= w.alerted) return undefined;
  const byRule = new Map<string, { severity: Severity; count: number }>();
  for (const c of w.counts) {
    const r = byRule.get(c.ruleId);
    byRule.set(
      c.ruleId,
      r ? { severity: maxSeverity(r.severity, c.severity), count: r.count + c.count } : { ...c },
    );
  }
  const rules: DigestRule[] = [...byRule.entries()]
    .map(([ruleId, r]) => ({
      ruleId,
      title: ruleById(ruleId)?.title ?? ruleId,
      severity: r.severity,
      count: r.count,
      ...(w.excerpts[ruleId] ? { excerpt: w.excerpts[ruleId] } : {}),
    }))
    .sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        b.count - a.count ||
        (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
    );
  const severity = rules.reduce<Severity>((s, r) => maxSeverity(s, r.severity), 'INFORMATIONAL');
  return {
    kind: 'digest',
    id: stableId('digest', w.key, w.window),
    incident: w.subject,
    window: { number: w.window, start: isoTime(w.openedAtMs), end: isoTime(w.closesAtMs) },
    severity,
    total,
    alerted: w.alerted,
    rules: rules.slice(0, DIGEST_MAX_RULES),
    omittedRules: Math.max(0, rules.length - DIGEST_MAX_RULES),
  };
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(0).toISOString();
}
