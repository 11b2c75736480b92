import type { Category, Finding, Severity } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import { truncate } from './sanitize';
import { alertSubject, renderText } from './text';

/** One alert, ready for any channel: e-mail text, subject, the Finding itself, filterable attributes. */
export interface Alert {
  subject: string;
  text: string;
  finding: Finding;
  severity: Severity;
  category: Category;
}

/** Where alerts go (SNS in the Lambda); returns the channel's message id when it has one. */
export interface AlertPublisher {
  publish(alert: Alert): Promise<string | undefined>;
}

export function buildAlert(finding: Finding, rule?: RuleMeta): Alert {
  return {
    subject: alertSubject(finding),
    text: renderText(finding, rule),
    finding,
    severity: finding.severity,
    category: finding.category,
  };
}

/**
 * A smaller copy of a finding for size-limited channels: at most `maxItems` evidence items and
 * reasons, each excerpt cut to `maxExcerpt` characters. The omitted evidence is counted in `count`
 * of a last `TRUNCATED` item so readers know the list is partial.
 */
export function shrinkFinding(finding: Finding, maxItems: number, maxExcerpt: number): Finding {
  const cut = (s: string) => truncate(s, maxExcerpt);
  const evidence = finding.evidence.slice(0, maxItems).map((e) => ({ ...e, excerpt: cut(e.excerpt) }));
  const omitted = finding.evidence.length - evidence.length;
  if (omitted > 0)
    evidence.push({ kind: 'TRUNCATED', excerpt: `${omitted} more item(s) omitted`, count: omitted });
  return { ...finding, reasons: finding.reasons.slice(0, maxItems).map(cut), evidence };
}
