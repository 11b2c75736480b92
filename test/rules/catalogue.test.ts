import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rulesTable, withRulesTable } from '#cli/table';
import { CATEGORIES, SEVERITIES } from '#shared/model/finding';
import { RULE_IDS } from '#shared/model/rule-ids';
import { RESPONDER_RULE_ID } from '#shared/respond/respond';
import { FAMILIES } from '#shared/rules/families';
import { ALL_RULES, ruleById } from '#shared/rules/index';
import { PII_UNAVAILABLE_RULE } from '#shared/transcript/scan';

const REGENERATE = 'out of date: run `npm run rules:table` and commit the result';
const CLOUDTRAIL_FAMILIES = new Set(['session', 'preferences', 'monitor']);

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

describe('the whole catalogue, family by family', () => {
  const familyRules = FAMILIES.flatMap((f) => f.rules.map((rule) => ({ family: f.name, rule })));

  it('holds every family once', () => {
    expect(FAMILIES.map((f) => f.name).sort()).toEqual(
      ['command', 'monitor', 'pii', 'preferences', 'secret', 'session', 'system'].sort(),
    );
  });

  it('has ids unique across every family', () => {
    const seen = new Map<string, string>();
    for (const { family, rule } of familyRules) {
      expect(seen.get(rule.id), `${rule.id} in ${family} and ${seen.get(rule.id)}`).toBeUndefined();
      seen.set(rule.id, family);
    }
  });

  it('puts every rule of ALL_RULES in exactly one family, and lists every family rule', () => {
    const byId = new Map<string, number>();
    for (const { rule } of familyRules) byId.set(rule.id, (byId.get(rule.id) ?? 0) + 1);
    for (const r of ALL_RULES) expect(byId.get(r.id), r.id).toBe(1);
    // The other way: `ssm-sentinel rules`, the README and the config read ALL_RULES.
    const listed = new Set(ALL_RULES.map((r) => r.id));
    for (const { family, rule } of familyRules)
      expect(listed.has(rule.id), `${family} ${rule.id}`).toBe(true);
  });

  it('routes every CloudTrail rule: the stack patterns are generated from these routes', () => {
    for (const { family, rule } of familyRules) {
      if (!CLOUDTRAIL_FAMILIES.has(family)) continue;
      expect(rule.routes?.length ?? 0, rule.id).toBeGreaterThan(0);
      for (const route of rule.routes ?? []) {
        expect(route.service, rule.id).toMatch(/^[a-z0-9-]+$/);
        expect(route.eventNames.length, rule.id).toBeGreaterThan(0);
      }
    }
  });

  for (const family of FAMILIES) {
    describe(`${family.name} family`, () => {
      it.each(family.rules.map((r) => [r.id, r] as const))(
        '%s: complete metadata, fires on every match and on no noMatch example',
        async (id, rule) => {
          expect(rule.id).toMatch(/^[a-z0-9.-]+$/);
          expect(CATEGORIES, id).toContain(rule.category);
          expect(SEVERITIES, id).toContain(rule.severity);
          expect(rule.title.length, id).toBeGreaterThan(5);
          expect(rule.description.length, id).toBeGreaterThan(20);
          expect(rule.playbook.length, id).toBeGreaterThan(0);
          expect(rule.examples.match.length, `${id}: a positive example`).toBeGreaterThan(0);
          expect(rule.examples.noMatch.length, `${id}: a negative example`).toBeGreaterThan(0);
          const missed: number[] = [];
          for (const [i, example] of rule.examples.match.entries()) {
            if (!(await family.fires(rule, example))) missed.push(i);
          }
          expect(missed, `${id}: match examples (by index) that do not fire`).toEqual([]);
          const wrong: number[] = [];
          for (const [i, example] of rule.examples.noMatch.entries()) {
            if (await family.fires(rule, example)) wrong.push(i);
          }
          expect(wrong, `${id}: noMatch examples (by index) that fire`).toEqual([]);
        },
      );
    });
  }
});

describe('generated from the catalogue', () => {
  it('the README rule table is the one `ssm-sentinel rules` prints', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
    const updated = withRulesTable(readme, rulesTable(ALL_RULES));
    expect(updated, 'README.md has no rules-table markers').toBeDefined();
    expect(updated === readme, `README.md rule table is ${REGENERATE}`).toBe(true);
  });

  it('the configuration knows exactly the named rule ids (PII ids go by their pii-<type> form)', () => {
    const named = ALL_RULES.map((r) => r.id).filter((id) => !id.startsWith('pii-'));
    expect([...RULE_IDS].sort()).toEqual(named.sort());
  });
});
