import { field } from '#shared/format/sanitize';
import { type Finding, SEVERITIES, type Severity } from '#shared/model/finding';
import type { RuleMeta } from '#shared/rules/types';

/**
 * A readable table of findings for a terminal; the JSON output is the contract, this is for eyes.
 * Every cell passes `field()`: a user name, target or excerpt can carry escape sequences that
 * would otherwise rewrite the analyst's screen.
 */
export function formatTable(findings: readonly Finding[], width = 150): string {
  if (findings.length === 0) return 'No findings.\n';
  const rows = findings.map((f) => [
    f.severity,
    f.category,
    f.principal?.name ?? shortArn(f.principal?.arn) ?? '-',
    f.target ?? '-',
    f.sessionId ?? '-',
    summary(f),
  ]);
  const head = ['SEVERITY', 'CATEGORY', 'PRINCIPAL', 'TARGET', 'SESSION', 'WHAT'];
  const fixed = [13, 21, 16, 19, 24];
  const lastWidth = Math.max(30, width - fixed.reduce((a, b) => a + b + 2, 0));
  const cols = [...fixed, lastWidth];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => fitCell(c, cols[i]!))
      .join('  ')
      .trimEnd();
  const lines = [line(head), line(cols.map((w) => '-'.repeat(w)))];
  for (const row of rows) lines.push(line(row));
  return `${lines.join('\n')}\n`;
}

function summary(f: Finding): string {
  const ev = f.evidence[0];
  const count = f.count && f.count > 1 ? ` ×${f.count}` : '';
  return ev ? `${f.title}${count} — ${ev.kind}: ${ev.excerpt}` : `${f.title}${count}`;
}

function shortArn(arn: string | undefined): string | undefined {
  return arn?.split(/[:/]/).pop();
}

function fitCell(s: string, w: number): string {
  // field() makes it one line of printable text, cut at the column width (bounded work first).
  return field(s.length > 4 * w ? s.slice(0, 4 * w) : s, w).padEnd(w);
}

/** `12 findings: 1 CRITICAL, 3 HIGH, …` */
export function severityCounts(by: ReadonlyMap<Severity, number>): string {
  let total = 0;
  for (const n of by.values()) total += n;
  const parts = [...SEVERITIES]
    .reverse()
    .filter((s) => by.has(s))
    .map((s) => `${by.get(s)} ${s}`);
  return `${total} finding${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

const ATTACK_TECHNIQUE = /^https:\/\/attack\.mitre\.org\/techniques\/(T\d{4})(?:\/(\d{3}))?\/?$/;

/** MITRE ATT&CK technique ids of a rule's references (`T1552.005`), in order. */
export function attackIds(references: readonly string[] = []): string[] {
  return references.flatMap((ref) => {
    const m = ATTACK_TECHNIQUE.exec(ref);
    if (!m) return [];
    return [m[2] ? `${m[1]}.${m[2]}` : m[1]!];
  });
}

/** A markdown table cell: one line, pipes escaped. */
function cell(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

/**
 * The rule catalogue as a markdown table (id, severity, category, title, ATT&CK techniques): what
 * `ssm-sentinel rules` prints and what the README shows between its rules markers.
 */
export function rulesTable(rules: readonly RuleMeta[]): string {
  const lines = ['| id | severity | category | title | ATT&CK |', '|---|---|---|---|---|'];
  for (const r of rules) {
    const attack = attackIds(r.references).join(', ') || '-';
    lines.push(`| \`${r.id}\` | ${r.severity} | ${r.category} | ${cell(r.title)} | ${attack} |`);
  }
  return `${lines.join('\n')}\n`;
}

export const RULES_TABLE_BEGIN = '<!-- rules-table:begin (npm run rules:table) -->';
export const RULES_TABLE_END = '<!-- rules-table:end -->';

/** `text` with what lies between the lines `begin` and `end` replaced by `content`; undefined without both. */
export function replaceBetween(
  text: string,
  begin: string,
  end: string,
  content: string,
): string | undefined {
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from + begin.length);
  if (from < 0 || to < 0) return undefined;
  return `${text.slice(0, from + begin.length)}\n${content}${text.slice(to)}`;
}

/** `readme` with the rule table between its markers replaced by `table`; undefined without both markers. */
export function withRulesTable(readme: string, table: string): string | undefined {
  return replaceBetween(readme, RULES_TABLE_BEGIN, RULES_TABLE_END, table);
}
