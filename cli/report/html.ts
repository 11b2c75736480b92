import { createHash } from 'node:crypto';
import { field } from '#shared/format/sanitize';
import { type Finding, SEVERITIES, type Severity, severityRank } from '#shared/model/finding';
import { ruleById } from '#shared/rules/index';
import type { SessionRecord } from '#shared/state/types';
import { type Buckets, type Counts, DAY_MS, HOUR_MS, type ReportCounts, zeroSeverities } from './aggregate';
import { REPORT_SCRIPT, REPORT_STYLE } from './assets';

/** What the page renders at most: a 1 GB archive still gives a file a browser opens at once. */
export interface ReportLimits {
  /** Session cards and principal groups together. */
  cards: number;
  perCard: number;
  /** Finding rows in the cards. */
  rows: number;
  /** Rows in the Suppressed section. */
  suppressedRows: number;
}

export const REPORT_LIMITS: ReportLimits = { cards: 500, perCard: 200, rows: 5_000, suppressedRows: 1_000 };

export interface ReportInput {
  /** Counts over every finding emitted (the streaming aggregate). */
  counts: ReportCounts;
  /** The findings replay kept (bounded): rows come from these. */
  findings: readonly Finding[];
  /** Session start records replay still holds, by session id. */
  sessions: ReadonlyMap<string, SessionRecord>;
  targetTags: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** ISO time shown as "generated" (tests pin it). */
  generatedAt: string;
  limits?: Partial<ReportLimits>;
}

/** Bars of the timeline at most; consecutive hours or days are merged past it. */
const MAX_BARS = 120;

const COLORS: Record<Severity, string> = {
  CRITICAL: '#8e0000',
  HIGH: '#d84315',
  MEDIUM: '#f9a825',
  LOW: '#1e88e5',
  INFORMATIONAL: '#78909c',
};

/** Highest first: the order of every severity list on the page. */
const BY_RANK: readonly Severity[] = [...SEVERITIES].reverse();

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Strict HTML escape for text and quoted attribute values (control characters dropped too). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => ENTITIES[c] ?? '\ufffd');
}

/** A display value: one printable line of at most `max` characters (field()), then escaped. */
function t(s: string | undefined, max = 300): string {
  return escapeHtml(field(s ?? '', max));
}

const SCRIPT_UNSAFE: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON for a `<script type="application/json">`: nothing in it can end the element or a JS string. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => SCRIPT_UNSAFE[c]!);
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The Content-Security-Policy of the page: nothing from the network, only its own style and script. */
export const REPORT_CSP = `default-src 'none'; style-src ${sha256(REPORT_STYLE)}; script-src ${sha256(REPORT_SCRIPT)}; img-src 'none'; base-uri 'none'; form-action 'none'`;

interface Group {
  key: string;
  session: boolean;
  findings: Finding[];
  top: Severity;
  first: number;
}

function timeOf(f: Finding): number {
  const ms = Date.parse(f.time);
  return Number.isFinite(ms) ? ms : Number.MAX_SAFE_INTEGER;
}

function byTime(a: Finding, b: Finding): number {
  return timeOf(a) - timeOf(b) || a.id.localeCompare(b.id);
}

/** One group per session, then one per principal for findings without a session (as the table). */
function groupsOf(findings: readonly Finding[]): Group[] {
  const sessions = new Map<string, Group>();
  const others = new Map<string, Group>();
  for (const f of findings) {
    const session = f.sessionId !== undefined;
    const groups = session ? sessions : others;
    const key = session ? f.sessionId! : (f.principal?.arn ?? '');
    let g = groups.get(key);
    if (!g) {
      g = { key, session, findings: [], top: f.severity, first: timeOf(f) };
      groups.set(key, g);
    }
    g.findings.push(f);
    if (severityRank(f.severity) > severityRank(g.top)) g.top = f.severity;
    g.first = Math.min(g.first, timeOf(f));
  }
  const order = (a: Group, b: Group) =>
    severityRank(b.top) - severityRank(a.top) || a.first - b.first || a.key.localeCompare(b.key);
  return [...[...sessions.values()].sort(order), ...[...others.values()].sort(order)];
}

function principalLabel(f: { principal?: Finding['principal'] }): string {
  const p = f.principal;
  if (!p) return '-';
  return p.name ?? p.arn.split(/[:/]/).pop() ?? p.arn;
}

/** `2026-11-20 07:41:02Z` from an ISO time; anything else as it is. */
function shownTime(time: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(time) ? `${time.slice(0, 10)} ${time.slice(11, 19)}Z` : time;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = h ? [`${h}h`, `${m}m`] : m ? [`${m}m`] : [];
  return [...parts, `${s % 60}s`].join(' ');
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

function badge(s: Severity): string {
  return `<span class="badge sev-${s}">${s}</span>`;
}

function row(f: Finding, withPlace: boolean): string {
  const rule = ruleById(f.ruleId);
  const count = f.count && f.count > 1 ? ` <span class="count">×${f.count}</span>` : '';
  const place = withPlace
    ? [f.sessionId && `session ${t(f.sessionId, 80)}`, f.target && `target ${t(f.target, 80)}`]
        .filter(Boolean)
        .join(' · ')
    : !f.sessionId && f.target
      ? `target ${t(f.target, 80)}`
      : '';
  const evidence = f.evidence.slice(0, 10).map((e) => {
    const lines = e.lines?.length ? ` <span class="muted">line ${e.lines.slice(0, 5).join(', ')}</span>` : '';
    const n = e.count && e.count > 1 ? ` ×${e.count}` : '';
    return `<li><b>${t(e.kind, 60)}</b> <code>${t(e.excerpt, 200)}</code>${n}${lines}</li>`;
  });
  const reasons = f.reasons.length
    ? `<div class="reasons">${f.reasons.map((r) => t(r, 80)).join(' · ')}</div>`
    : '';
  const suppressed = f.suppressed
    ? `<div class="muted">suppressed by ${t(f.suppressed.by, 10)} until ${t(shownTime(f.suppressed.until), 40)}</div>`
    : '';
  const playbook = rule?.playbook.length
    ? `<details><summary>Playbook</summary><ol>${rule.playbook.map((p) => `<li>${t(p, 600)}</li>`).join('')}</ol></details>`
    : '';
  const attrs = [
    `data-id="${t(f.id, 80)}"`,
    `data-sev="${f.severity}"`,
    `data-cat="${t(f.category, 40)}"`,
    `data-principal="${t(f.principal?.arn ?? '-')}"`,
    `data-account="${t(f.account ?? '-')}"`,
    `data-time="${t(f.time, 40)}"`,
    ...(f.suppressed ? ['data-suppressed="1"'] : []),
  ].join(' ');
  return [
    `<li class="f" ${attrs}>`,
    `<div class="line">${badge(f.severity)} <time datetime="${t(f.time, 40)}">${t(shownTime(f.time), 40)}</time> `,
    `<span class="cat">${t(f.category, 40)}</span> <span class="title">${t(f.title, 200)}</span>${count} `,
    `<code class="rule">${t(f.ruleId, 80)}</code>${place ? ` <span class="muted">${place}</span>` : ''}</div>`,
    evidence.length ? `<ul class="ev">${evidence.join('')}</ul>` : '',
    reasons,
    suppressed,
    playbook,
    '</li>',
  ].join('');
}

/** The facts of a card's header: the session record when replay still holds it, else its findings. */
function cardFacts(g: Group, input: ReportInput): Array<[string, string]> {
  const fs = g.findings;
  const first = <K extends keyof Finding>(k: K) => fs.find((f) => f[k] !== undefined)?.[k];
  const facts: Array<[string, string]> = [];
  const principal = first('principal') as Finding['principal'];
  const who = principal
    ? `${t(principalLabel({ principal }), 80)} <span class="muted">${t(principal.arn)}</span>`
    : '-';
  if (!g.session) {
    facts.push(['Principal', who]);
    const accounts = [...new Set(fs.map((f) => f.account).filter((a) => a !== undefined))];
    if (accounts.length) facts.push(['Account', t(accounts.slice(0, 5).join(', '), 80)]);
    return facts;
  }
  const rec = input.sessions.get(g.key);
  const kind = rec?.sessionKind ?? (first('sessionKind') as string | undefined);
  const target = rec?.target ?? (first('target') as string | undefined);
  const sourceIp = rec?.sourceIp ?? (first('sourceIp') as string | undefined);
  const account = rec?.account ?? (first('account') as string | undefined);
  facts.push(['Kind', t(kind ?? '-', 40)]);
  facts.push([
    'Principal',
    rec?.principal ? `${t(principalLabel(rec), 80)} <span class="muted">${t(rec.principal.arn)}</span>` : who,
  ]);
  facts.push(['Source IP', t(sourceIp ?? '-', 60)]);
  if (account) facts.push(['Account', t(`${account}${rec?.region ? ` · ${rec.region}` : ''}`, 60)]);
  const tags = target ? Object.entries(input.targetTags[target] ?? {}).slice(0, 20) : [];
  const tagText = tags.map(([k, v]) => `<span class="tag">${t(k, 60)}=${t(v, 60)}</span>`).join(' ');
  facts.push(['Target', `${t(target ?? '-', 120)}${tagText ? ` ${tagText}` : ''}`]);
  if (rec?.reason)
    facts.push([
      'Reason',
      `${t(rec.reason.excerpt, 80)} <span class="muted">(${rec.reason.length} characters)</span>`,
    ]);
  else if (rec) facts.push(['Reason', '<span class="muted">none given</span>']);
  const start = rec ? Date.parse(rec.startTime) : Number.NaN;
  const end = rec?.endedAt ? Date.parse(rec.endedAt) : Number.NaN;
  const span = Number.isFinite(start)
    ? `${t(shownTime(rec!.startTime), 40)} → ${Number.isFinite(end) ? `${t(shownTime(rec!.endedAt!), 40)} (${duration(end - start)})` : 'end not seen'}`
    : 'start not seen';
  facts.push(['Duration', span]);
  return facts;
}

function card(g: Group, rows: Finding[], input: ReportInput): string {
  const title = g.session
    ? `Session <code>${t(g.key, 120)}</code>`
    : `No session · ${t(principalLabel(g.findings[0]!), 80)}`;
  const facts = cardFacts(g, input)
    .map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`)
    .join('');
  const more = g.findings.length - rows.length;
  return [
    `<article class="card" data-group="${g.session ? 'session' : 'principal'}" data-key="${t(g.key)}">`,
    `<header class="card-head"><h3>${badge(g.top)} ${title} <span class="muted">${plural(g.findings.length, 'finding')}</span></h3>`,
    `<dl>${facts}</dl></header>`,
    `<ol class="rows">${rows.map((f) => row(f, false)).join('')}</ol>`,
    more > 0 ? `<p class="more">${plural(more, 'more finding')} of this group not shown</p>` : '',
    '</article>',
  ].join('');
}

/** Horizontal bars with their count (the count's text carries `data-<key>`: tests read it). */
function barChart(items: Array<[string, number, string]>, label: string, key: string): string {
  if (!items.length) return '<p class="muted">none</p>';
  const max = Math.max(...items.map(([, n]) => n), 1);
  const h = 22;
  const bars = items.map(([name, n, color], i) => {
    const w = Math.max(n ? 2 : 0, Math.round((n / max) * 300));
    const y = i * h;
    return `<g><text x="0" y="${y + 15}">${t(name, 40)}</text><rect x="170" y="${y + 3}" width="${w}" height="${h - 6}" fill="${color}"><title>${t(name, 40)}: ${n}</title></rect><text x="${176 + w}" y="${y + 15}" data-${key}="${t(name, 40)}">${n}</text></g>`;
  });
  return `<svg class="bars" role="img" aria-label="${escapeHtml(label)}" width="560" height="${items.length * h}" viewBox="0 0 560 ${items.length * h}">${bars.join('')}</svg>`;
}

function countsBlock(c: Counts, id: string): string {
  const cats = [...c.byCategory.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return [
    `<div class="counts" id="${id}">`,
    `<div><h3>By severity <span class="muted">(<span data-count-total>${c.total}</span> in all)</span></h3>`,
    barChart(
      BY_RANK.map((s) => [s, c.bySeverity[s], COLORS[s]]),
      'findings by severity',
      'count-sev',
    ),
    '</div>',
    `<div><h3>By category</h3>${barChart(
      cats.map(([k, n]) => [k, n, '#546e7a']),
      'findings by category',
      'count-cat',
    )}</div>`,
    '</div>',
  ].join('');
}

/** Hourly bars when the findings span at most three days, daily otherwise; merged to MAX_BARS. */
function timeline(counts: ReportCounts): string {
  const useHours = counts.hours !== undefined && span(counts.hours) <= 3 * DAY_MS;
  const buckets = useHours ? counts.hours! : counts.days;
  const unit = useHours ? HOUR_MS : DAY_MS;
  if (buckets.size === 0) return '<p class="muted">No dated findings.</p>';
  const [min, max] = range(buckets);
  const factor = Math.max(1, Math.ceil((max - min + unit) / unit / MAX_BARS));
  const width = unit * factor;
  const n = Math.floor((max - min) / width) + 1;
  const bars: Array<ReturnType<typeof zeroSeverities>> = Array.from({ length: n }, zeroSeverities);
  for (const [k, c] of buckets) {
    const b = bars[Math.floor((k - min) / width)]!;
    for (const s of SEVERITIES) b[s] += c[s];
  }
  const totals = bars.map((b) => SEVERITIES.reduce((a, s) => a + b[s], 0));
  const top = Math.max(...totals, 1);
  const W = 900;
  const H = 160;
  const left = 40;
  const barW = (W - left) / n;
  const label = (ms: number) =>
    new Date(ms)
      .toISOString()
      .slice(0, useHours && factor === 1 ? 13 : 10)
      .replace('T', ' ') + (useHours && factor === 1 ? 'h' : '');
  const rects: string[] = [];
  bars.forEach((b, i) => {
    let y = H;
    const from = min + i * width;
    for (const s of SEVERITIES) {
      if (!b[s]) continue;
      const h = (b[s] / top) * (H - 10);
      y -= h;
      rects.push(
        `<rect x="${(left + i * barW + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[s]}"><title>${escapeHtml(label(from))}: ${b[s]} ${s}</title></rect>`,
      );
    }
  });
  const bucketName = factor === 1 ? (useHours ? 'hour' : 'day') : `${factor} ${useHours ? 'hours' : 'days'}`;
  const legend = BY_RANK.map(
    (s) => `<span class="legend"><span class="badge sev-${s}">${s}</span></span>`,
  ).join(' ');
  return [
    `<svg class="timeline" role="img" aria-label="findings per ${bucketName}" width="${W}" height="${H + 24}" viewBox="0 0 ${W} ${H + 24}">`,
    `<text x="0" y="12">${top}</text><line x1="${left}" y1="${H}" x2="${W}" y2="${H}" stroke="#999"/>`,
    rects.join(''),
    `<text x="${left}" y="${H + 18}">${escapeHtml(label(min))}</text>`,
    `<text x="${W}" y="${H + 18}" text-anchor="end">${escapeHtml(label(min + (n - 1) * width))}</text>`,
    '</svg>',
    `<p class="muted">Findings per ${bucketName} (UTC), stacked by severity. ${legend}${counts.undated ? ` ${plural(counts.undated, 'finding')} without a usable time not drawn.` : ''}</p>`,
  ].join('');
}

/** Earliest and latest bucket (a loop: tens of thousands of keys are too many to spread). */
function range(b: Buckets): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const k of b.keys()) {
    lo = Math.min(lo, k);
    hi = Math.max(hi, k);
  }
  return [lo, hi];
}

function span(b: Buckets): number {
  const [lo, hi] = range(b);
  return hi - lo;
}

/**
 * `replay --html`: one self-contained page (inline style, script and SVG; a CSP that allows nothing
 * else). Counts come from the aggregate over every finding; cards and rows from the kept findings,
 * capped, with what was left out said on the page. Every value is escaped; findings carry masked
 * evidence only and nothing else from the input is added (target tags come from --target-tags).
 */
export function buildReport(input: ReportInput): string {
  const limits = { ...REPORT_LIMITS, ...input.limits };
  const { counts } = input;
  const shown = input.findings.filter((f) => !f.suppressed);
  const suppressed = input.findings.filter((f) => f.suppressed).sort(byTime);

  const groups = groupsOf(shown);
  const cards: string[] = [];
  let rowsLeft = limits.rows;
  let rendered = 0;
  let cardsLeftOut = 0;
  for (const g of groups) {
    if (cards.length >= limits.cards || rowsLeft <= 0) {
      cardsLeftOut++;
      continue;
    }
    const rows = g.findings.sort(byTime).slice(0, Math.min(limits.perCard, rowsLeft));
    rowsLeft -= rows.length;
    rendered += rows.length;
    cards.push(card(g, rows, input));
  }
  const suppressedRows = suppressed.slice(0, limits.suppressedRows);
  const leftOut = counts.shown.total - rendered;
  const suppressedLeftOut = counts.suppressed.total - suppressedRows.length;

  const onPage = [...shown, ...suppressedRows];
  const options = (values: Iterable<[string, string]>) =>
    [...new Map(values)]
      .sort((a, b) => a[1].localeCompare(b[1]))
      .map(([v, l]) => [field(v, 300), field(l, 80)]);
  const data = {
    severities: BY_RANK.map((s) => [s, s]),
    categories: options(onPage.map((f) => [f.category, f.category])),
    principals: options(onPage.map((f) => [f.principal?.arn ?? '-', principalLabel(f)])),
    accounts: options(onPage.map((f) => [f.account ?? '-', f.account ?? '-'])),
    rendered,
    suppressedRendered: suppressedRows.length,
  };

  const notice =
    leftOut > 0 || cardsLeftOut > 0
      ? `<p class="notice" id="left-out">${plural(leftOut, 'finding')} (${plural(cardsLeftOut, 'group')}) not shown below: the page shows at most ${limits.cards} groups, ${limits.perCard} findings per group and ${limits.rows.toLocaleString('en-US')} findings in all (use <code>--json</code> for every finding). The counts above cover all ${counts.shown.total.toLocaleString('en-US')}.</p>`
      : '';
  const suppressedNotice =
    suppressedLeftOut > 0
      ? `<p class="notice" id="suppressed-left-out">${plural(suppressedLeftOut, 'suppressed finding')} not shown (at most ${limits.suppressedRows.toLocaleString('en-US')}).</p>`
      : '';

  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>ssm-sentinel replay report</title>',
    `<style>${REPORT_STYLE}</style></head><body>`,
    `<header class="top"><h1>ssm-sentinel replay report</h1><p class="muted">Generated ${t(shownTime(input.generatedAt), 40)} · ${plural(counts.shown.total, 'finding')} · ${plural(counts.suppressed.total, 'suppressed finding')} · evidence is masked</p>`,
    '<nav><a href="#summary">Summary</a> · <a href="#findings">Findings</a> · <a href="#suppressed">Suppressed</a></nav></header>',
    '<main>',
    `<section id="summary"><h2>Summary</h2>${countsBlock(counts.shown, 'counts')}<h3>Timeline</h3>${timeline(counts)}</section>`,
    '<section id="findings"><h2>Findings</h2>',
    '<form id="filters" class="filters" autocomplete="off">',
    '<label>Severity <select id="f-sev"><option value="">all</option></select></label>',
    '<label>Category <select id="f-cat"><option value="">all</option></select></label>',
    '<label>Principal <select id="f-principal"><option value="">all</option></select></label>',
    '<label>Account <select id="f-account"><option value="">all</option></select></label>',
    '<label>Search <input id="f-text" type="search" placeholder="title, evidence, rule, target…"></label>',
    `<output id="shown">${plural(rendered, 'finding')} shown</output></form>`,
    notice,
    cards.length ? cards.join('\n') : '<p class="muted">No findings.</p>',
    '</section>',
    `<section id="suppressed"><h2>Suppressed <span class="muted">(${plural(counts.suppressed.total, 'finding')}, not in the counts above)</span></h2>`,
    counts.suppressed.total ? countsBlock(counts.suppressed, 'suppressed-counts') : '',
    suppressedNotice,
    suppressedRows.length
      ? `<ol class="rows suppressed-list">${suppressedRows.map((f) => row(f, true)).join('\n')}</ol>`
      : '<p class="muted">No suppressed findings.</p>',
    '</section></main>',
    `<script type="application/json" id="report-data">${jsonForScript(data)}</script>`,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
