import { describe, expect, it } from 'vitest';
import { secretDetector } from '#shared/detect/secrets';
import { CATEGORIES, SEVERITIES } from '#shared/model/finding';
import { SECRET_KINDS, SECRET_RULES, secretRule } from '#shared/rules/secret-rules';

const scan = (text: string) => secretDetector.scan([{ n: 1, text, erased: [] }], {});

// Test names show the example's index, never its text: examples are secret-shaped by design.
const matches = SECRET_RULES.flatMap((r) =>
  r.examples.match.map((line, i) => ({ id: r.id, kind: r.kind, line, i })),
);
const noMatches = SECRET_RULES.flatMap((r) => r.examples.noMatch.map((line, i) => ({ id: r.id, line, i })));

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

  it('secretRule throws on an unknown id', () => {
    expect(() => secretRule('secret-nope')).toThrow(/unknown secret rule/);
  });

  it.each(matches)('$id fires on match example $i', ({ id, kind, line }) => {
    const hits = scan(line).filter((d) => d.ruleId === id);
    expect(hits.length).toBeGreaterThan(0);
    for (const d of hits) {
      expect(d.kind).toBe(kind);
      expect(d.category).toBe('secret');
      expect(d.severity).toBe(secretRule(id).severity);
      expect(d.line).toBe(1);
      expect(line).toContain(d.value);
    }
  });

  it.each(noMatches)('$id stays quiet on noMatch example $i', ({ id, line }) => {
    expect(scan(line).filter((d) => d.ruleId === id)).toEqual([]);
  });
});
