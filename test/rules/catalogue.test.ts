import { describe, expect, it } from 'vitest';
import { CATEGORIES, SEVERITIES } from '#shared/model/finding';
import { RESPONDER_RULE_ID } from '#shared/respond/respond';
import { ALL_RULES, ruleById } from '#shared/rules/index';
import { PII_UNAVAILABLE_RULE } from '#shared/transcript/scan';

describe('rule catalogue', () => {
  it('has unique ids and complete metadata for every rule', () => {
    const ids = ALL_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of ALL_RULES) {
      expect(CATEGORIES).toContain(r.category);
      expect(SEVERITIES).toContain(r.severity);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.description.length).toBeGreaterThan(20);
      expect(r.playbook.length).toBeGreaterThan(0);
    }
  });

  it('covers every category a finding can have', () => {
    const covered = new Set(ALL_RULES.map((r) => r.category));
    expect(CATEGORIES.filter((c) => !covered.has(c))).toEqual([]);
  });

  it('knows the rules the scanner and responder emit, and generates unknown PII types', () => {
    expect(ruleById(PII_UNAVAILABLE_RULE)?.category).toBe('scan-error');
    expect(ruleById(RESPONDER_RULE_ID)?.category).toBe('session-terminated');
    expect(ruleById('pii-us-passport-number')?.category).toBe('pii');
    expect(ruleById('no-such-rule')).toBeUndefined();
  });
});
