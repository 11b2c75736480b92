import type { Evidence, Finding } from '../model/finding';
import type { RuleMeta } from '../rules/types';
import { consoleLinks } from './links';
import { field, oneLine, toAscii, truncate } from './sanitize';

/** SNS e-mail subjects must be ASCII, without line breaks, and shorter than 100 characters. */
export const SUBJECT_MAX = 99;
/** Evidence items listed in one alert; the rest are summarised as a count. */
export const EVIDENCE_MAX = 20;

/** `[HIGH] Port forwarding to a remote host - i-0abc on 123456789012` as a safe SNS subject. */
export function alertSubject(finding: Finding): string {
  const where = [finding.target, finding.account].filter(Boolean).join(' in ');
  const text = `[${finding.severity}] ${oneLine(finding.title)}${where ? ` - ${oneLine(where)}` : ''}`;
  const ascii = toAscii(text).replace(/\s+/g, ' ').trim();
  return ascii.length <= SUBJECT_MAX ? ascii : `${ascii.slice(0, SUBJECT_MAX - 3)}...`;
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
export function renderText(finding: Finding, rule?: RuleMeta): string {
  const out: string[] = [];
  const section = (title: string, rows: Array<[string, string | number | undefined]>) => {
    const present = rows.filter((r): r is [string, string | number] => r[1] !== undefined && r[1] !== '');
    if (!present.length) return;
    out.push('', title);
    for (const [k, v] of present) out.push(`  ${k}: ${field(String(v))}`);
  };

  out.push(`${field(finding.severity, 20)}: ${field(finding.title, 200)}`);
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
