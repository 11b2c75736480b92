import { describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '#shared/detect/pii-local';
import { parseConfig } from '#shared/model/config';
import { PII_RULES, piiRuleFor, piiSeverity } from '#shared/rules/pii-rules';

// A zero threshold so each example is judged by the detector's own acceptance, not the default score cut.
const detector = createLocalPiiDetector(parseConfig({ pii: { minScore: 0 } }));
const scan = (text: string) => detector.scan([{ n: 1, text, erased: [] }], {});
const local = PII_RULES.filter((r) => r.local);

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
    }
    for (const r of local) {
      expect(r.examples?.match.length).toBeGreaterThan(0);
      expect(r.examples?.noMatch.length).toBeGreaterThan(0);
    }
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
