import { describe, expect, it } from 'vitest';
import { buildDigest } from '#shared/alerts/digest';
import { DIGEST_MAX_RULES, DigestSchema } from '#shared/model/digest';
import { ruleById } from '#shared/rules/index';
import type { IncidentWindow } from '#shared/state/types';

const T0 = Date.parse('2026-03-02T14:05:00Z');

function window(over: Partial<IncidentWindow> = {}): IncidentWindow {
  return {
    key: 'k',
    window: 1,
    subject: { scope: 'session', sessionId: 'mallory-0a1b2c3d4e5f6a7b8', category: 'risky-command' },
    openedAtMs: T0,
    closesAtMs: T0 + 15 * 60_000,
    counts: [
      { ruleId: 'cmd-reverse-shell', severity: 'CRITICAL', count: 1 },
      { ruleId: 'secret-aws-access-key', severity: 'HIGH', count: 3 },
      { ruleId: 'secret-aws-access-key', severity: 'CRITICAL', count: 1 },
      { ruleId: 'cmd-history-tampering', severity: 'MEDIUM', count: 5 },
    ],
    excerpts: { 'secret-aws-access-key': 'AKIA************MPLE' },
    alerted: 2,
    ...over,
  };
}

describe('buildDigest', () => {
  it('counts by rule, highest severity first then most frequent, with titles and excerpts', () => {
    const d = buildDigest(window(), ruleById);
    expect(DigestSchema.parse(d)).toEqual(d);
    expect(d?.severity).toBe('CRITICAL');
    expect([d?.total, d?.alerted, d?.omittedRules]).toEqual([10, 2, 0]);
    expect(d?.rules.map((r) => [r.ruleId, r.severity, r.count])).toEqual([
      ['secret-aws-access-key', 'CRITICAL', 4],
      ['cmd-reverse-shell', 'CRITICAL', 1],
      ['cmd-history-tampering', 'MEDIUM', 5],
    ]);
    expect(d?.rules[0]?.excerpt).toBe('AKIA************MPLE');
    expect(d?.rules[0]?.title).toBe(ruleById('secret-aws-access-key')?.title);
    expect(d?.window).toEqual({
      number: 1,
      start: '2026-03-02T14:05:00.000Z',
      end: '2026-03-02T14:20:00.000Z',
    });
  });

  it('has a stable id per incident window', () => {
    expect(buildDigest(window(), ruleById)?.id).toBe(buildDigest(window(), ruleById)?.id);
    expect(buildDigest(window(), ruleById)?.id).not.toBe(buildDigest(window({ window: 2 }), ruleById)?.id);
  });

  it('says nothing when the window holds only what was alerted at once', () => {
    const once = [{ ruleId: 'cmd-reverse-shell', severity: 'CRITICAL' as const, count: 1 }];
    expect(buildDigest(window({ counts: once, alerted: 1 }), ruleById)).toBeUndefined();
    expect(buildDigest(window({ counts: once, alerted: 0 }), ruleById)?.total).toBe(1);
  });

  it('lists at most DIGEST_MAX_RULES rules and counts the rest', () => {
    const counts = Array.from({ length: DIGEST_MAX_RULES + 7 }, (_, i) => ({
      ruleId: `rule-${i}`,
      severity: 'LOW' as const,
      count: 1,
    }));
    const d = buildDigest(window({ counts, alerted: 0 }), ruleById);
    expect(d?.rules).toHaveLength(DIGEST_MAX_RULES);
    expect(d?.omittedRules).toBe(7);
    // An unknown rule id is shown by its id.
    expect(d?.rules[0]?.title).toBe(d?.rules[0]?.ruleId);
  });
});
