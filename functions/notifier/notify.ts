import { type AlertPublisher, buildAlert } from '#shared/format/alert';
import type { Config } from '#shared/model/config';
import { atLeast, type Finding } from '#shared/model/finding';
import type { RuleMeta } from '#shared/rules/types';
import type { AggregationStore } from '#shared/state/types';

/** What happened to one finding; stored by the idempotency layer, so it must stay JSON. */
export type NotifyOutcome =
  | { status: 'published'; messageId: string | null }
  | { status: 'aggregated'; count: number }
  | { status: 'below-threshold' };

export interface NotifyDeps {
  config: Pick<Config, 'alerts'>;
  aggregation: AggregationStore;
  publisher: AlertPublisher;
  ruleById: (id: string) => RuleMeta | undefined;
  /** Called once per alert actually published (metrics). */
  onPublished?: (finding: Finding) => void;
}

/** Findings below `alerts.minSeverity` are recorded on the bus and dashboard but never alerted. */
export function shouldAlert(finding: Finding, config: Pick<Config, 'alerts'>): boolean {
  return atLeast(finding.severity, config.alerts.minSeverity);
}

/** Aggregation key: one alert per session and rule; findings without a session stand alone. */
export function aggregationKey(finding: Finding): string {
  return `${finding.sessionId ?? finding.id}#${finding.ruleId}`;
}

/**
 * Alert a finding once per session + rule. The first finding of a key publishes; later ones only add
 * to the count. A re-delivery of that first finding (count still 1) publishes again, so an alert whose
 * first publish failed is not lost — the idempotency layer around this keeps a successful one single.
 */
export async function notifyFinding(finding: Finding, deps: NotifyDeps): Promise<NotifyOutcome> {
  if (!shouldAlert(finding, deps.config)) return { status: 'below-threshold' };
  const agg = await deps.aggregation.record(aggregationKey(finding), finding.id);
  if (!agg.first && agg.count > 1) return { status: 'aggregated', count: agg.count };
  const messageId = await deps.publisher.publish(buildAlert(finding, deps.ruleById(finding.ruleId)));
  deps.onPublished?.(finding);
  return { status: 'published', messageId: messageId ?? null };
}
