import { describe, expect, it } from 'vitest';
import { secretDetector } from '#shared/detect/secrets';
import { CATEGORIES, SEVERITIES } from '#shared/model/finding';
import { SECRET_FAMILY, SECRET_KINDS, SECRET_RULES } from '#shared/rules/secret-rules';

const scan = (text: string) => secretDetector.scan([{ n: 1, text, erased: [] }], {});

// Test names show the example's index, never its text: examples are secret-shaped by design.
const matches = SECRET_RULES.flatMap((rule) =>
  rule.examples.match.map((line, i) => ({ id: rule.id, rule, line, i })),
);
const noMatches = SECRET_RULES.flatMap((rule) =>
  rule.examples.noMatch.map((line, i) => ({ id: rule.id, rule, line, i })),
);

describe('SECRET_RULES', () => {
  it('are well-formed data: unique kebab-case ids, category secret, known severity, playbook', () => {
    expect(new Set(SECRET_RULES.map((r) => r.id)).size).toBe(SECRET_RULES.length);
    for (const r of SECRET_RULES) {
      expect(r.id).toMatch(/^secret-[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.category).toBe('secret');
      expect(CATEGORIES).toContain(r.category);
      expect(SEVERITIES).toContain(r.severity);
      expect(r.playbook.length).toBeGreaterThan(0);
      expect(r.examples.match.length).toBeGreaterThan(0);
      expect(r.examples.noMatch.length).toBeGreaterThan(0);
    }
  });

  it('cover every secret kind', () => {
    expect(new Set(SECRET_RULES.map((r) => r.kind))).toEqual(new Set(SECRET_KINDS));
  });

  it('own their matchers: global regexes with indices, each gated by lower-case hints', () => {
    for (const r of SECRET_RULES) {
      expect(r.patterns.length).toBeGreaterThan(0);
      for (const p of r.patterns) {
        expect(p.re.flags).toContain('g');
        expect(p.re.flags).toContain('d');
        expect(p.hint.length).toBeGreaterThan(0);
        for (const h of p.hint) expect(h).toBe(h.toLowerCase());
      }
    }
  });

  it('cite a MITRE ATT&CK technique', () => {
    for (const r of SECRET_RULES)
      expect(r.references?.some((u) => u.startsWith('https://attack.mitre.org/techniques/T'))).toBe(true);
  });

  it('SECRET_FAMILY is the secret family over these rules', () => {
    expect(SECRET_FAMILY.name).toBe('secret');
    expect(SECRET_FAMILY.rules).toBe(SECRET_RULES);
  });

  it.each(matches)('$id fires on match example $i', ({ rule, line }) => {
    const hits = scan(line).filter((d) => d.ruleId === rule.id);
    expect(hits.length).toBeGreaterThan(0);
    for (const d of hits) {
      expect(d.kind).toBe(rule.kind);
      expect(d.category).toBe('secret');
      expect(d.severity).toBe(rule.severity);
      expect(d.line).toBe(1);
      expect(line).toContain(d.value);
    }
    expect(SECRET_FAMILY.fires(rule, line)).toBe(true);
  });

  it.each(noMatches)('$id stays quiet on noMatch example $i', ({ rule, line }) => {
    expect(scan(line).filter((d) => d.ruleId === rule.id)).toEqual([]);
    expect(SECRET_FAMILY.fires(rule, line)).toBe(false);
  });
});
