import { describe, expect, it } from 'vitest';
import { ALL_RULES } from '#shared/rules/index';
import { CONTEXT_CATEGORIES, isTerminable, MAX_CONTEXT_STEPS, withContext } from '#shared/rules/policy';
import { SESSION_RULES } from '#shared/rules/session-rules';
import { examplesOf, runExample } from '#shared/session/families';

describe('severity policy', () => {
  it('context raises at most two steps and never to CRITICAL', () => {
    expect(MAX_CONTEXT_STEPS).toBe(2);
    expect(withContext('INFORMATIONAL', 1)).toBe('LOW');
    expect(withContext('INFORMATIONAL', 5)).toBe('MEDIUM');
    expect(withContext('MEDIUM', 1)).toBe('HIGH');
    expect(withContext('MEDIUM', 2)).toBe('HIGH');
    expect(withContext('HIGH', 3)).toBe('HIGH');
    expect(withContext('CRITICAL', 0)).toBe('CRITICAL');
    expect(withContext('LOW', 0)).toBe('LOW');
  });

  it('no context rule is CRITICAL or terminable; every CRITICAL rule is an act', () => {
    for (const rule of ALL_RULES) {
      if (CONTEXT_CATEGORIES.has(rule.category)) {
        expect(rule.severity, rule.id).not.toBe('CRITICAL');
        expect(isTerminable(rule), rule.id).toBe(false);
      }
      if (rule.severity === 'CRITICAL') expect(CONTEXT_CATEGORIES.has(rule.category), rule.id).toBe(false);
    }
    const terminable = ALL_RULES.filter(isTerminable).map((r) => r.id);
    expect(terminable).toContain('session-root-principal');
    expect(terminable).toContain('cmd-reverse-shell');
    expect(terminable).not.toContain('session-start-shell');
  });

  it('no CloudTrail example gives a CRITICAL context finding', () => {
    let checked = 0;
    for (const rule of SESSION_RULES) {
      for (const [name, example] of examplesOf(rule.id)) {
        for (const f of runExample(example).findings) {
          checked++;
          if (CONTEXT_CATEGORIES.has(f.category))
            expect(f.severity, `${rule.id}: ${name}`).not.toBe('CRITICAL');
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
