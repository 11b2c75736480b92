import { field } from '#shared/format/sanitize';
import { type Finding, SEVERITIES, type Severity, severityRank } from '#shared/model/finding';
import type { RuleMeta } from '#shared/rules/types';

/**
 * A readable table of findings for a terminal; the JSON output is the contract, this is for eyes.
 * Every cell passes `field()`: a user name, target or excerpt can carry escape sequences that
 * would otherwise rewrite the analyst's screen. Grouped by session unless `flat`.
 */
export function formatTable(findings: readonly Finding[], width = 150, flat = false): string {
  if (findings.length === 0) return 'No findings.\n';
  return flat ? flatTable(findings, width) : groupedTable(findings, width);
}

/** One line per finding, in the order given (replay: highest severity first). */
export function flatTable(findings: readonly Finding[], width = 150): string {
  const rows = findings.map((f) => [
    f.severity,
    f.category,
    principalOf(f),
    f.target ?? '-',
    f.sessionId ?? '-',
    summary(f),
  ]);
  const head = ['SEVERITY', 'CATEGORY', 'PRINCIPAL', 'TARGET', 'SESSION', 'WHAT'];
  const line = columns([13, 21, 16, 19, 24], width);
  const lines = [line(head), line(head.map((_, i) => '-'.repeat(line.widths[i]!)))];
  for (const row of rows) lines.push(line(row));
  return `${lines.join('\n')}\n`;
}

/** Rows under a group header are indented this much. */
const INDENT = '  ';

/**
 * One header per session (highest severity, principal, target, kind, count), its findings under it
 * in time order; then the findings without a session, one group per principal (denied calls,
 * tampering and Run Command of one actor read together; one "no session" heap would mix actors).
 * Groups by highest severity, then earliest finding. Memory: the findings given (replay keeps at
 * most MAX_KEPT) and one small group record each.
 */
export function groupedTable(findings: readonly Finding[], width = 150): string {
  const sessions = new Map<string, Group>();
  const others = new Map<string, Group>();
  for (const f of findings) {
    const [groups, key] =
      f.sessionId !== undefined ? [sessions, f.sessionId] : [others, f.principal?.arn ?? ''];
    let g = groups.get(key);
    if (!g) {
      g = { findings: [], top: f.severity, first: timeOf(f) };
      groups.set(key, g);
    }
    g.findings.push(f);
    if (severityRank(f.severity) > severityRank(g.top)) g.top = f.severity;
    g.first = Math.min(g.first, timeOf(f));
  }
  const line = columns([13, 21, 19], width - INDENT.length);
  const head = ['SEVERITY', 'CATEGORY', 'TIME (UTC)', 'WHAT'];
  const lines = [INDENT + line(head), INDENT + line(head.map((_, i) => '-'.repeat(line.widths[i]!)))];
  for (const [groups, session] of [
    [sessions, true],
    [others, false],
  ] as const) {
    for (const g of [...groups.values()].sort(byGroup)) {
      lines.push(fitLine(header(g, session), width));
      for (const f of g.findings.sort(byTime))
        lines.push(INDENT + line([f.severity, f.category, shownTime(f.time), rowSummary(f, session)]));
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Group {
  findings: Finding[];
  top: Severity;
  /** Earliest finding time (ms; unreadable times sort last). */
  first: number;
}

function byGroup(a: Group, b: Group): number {
  return severityRank(b.top) - severityRank(a.top) || a.first - b.first;
}

function byTime(a: Finding, b: Finding): number {
  return timeOf(a) - timeOf(b) || severityRank(b.severity) - severityRank(a.severity);
}

function timeOf(f: Finding): number {
  const t = Date.parse(f.time);
  return Number.isFinite(t) ? t : Number.MAX_SAFE_INTEGER;
}

/** `[HIGH] session <id> · <principal> → <target> · <kind> · 3 findings`, or `no session · <principal>`. */
function header(g: Group, session: boolean): string {
  const f = g.findings[0]!;
  const count = `${g.findings.length} finding${g.findings.length === 1 ? '' : 's'}`;
  const who = field(principalOf(f), 40);
  if (!session) return `[${g.top}] no session · ${who} · ${count}`;
  const target = g.findings.find((x) => x.target !== undefined)?.target;
  const kind = g.findings.find((x) => x.sessionKind !== undefined)?.sessionKind;
  const parts = [
    `[${g.top}] session ${field(f.sessionId ?? '-', 60)}`,
    target ? `${who} → ${field(target, 40)}` : who,
  ];
  if (kind) parts.push(field(kind, 24));
  parts.push(count);
  return parts.join(' · ');
}

/** Without a session the header names no target: the row does. */
function rowSummary(f: Finding, session: boolean): string {
  return !session && f.target !== undefined ? `${f.target} · ${summary(f)}` : summary(f);
}

/** `2026-11-08 03:00:12` from an ISO time; anything else as it is (a cell, so sanitised and cut). */
function shownTime(time: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(time) ? `${time.slice(0, 10)} ${time.slice(11, 19)}` : time;
}

function principalOf(f: Finding): string {
  return f.principal?.name ?? shortArn(f.principal?.arn) ?? '-';
}

/** A row printer for fixed column widths and a last column taking the rest (at least 30). */
function columns(fixed: readonly number[], width: number) {
  const lastWidth = Math.max(30, width - fixed.reduce((a, b) => a + b + 2, 0));
  const widths = [...fixed, lastWidth];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => fitCell(c, widths[i]!))
      .join('  ')
      .trimEnd();
  return Object.assign(line, { widths });
}

function fitLine(s: string, width: number): string {
  return fitCell(s, Math.max(30, width)).trimEnd();
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
