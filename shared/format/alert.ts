import type { Digest, IncidentNote } from '../model/digest';
import type { Category, Finding, Severity } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import { truncate } from './sanitize';
import { alertSubject, digestSubject, renderDigestText, renderText } from './text';

/** What every alert carries for any channel: e-mail subject and text, filterable attributes. */
interface AlertBase {
  subject: string;
  text: string;
  severity: Severity;
  category: Category;
}

/**
 * One alert: a finding sent at once (its incident's first alert, its escalation to CRITICAL, or a
 * finding with nothing to group on) or the digest of an incident window.
 */
export type Alert =
  | (AlertBase & { kind: IncidentNote['kind']; finding: Finding; note: IncidentNote })
  | (AlertBase & { kind: 'digest'; digest: Digest });

/** Where alerts go (SNS in the Lambda); returns the channel's message id when it has one. */
export interface AlertPublisher {
  publish(alert: Alert): Promise<string | undefined>;
}

export function buildAlert(
  finding: Finding,
  rule?: RuleMeta,
  note: IncidentNote = { kind: 'single' },
): Alert {
  return {
    kind: note.kind,
    subject: alertSubject(finding, note),
    text: renderText(finding, rule, note),
    finding,
    note,
    severity: finding.severity,
    category: finding.category,
  };
}

export function buildDigestAlert(digest: Digest): Alert {
  return {
    kind: 'digest',
    subject: digestSubject(digest),
    text: renderDigestText(digest),
    digest,
    severity: digest.severity,
    category: digest.incident.category,
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
