import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReportAggregate } from '#cli/report/aggregate';
import { buildReport, escapeHtml, jsonForScript, REPORT_CSP, type ReportInput } from '#cli/report/html';
import type { Finding } from '#shared/model/finding';
import { ruleById } from '#shared/rules/index';
import type { SessionRecord } from '#shared/state/types';
import { makeFinding } from '#test/format/findings';

const HOSTILE_TITLE = '</script><script>alert(1)</script>';
const HOSTILE_EXCERPT = '<img src=x onerror=alert(2)>';

function finding(i: number, overrides: Partial<Finding> = {}): Finding {
  const minute = String(i % 60).padStart(2, '0');
  return makeFinding({
    id: `f-${String(i).padStart(5, '0')}`,
    time: `2026-03-02T14:${minute}:00Z`,
    ...overrides,
  });
}

function report(findings: Finding[], extra: Partial<ReportInput> = {}, all: Finding[] = findings): string {
  const aggregate = new ReportAggregate();
  for (const f of all) aggregate.add(f);
  return buildReport({
    counts: aggregate.result(),
    findings,
    sessions: new Map(),
    targetTags: {},
    generatedAt: '2026-03-02T15:00:00Z',
    ...extra,
  });
}

/** The element with `id`'s text (the page's own markup is regular: no nesting of the same tag). */
function between(html: string, start: string, end: string): string {
  const from = html.indexOf(start);
  expect(from).toBeGreaterThanOrEqual(0);
  return html.slice(from + start.length, html.indexOf(end, from + start.length));
}

describe('escapeHtml and jsonForScript', () => {
  it('escape markup, quotes and control characters', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\u0000`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;\ufffd',
    );
  });

  it('write JSON that cannot close its script element and reads back the same', () => {
    const value = { a: `${HOSTILE_TITLE} & \u2028\u2029 <!-- -->` };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('buildReport', () => {
  it('escapes hostile titles, excerpts, principals and session ids: only its own two scripts run', () => {
    const html = report([
      finding(1, {
        title: HOSTILE_TITLE,
        evidence: [{ kind: '<b>KIND</b>', excerpt: HOSTILE_EXCERPT }],
        principal: {
          arn: 'arn:aws:iam::1:user/"><svg onload=alert(3)>',
          type: 'IAMUser',
          name: 'x\u2028y</script>',
        },
        sessionId: '"><script>alert(4)</script>',
        target: "i-1' onmouseover='alert(5)",
        reasons: ['<iframe src=//evil>'],
      }),
    ]);
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<svg onload');
    expect(html).not.toContain('<iframe');
    expect(html).not.toContain("' onmouseover='");
    expect(html).not.toMatch(/[\u2028\u2029]/);
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
    const data = between(html, '<script type="application/json" id="report-data">', '</script>');
    expect(data).not.toMatch(/[<>&]/);
    const parsed = JSON.parse(data) as { principals: string[][] };
    expect(parsed.principals[0]![0]).toBe('arn:aws:iam::1:user/"><svg onload=alert(3)>');
  });

  it('allows exactly its inline style and script by hash, nothing from anywhere', () => {
    const html = report([finding(1)]);
    const script = between(html, '<script>', '</script>');
    const style = between(html, '<style>', '</style>');
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(REPORT_CSP).toBe(
      `default-src 'none'; style-src ${hash(style)}; script-src ${hash(script)}; img-src 'none'; base-uri 'none'; form-action 'none'`,
    );
    expect(html).toContain(`content="${escapeHtml(REPORT_CSP)}"`);
  });

  it('counts every finding of the aggregate, renders within the caps and says how many were left out', () => {
    const all = Array.from({ length: 20 }, (_, i) => finding(i, { sessionId: `s-${i % 4}` }));
    const kept = all.slice(0, 16);
    const html = report(kept, { limits: { cards: 2, perCard: 3, rows: 5 } }, all);
    expect(between(html, 'data-count-total>', '<')).toBe('20');
    expect(between(html, 'data-count-sev="HIGH">', '<')).toBe('20');
    expect(html.match(/<li class="f"/g)).toHaveLength(5);
    expect(html.match(/<article class="card"/g)).toHaveLength(2);
    expect(between(html, '<p class="notice" id="left-out">', '</p>')).toMatch(
      /^15 findings \(2 groups\) not shown/,
    );
    // First card: 4 kept, 3 shown; second: 4 kept, the 2 rows left.
    expect(html).toContain('1 more finding of this group not shown');
    expect(html).toContain('2 more findings of this group not shown');
  });

  it('puts a group of findings without a session per principal, after the sessions', () => {
    const bob = { arn: 'arn:aws:iam::123456789012:user/bob', type: 'IAMUser', name: 'bob' };
    const html = report([
      finding(1, { sessionId: undefined, principal: bob, severity: 'CRITICAL' }),
      finding(2, { sessionId: 's-1', severity: 'LOW' }),
      finding(3, { sessionId: undefined, principal: bob }),
    ]);
    const groups = [...html.matchAll(/<article class="card" data-group="(\w+)" data-key="([^"]*)"/g)].map(
      (m) => [m[1], m[2]],
    );
    expect(groups).toEqual([
      ['session', 's-1'],
      ['principal', bob.arn],
    ]);
  });

  it('shows a session card with its record: kind, principal, source IP, target tags, reason, duration', () => {
    const record: SessionRecord = {
      sessionId: 's-1',
      startTime: '2026-03-02T14:00:00Z',
      endedAt: '2026-03-02T15:02:03Z',
      sessionKind: 'port-forward',
      sourceIp: '198.51.100.4',
      target: 'i-0abc1234def567890',
      principal: { arn: 'arn:aws:sts::1:assumed-role/Ops/carol', type: 'AssumedRole', name: 'carol' },
      reason: { length: 42, excerpt: 'ticket OPS-1 ****' },
    };
    const html = report(
      [finding(3, { sessionId: 's-1', ruleId: 'cmd-reverse-shell' }), finding(1, { sessionId: 's-1' })],
      {
        sessions: new Map([['s-1', record]]),
        targetTags: { 'i-0abc1234def567890': { Environment: 'prod' } },
      },
    );
    const head = between(html, '<header class="card-head">', '</header>');
    for (const text of [
      'port-forward',
      'carol',
      '198.51.100.4',
      'Environment=prod',
      'ticket OPS-1 ****',
      '(42 characters)',
      '1h 2m 3s',
    ])
      expect(head).toContain(text);
    expect([...html.matchAll(/data-id="(f-\d+)"/g)].map((m) => m[1])).toEqual(['f-00001', 'f-00003']);
    // The rule's playbook from the catalogue (a rule not in it has none).
    const playbook = ruleById('cmd-reverse-shell')!.playbook;
    expect(playbook.length).toBeGreaterThan(0);
    expect(html.match(/<summary>Playbook<\/summary>/g)).toHaveLength(1);
    expect(html).toContain(`<li>${escapeHtml(playbook[0]!)}</li>`);
  });

  it('shows suppressed findings apart: in their own section and counts, not in the main ones', () => {
    const suppressed = { by: 'config' as const, until: '2026-04-01T00:00:00Z' };
    const html = report([finding(1, { severity: 'CRITICAL', suppressed }), finding(2, { severity: 'LOW' })]);
    const main = between(html, '<section id="findings">', '</section>');
    const apart = between(html, '<section id="suppressed">', '</section>');
    expect(main).toContain('data-id="f-00002"');
    expect(main).not.toContain('data-id="f-00001"');
    expect(apart).toContain('data-id="f-00001"');
    expect(apart).toContain('suppressed by config until 2026-04-01 00:00:00Z');
    const counts = between(html, '<div class="counts" id="counts">', '</section>');
    expect(between(counts, 'data-count-sev="CRITICAL">', '<')).toBe('0');
    expect(between(counts, 'data-count-total>', '<')).toBe('1');
    expect(between(apart, 'data-count-sev="CRITICAL">', '<')).toBe('1');
  });

  it('stays bounded for a large replay: at most 5,000 rows and 500 cards, a few MB', () => {
    const all = Array.from({ length: 20_000 }, (_, i) => finding(i, { sessionId: `s-${i % 2_000}` }));
    const html = report(all);
    expect(html.match(/<li class="f"/g)).toHaveLength(5_000);
    expect((html.match(/<article class="card"/g) ?? []).length).toBeLessThanOrEqual(500);
    expect(html).toContain('15,000 findings');
    expect(html.length).toBeLessThan(15_000_000);
  });
});

describe('the timeline', () => {
  it('draws hours for a short replay and merges days into at most 121 bars however far apart', () => {
    const short = report([finding(1), finding(2, { time: '2026-03-02T16:00:00Z' })]);
    expect(short).toContain('aria-label="findings per hour"');
    const far = Array.from({ length: 500 }, (_, i) =>
      finding(i, { time: new Date(Date.UTC(1990, 0, 1) + i * 37 * 86_400_000).toISOString() }),
    );
    far.push(finding(999, { time: '+275760-09-13T00:00:00.000Z' }));
    const html = report(far);
    const svg = between(html, '<svg class="timeline"', '</svg>');
    expect(svg).toMatch(/aria-label="findings per \d+ days"/);
    expect((svg.match(/<rect/g) ?? []).length).toBeLessThanOrEqual(121);
    expect(html).not.toContain('NaN');
  });
});

describe('ReportAggregate', () => {
  it('counts by severity and category, and per hour and day', () => {
    const a = new ReportAggregate();
    a.add(finding(1, { severity: 'HIGH', category: 'secret', time: '2026-03-02T14:10:00Z' }));
    a.add(finding(2, { severity: 'LOW', category: 'pii', time: '2026-03-02T14:50:00Z' }));
    a.add(finding(3, { severity: 'LOW', category: 'pii', time: '2026-03-03T01:00:00Z' }));
    a.add(finding(4, { time: 'not a time' }));
    const r = a.result();
    expect(r.shown.total).toBe(4);
    expect(r.shown.bySeverity).toMatchObject({ HIGH: 2, LOW: 2, CRITICAL: 0 });
    expect(Object.fromEntries(r.shown.byCategory)).toEqual({ secret: 2, pii: 2 });
    expect(r.hours?.size).toBe(2);
    expect(r.days.size).toBe(2);
    expect(r.undated).toBe(1);
  });

  it('stops counting per hour past its limit (days remain)', () => {
    const a = new ReportAggregate();
    for (let h = 0; h < 20_001; h++)
      a.add(finding(h, { time: new Date(Date.UTC(2020, 0, 1) + h * 3_600_000).toISOString() }));
    expect(a.result().hours).toBeUndefined();
    expect(a.result().days.size).toBe(Math.ceil(20_001 / 24));
  });
});
