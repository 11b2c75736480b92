import { describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '#shared/detect/pii-local';
import { parseConfig } from '#shared/model/config';
import { PII_FAMILY } from '#shared/rules/families';
import {
  LOCAL_PII_RULES,
  type LocalPiiRule,
  PII_RULES,
  piiEntityCounts,
  piiRuleFor,
  piiSeverity,
} from '#shared/rules/pii-rules';

// A zero threshold so each example is judged by the detector's own acceptance, not the default score cut.
const detector = createLocalPiiDetector(parseConfig({ pii: { minScore: 0 } }));
const scan = (text: string) => detector.scan([{ n: 1, text, erased: [] }], {});
const local = PII_RULES.filter((r): r is LocalPiiRule => r.local !== undefined);

const matches = local.flatMap((r) =>
  (r.examples?.match ?? []).map((line, i) => ({ id: r.id, kind: r.kind, line, i })),
);
const noMatches = local.flatMap((r) => (r.examples?.noMatch ?? []).map((line, i) => ({ id: r.id, line, i })));

describe('PII_RULES', () => {
  it('are well-formed: unique ids, category pii, local rules carry examples both ways', () => {
    expect(new Set(PII_RULES.map((r) => r.id)).size).toBe(PII_RULES.length);
    for (const r of PII_RULES) {
      expect(r.id).toMatch(/^pii-[a-z0-9-]+$/);
      expect(r.category).toBe('pii');
      expect(r.playbook.length).toBeGreaterThan(0);
      expect(r.examples.match.length).toBeGreaterThan(0);
      expect(r.examples.noMatch.length).toBeGreaterThan(0);
      expect(r.references?.length).toBeGreaterThan(0);
    }
    for (const r of local) {
      expect(r.examples?.match.length).toBeGreaterThan(0);
      expect(r.examples?.noMatch.length).toBeGreaterThan(0);
    }
  });

  it('keeps the severities DEFAULT_CONFIG gives each type', () => {
    for (const r of PII_RULES) expect(r.severity).toBe(piiSeverity(r.kind, parseConfig({})));
  });

  it('lists the local rules first, with their matchers: the engine runs them in this order', () => {
    expect(LOCAL_PII_RULES.map((r) => r.id)).toEqual([
      'pii-email',
      'pii-credit-debit-number',
      'pii-iban',
      'pii-ssn',
      'pii-phone',
    ]);
    expect(PII_RULES.slice(0, LOCAL_PII_RULES.length)).toEqual(LOCAL_PII_RULES);
    for (const r of LOCAL_PII_RULES) expect(r.local.length).toBeGreaterThan(0);
  });

  it.each(matches)('$id fires on match example $i', ({ id, kind, line }) => {
    const hits = scan(line).filter((d) => d.ruleId === id);
    expect(hits.length).toBeGreaterThan(0);
    for (const d of hits) {
      expect(d.kind).toBe(kind);
      expect(d.score).toBeGreaterThan(0);
      expect(d.score).toBeLessThanOrEqual(1);
    }
  });

  it.each(noMatches)('$id stays quiet on noMatch example $i', ({ id, line }) => {
    expect(scan(line).filter((d) => d.ruleId === id)).toEqual([]);
  });
});

describe('PII_FAMILY', () => {
  const cases = (which: 'match' | 'noMatch') =>
    PII_FAMILY.rules.flatMap((rule) =>
      rule.examples[which].map((example, i) => ({ id: rule.id, rule, example, i })),
    );

  it.each(cases('match'))('$id fires on match example $i', async ({ rule, example }) => {
    expect(await PII_FAMILY.fires(rule, example)).toBe(true);
  });

  it.each(cases('noMatch'))('$id stays quiet on noMatch example $i', async ({ rule, example }) => {
    expect(await PII_FAMILY.fires(rule, example)).toBe(false);
  });

  it("matches Comprehend entities of a local rule's type too, under the IBAN alias as well", () => {
    const iban = PII_RULES.find((r) => r.id === 'pii-iban')!;
    expect(PII_FAMILY.fires(iban, { Type: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER', Score: 0.9 })).toBe(true);
    expect(PII_FAMILY.fires(iban, { Type: 'IBAN', Score: 0.9 })).toBe(true);
    expect(PII_FAMILY.fires(iban, { Type: 'BANK_ACCOUNT_NUMBER', Score: 0.9 })).toBe(false);
    const name = PII_RULES.find((r) => r.id === 'pii-name')!;
    expect(PII_FAMILY.fires(name, 'Jane Doe')).toBe(false);
  });
});

describe('piiEntityCounts', () => {
  const config = parseConfig({ pii: { minScore: 0.9 } });

  it('keeps typed entities at or above config.pii.minScore, whatever their type', () => {
    expect(piiEntityCounts({ Type: 'NAME', Score: 0.9 }, config)).toBe(true);
    expect(piiEntityCounts({ Type: 'UK_NATIONAL_INSURANCE_NUMBER', Score: 1 }, config)).toBe(true);
    expect(piiEntityCounts({ Type: 'NAME', Score: 0.89 }, config)).toBe(false);
  });

  it('drops malformed entities, and keeps a NaN score as the scanner always did', () => {
    for (const bad of [null, undefined, 5, 'NAME', {}, { Type: 'NAME' }, { Score: 1 }, { Type: 1, Score: 1 }])
      expect(piiEntityCounts(bad, config)).toBe(false);
    expect(piiEntityCounts({ Type: 'NAME', Score: Number.NaN }, config)).toBe(true);
  });
});

describe('piiRuleFor', () => {
  it('maps Comprehend types to the same rule as the local detector', () => {
    expect(piiRuleFor('SSN').id).toBe('pii-ssn');
    expect(piiRuleFor('credit_debit_number').id).toBe('pii-credit-debit-number');
    expect(piiRuleFor('NAME').id).toBe('pii-name');
    expect(piiRuleFor('INTERNATIONAL_BANK_ACCOUNT_NUMBER').id).toBe('pii-iban');
    expect(piiRuleFor('IBAN').id).toBe('pii-iban');
  });

  it('generates a rule for a type it does not know, so nothing is dropped', () => {
    const r = piiRuleFor('UK_NATIONAL_INSURANCE_NUMBER');
    expect(r.id).toBe('pii-uk-national-insurance-number');
    expect(r.category).toBe('pii');
    expect(r.severity).toBe('MEDIUM');
    expect(r.title).toContain('uk national insurance number');
  });
});

describe('piiSeverity', () => {
  it('uses config.pii.typeSeverity, its IBAN alias, then defaultSeverity', () => {
    const config = parseConfig({
      pii: { typeSeverity: { EMAIL: 'HIGH', IBAN: 'CRITICAL' }, defaultSeverity: 'LOW' },
    });
    expect(piiSeverity('EMAIL', config)).toBe('HIGH');
    expect(piiSeverity('INTERNATIONAL_BANK_ACCOUNT_NUMBER', config)).toBe('CRITICAL');
    expect(piiSeverity('SSN', config)).toBe('LOW');
    expect(piiSeverity('ssn', parseConfig({}))).toBe('HIGH');
    expect(piiSeverity('AGE', parseConfig({}))).toBe('MEDIUM');
  });
});
