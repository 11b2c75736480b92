import { type Alert, type AlertPublisher, buildAlert } from '../format/alert';
import { truncate } from '../format/sanitize';
import type { Config } from '../model/config';
import { DIGEST_EXCERPT_MAX, type IncidentScope, type IncidentSubject } from '../model/digest';
import { atLeast, type Finding } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import type { IncidentFinding, IncidentStore, SuppressionStore } from '../state/types';
import { markSuppressed } from '../suppress/match';

/**
 * One incident per session (issue 13): a session's first finding at or above `alerts.minSeverity` is
 * alerted at once, its first CRITICAL one once more, and everything else waits for the digest of its
 * window (shared/alerts/sweep.ts). Findings without a session group by account, principal and category,
 * with an opening (and CRITICAL) alert per window. A finding with neither a session nor a principal
 * (the CLI's test alert) has nothing to group on and is alerted on its own.
 */

/** What happened to one finding; stored by the notifier's idempotency layer, so it must stay JSON. */
export type NotifyOutcome =
  | { status: 'published'; kind: Alert['kind']; messageId: string | null }
  | { status: 'held'; window: number }
  | { status: 'below-threshold' }
  | { status: 'suppressed'; by: 'config' | 'slack' };

export interface NotifyDeps {
  /** `suppressions` absent (a caller that never suppresses): none from the configuration. */
  config: Pick<Config, 'alerts'> & Partial<Pick<Config, 'suppressions'>>;
  incidents: IncidentStore;
  /** "Suppress similar" from Slack, asked again at notification time; without it only the mark counts. */
  suppressions?: SuppressionStore;
  /** Called once per finding skipped as suppressed (metrics). */
  onSuppressed?: (finding: Finding) => void;
  /** The suppression store failed: the finding is alerted as if unsuppressed (logs, metrics). */
  onSuppressionError?: (error: unknown) => void;
  publisher: AlertPublisher;
  ruleById: (id: string) => RuleMeta | undefined;
  /** Called once per alert published (metrics). */
  onPublished?: (alert: Alert) => void;
  /** Called once per finding held for its incident's digest (metrics). */
  onHeld?: (finding: Finding) => void;
}

/** Findings below `alerts.minSeverity` are recorded on the bus and dashboard but never alerted. */
export function shouldAlert(finding: Finding, config: Pick<Config, 'alerts'>): boolean {
  return atLeast(finding.severity, config.alerts.minSeverity);
}

/** Longest value kept per subject member: findings are bounded already; this bounds the stored item. */
const SUBJECT_VALUE_MAX = 512;

/** The incident a finding belongs to, or undefined when it has nothing to group on. */
export function incidentOf(
  finding: Finding,
): { key: string; scope: IncidentScope; subject: IncidentSubject } | undefined {
  const cut = (v: string | undefined) => (v === undefined ? undefined : truncate(v, SUBJECT_VALUE_MAX));
  const scope: IncidentScope | undefined = finding.sessionId
    ? 'session'
    : finding.principal
      ? 'principal'
      : undefined;
  if (!scope) return undefined;
  const subject: IncidentSubject = { scope, category: finding.category };
  const members = {
    sessionId: cut(finding.sessionId),
    target: cut(finding.target),
    account: cut(finding.account),
    region: cut(finding.region),
    sessionKind: cut(finding.sessionKind),
    sourceIp: cut(finding.sourceIp),
  };
  for (const [k, v] of Object.entries(members)) if (v !== undefined) Object.assign(subject, { [k]: v });
  if (finding.principal) {
    const p = finding.principal;
    subject.principal = {
      arn: cut(p.arn) ?? '',
      type: cut(p.type) ?? '',
      ...(p.name ? { name: cut(p.name) } : {}),
    };
  }
  // Session ids are unique across accounts (`<user>-<random>`); a transcript finding may lack the account.
  const key =
    scope === 'session'
      ? `session\u0000${finding.sessionId}`
      : `principal\u0000${finding.account ?? ''}\u0000${finding.principal?.arn}\u0000${finding.category}`;
  return { key, scope, subject };
}

/** The finding as an incident keeps it: ids, rule, severity and one masked excerpt. */
export function incidentFinding(finding: Finding): IncidentFinding {
  const excerpt = finding.evidence[0]?.excerpt ?? finding.reasons[0];
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    severity: finding.severity,
    ...(excerpt ? { excerpt: truncate(excerpt, DIGEST_EXCERPT_MAX) } : {}),
  };
}

/**
 * Count a finding in its incident and publish it when it opens or escalates the incident. A re-delivery
 * of the opening finding (its id holds the claim) publishes again, so an alert whose publish failed is
 * not lost; the idempotency layer around this keeps a successful one single.
 */
export async function notifyFinding(
  finding: Finding,
  deps: NotifyDeps,
  nowMs: number,
): Promise<NotifyOutcome> {
  if (!shouldAlert(finding, deps.config)) return { status: 'below-threshold' };
  const suppressed = await suppressedNow(finding, deps, nowMs);
  if (suppressed) {
    // Never counted into its incident: no alert, no digest line, no escalation.
    deps.onSuppressed?.(finding);
    // Only the enumeration: a bus event's `until` is free text, and this outcome is stored.
    return { status: 'suppressed', by: suppressed.by };
  }
  const incident = incidentOf(finding);
  const rule = deps.ruleById(finding.ruleId);
  if (!incident) return publish(buildAlert(finding, rule, { kind: 'single' }), deps);
  const result = await deps.incidents.record({
    ...incident,
    finding: incidentFinding(finding),
    nowMs,
    windowMs: deps.config.alerts.windowMinutes * 60_000,
  });
  if (!result.immediate) {
    deps.onHeld?.(finding);
    return { status: 'held', window: result.window };
  }
  const digestAt = new Date(result.closesAtMs).toISOString();
  return publish(buildAlert(finding, rule, { kind: result.immediate, digestAt }), deps);
}

/**
 * The finding's mark from detection, else a suppression active now: detection and notification run
 * at different times, and a "Suppress similar" pressed after the finding was published still counts.
 * The target's tags are unknown here; a target-tag suppression was applied at detection.
 */
async function suppressedNow(finding: Finding, deps: NotifyDeps, nowMs: number) {
  if (finding.suppressed) return finding.suppressed;
  const [marked] = await markSuppressed([finding], {
    config: { suppressions: deps.config.suppressions ?? [] },
    ...(deps.suppressions ? { store: deps.suppressions } : {}),
    now: nowMs,
    ...(deps.onSuppressionError ? { onError: deps.onSuppressionError } : {}),
  });
  return marked?.suppressed;
}

async function publish(alert: Alert, deps: NotifyDeps): Promise<NotifyOutcome> {
  const messageId = await deps.publisher.publish(alert);
  deps.onPublished?.(alert);
  return { status: 'published', kind: alert.kind, messageId: messageId ?? null };
}
