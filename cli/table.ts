import { field } from '#shared/format/sanitize';
import { type Finding, SEVERITIES, type Severity } from '#shared/model/finding';

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
