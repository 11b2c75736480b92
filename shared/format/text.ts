import {
  DIGEST_EXCERPT_MAX,
  DIGEST_MAX_RULES,
  type Digest,
  type DigestRule,
  type IncidentNote,
} from '../model/digest';
import type { Evidence, Finding } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import { type ConsoleLink, consoleLinks } from './links';
import { field, oneLine, toAscii, truncate } from './sanitize';

/** SNS e-mail subjects must be ASCII, without line breaks, and shorter than 100 characters. */
export const SUBJECT_MAX = 99;
/** Evidence items listed in one alert; the rest are summarised as a count. */
export const EVIDENCE_MAX = 20;

/** `[HIGH] Port forwarding to a remote host - i-0abc on 123456789012` as a safe SNS subject. */
export function alertSubject(finding: Finding, note?: IncidentNote): string {
  const where = [finding.target, finding.account].filter(Boolean).join(' in ');
  // An escalation follows an earlier alert about the same incident: the subject says so first.
  const escalated = note?.kind === 'escalated' ? 'Escalated: ' : '';
  return subject(
    `[${finding.severity}] ${escalated}${oneLine(finding.title)}${where ? ` - ${oneLine(where)}` : ''}`,
  );
}

/** Printable ASCII, one line, at most SUBJECT_MAX characters (cut with `...`). */
function subject(text: string): string {
  const ascii = toAscii(text).replace(/\s+/g, ' ').trim();
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
}

/** `14:20 UTC` (with the date when it is not `since`'s day); undefined for a time that does not parse. */
function clockUtc(iso: string | undefined, since: string): string | undefined {
  if (typeof iso !== 'string' || iso.length > 40) return undefined;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return undefined;
  const text = at.toISOString();
  const sameDay = typeof since === 'string' && since.slice(0, 10) === text.slice(0, 10);
  return `${sameDay ? '' : `${text.slice(0, 10)} `}${text.slice(11, 16)} UTC`;
}

/**
 * The sentence that places a finding alert in its incident (shared/model/digest.ts IncidentNote), or
 * undefined when it has none to place (`single`, no note). Values in it are bounded single lines.
 */
export function incidentLine(finding: Finding, note?: IncidentNote): string | undefined {
  if (note?.kind !== 'opened' && note?.kind !== 'escalated') return undefined;
  const session = finding.sessionId ? field(finding.sessionId, 128) : undefined;
  if (note.kind === 'escalated') {
    return session
      ? 'This session reached CRITICAL; its first alert was sent earlier.'
      : 'Findings of this principal and category reached CRITICAL; their first alert was sent earlier.';
  }
  const until = clockUtc(note.digestAt, finding.time);
  const later = until ? ` until ${until}` : ' in this incident window';
  return session
    ? `First alert for session ${session}. Its further findings${later} come in one digest.`
    : `First alert for this principal and category (${field(finding.category, 40)}). Their further findings${later} come in one digest.`;
}

type Row = [label: string, value: string | number | undefined];

/** A titled block of `  Label: value` lines, each value one bounded line; nothing when all are empty. */
function pushSection(out: string[], title: string, rows: Row[]): void {
  const present = rows.filter((r): r is [string, string | number] => r[1] !== undefined && r[1] !== '');
  if (!present.length) return;
  out.push('', title);
  for (const [k, v] of present) out.push(`  ${k}: ${field(String(v))}`);
}

/** `SSN x3 (lines 4, 9): ***-**-1234` — the excerpt is the finding's masked excerpt, nothing else. */
export function evidenceLine(e: Evidence): string {
  const count = e.count && e.count > 1 ? ` x${e.count}` : '';
  const lines = e.lines?.length
    ? ` (line${e.lines.length > 1 ? 's' : ''} ${e.lines.slice(0, 5).join(', ')})`
    : '';
  return `${field(e.kind, 60)}${count}${lines}: ${field(e.excerpt, 300)}`;
}

/**
 * Plain-text alert for e-mail and the SNS `default` message: what, who, where, when, why, masked
 * evidence, what to do, and console links. Every finding field is reduced to one bounded line, so a
 * value cannot forge extra lines or sections.
 */
export function renderText(finding: Finding, rule?: RuleMeta, note?: IncidentNote): string {
  const out: string[] = [];
  const section = (title: string, rows: Row[]) => pushSection(out, title, rows);

  out.push(`${field(finding.severity, 20)}: ${field(finding.title, 200)}`);
  const incident = incidentLine(finding, note);
  if (incident) out.push('', 'Incident', `  ${incident}`);
  if (rule?.description) out.push('', truncate(oneLine(rule.description), 1000));
  section('What', [
    ['Severity', finding.severity],
    ['Category', finding.category],
    ['Rule', finding.ruleId],
    ['Source', finding.source],
    ['Occurrences', finding.count],
  ]);
  section('Who', [
    ['Principal', finding.principal?.arn],
    ['Type', finding.principal?.type],
    ['Name', finding.principal?.name],
  ]);
  section('Where', [
    ['Account', finding.account],
    ['Region', finding.region],
    ['Target', finding.target],
    ['Session', finding.sessionId],
    ['Session kind', finding.sessionKind],
    ['Document', finding.documentName],
    ['Source IP', finding.sourceIp],
  ]);
  section('When', [['Time', finding.time]]);

  if (finding.reasons.length) {
    out.push('', 'Why');
    for (const r of finding.reasons.slice(0, EVIDENCE_MAX)) out.push(`  - ${field(r, 500)}`);
  }
  if (finding.evidence.length) {
    out.push('', 'Evidence (masked)');
    for (const e of finding.evidence.slice(0, EVIDENCE_MAX)) out.push(`  - ${evidenceLine(e)}`);
    const more = finding.evidence.length - EVIDENCE_MAX;
    if (more > 0) out.push(`  ... and ${more} more`);
  }
  if (rule?.playbook.length) {
    out.push('', 'What to do');
    rule.playbook.forEach((step, i) => {
      out.push(`  ${i + 1}. ${field(step, 500)}`);
    });
  }
  const links = consoleLinks(finding);
  if (links.length) {
    out.push('', 'Links');
    for (const l of links) out.push(`  ${l.label}: ${l.url}`);
  }
  out.push('', `Finding id: ${field(finding.id, 100)}`);
  return `${out.join('\n')}\n`;
}

/** `Digest: 12 findings in session s-abc on i-0abc` / `Digest: 3 findings by alice (pii)`; one line. */
export function digestTitle(digest: Digest, max = 100): string {
  const { incident, total } = digest;
  const count = `Digest: ${total} finding${total === 1 ? '' : 's'}`;
  if (incident.scope === 'session') {
    const session = incident.sessionId ? ` in session ${field(incident.sessionId, max)}` : '';
    return `${count}${session}${incident.target ? ` on ${field(incident.target, max)}` : ''}`;
  }
  const who = incident.principal ? (incident.principal.name ?? incident.principal.arn) : undefined;
  return `${count}${who ? ` by ${field(who, max)}` : ''} (${field(incident.category, 40)})`;
}

/** `[HIGH] Digest: 12 findings in session s-abc on i-0abc` as a safe SNS subject. */
export function digestSubject(digest: Digest): string {
  return subject(`[${digest.severity}] ${digestTitle(digest)}`);
}

/**
 * Console links of an incident: those of a finding with the incident's session, target and region
 * (shared/format/links.ts validates each part; an incident has no CloudTrail event to link).
 */
export function incidentLinks(digest: Digest): ConsoleLink[] {
  const { incident } = digest;
  return consoleLinks({
    id: digest.id,
    ruleId: 'digest',
    category: incident.category,
    severity: digest.severity,
    title: 'digest',
    source: 'cloudtrail',
    time: digest.window.start,
    region: incident.region,
    sessionId: incident.sessionId,
    target: incident.target,
    reasons: [],
    evidence: [],
  });
}

/** The rules a renderer lists (never more than DIGEST_MAX_RULES) and how many it leaves out. */
export function digestRules(digest: Digest): { rules: DigestRule[]; more: number } {
  const rules = digest.rules.slice(0, DIGEST_MAX_RULES);
  return { rules, more: digest.omittedRules + digest.rules.length - rules.length };
}

/** `HIGH           3 x  AWS access key printed (tx-secret-aws-access-key): AKIA****MPLE` */
function digestRuleLine(rule: DigestRule): string {
  const excerpt = rule.excerpt ? `: ${field(rule.excerpt, DIGEST_EXCERPT_MAX)}` : '';
  return `${field(rule.severity, 20).padEnd(13)}  ${rule.count} x  ${field(rule.title, 200)} (${field(rule.ruleId, 100)})${excerpt}`;
}

/**
 * Plain-text digest for e-mail and the SNS `default` message: who and where, the window, the totals,
 * one line per rule and console links. Like {@link renderText}, every value is one bounded line.
 */
export function renderDigestText(digest: Digest): string {
  const { incident } = digest;
  const out: string[] = [`${field(digest.severity, 20)} ${digestTitle(digest, 200)}`];
  const section = (title: string, rows: Row[]) => pushSection(out, title, rows);
  section('Who', [
    ['Principal', incident.principal?.arn],
    ['Type', incident.principal?.type],
    ['Name', incident.principal?.name],
  ]);
  section('Where', [
    ['Account', incident.account],
    ['Region', incident.region],
    ['Target', incident.target],
    ['Session', incident.sessionId],
    ['Session kind', incident.sessionKind],
    ['Source IP', incident.sourceIp],
    ['Category', incident.category],
  ]);
  section('Window', [
    ['Number', digest.window.number],
    ['Start', digest.window.start],
    ['End', digest.window.end],
  ]);
  section('Findings', [
    ['Total', digest.total],
    ['Alerted at once', digest.alerted],
    ['New in this digest', Math.max(0, digest.total - digest.alerted)],
  ]);
  const { rules, more } = digestRules(digest);
  if (rules.length || more > 0) {
    out.push('', 'By rule (masked)');
    for (const rule of rules) out.push(`  ${digestRuleLine(rule)}`);
    if (more > 0) out.push(`  ... and ${more} more rule${more === 1 ? '' : 's'}`);
  }
  const links = incidentLinks(digest);
  if (links.length) {
    out.push('', 'Links');
    for (const l of links) out.push(`  ${l.label}: ${l.url}`);
  }
  out.push('', `Digest id: ${field(digest.id, 100)}`);
  return `${out.join('\n')}\n`;
}
