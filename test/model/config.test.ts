import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { describeError, InputError } from '#shared/errors';
import { ConfigError, ConfigSchema, DEFAULT_CONFIG, parseConfig } from '#shared/model/config';
import { isRuleId } from '#shared/model/rule-ids';
import { ALL_RULES, ruleById } from '#shared/rules/index';
import { PLANTS } from '../session/plants';

function refusal(input: unknown): string {
  try {
    parseConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('parseConfig: the document', () => {
  it('gives the defaults for no configuration and for {}', () => {
    expect(parseConfig(undefined)).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it.each([null, [], 'prod', 42, true])('refuses %j: config must be a JSON object', (input) => {
    expect(refusal(input)).toBe('config must be a JSON object');
  });
});

describe('parseConfig: severityOverrides', () => {
  it('accepts every rule id of the catalogue, and generated PII rule ids', () => {
    const overrides = Object.fromEntries(ALL_RULES.map((r) => [r.id, 'LOW']));
    expect(Object.keys(parseConfig({ severityOverrides: overrides }).severityOverrides)).toHaveLength(
      ALL_RULES.length,
    );
    expect(
      parseConfig({ severityOverrides: { 'pii-us-passport-number': 'HIGH' } }).severityOverrides,
    ).toEqual({
      'pii-us-passport-number': 'HIGH',
    });
  });

  it('knows exactly the catalogue: every ALL_RULES id, every id ruleById knows of the pii- form', () => {
    for (const r of ALL_RULES) expect(isRuleId(r.id)).toBe(true);
    expect(ruleById('pii-some-new-type')?.id).toBe('pii-some-new-type');
    for (const id of ['session-start', 'cmd-unknown', 'SESSION-START-SHELL', '']) {
      expect(isRuleId(id)).toBe(false);
      expect(ruleById(id)).toBeUndefined();
    }
    // Malformed pii- ids: ruleById would still answer (with pii-unknown), the config refuses them.
    for (const id of ['pii-', 'pii--x', 'pii-A', `pii-${'x'.repeat(100)}`]) expect(isRuleId(id)).toBe(false);
  });

  it('refuses an unknown rule id naming the key', () => {
    expect(
      refusal({ severityOverrides: { 'session-start-shel': 'HIGH', 'session-start-shell': 'LOW' } }),
    ).toBe('config key "severityOverrides.session-start-shel": unknown rule id');
  });

  it('does not name a key that carries a secret or personal data', () => {
    for (const plant of PLANTS) {
      const message = refusal({ severityOverrides: { [plant.text]: 'HIGH' } });
      expect(message).toMatch(/^config key "severityOverrides\.(<key>|[^"]*)": unknown rule id$/);
      for (const n of plant.needles) expect(message).not.toContain(n);
    }
  });
});

describe('parseConfig: errors name the key and the problem, never the value', () => {
  it.each([
    [
      { alerts: { minSeverity: 'URGENT' } },
      /^config key "alerts\.minSeverity": expected one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL$/,
    ],
    [{ autoTerminate: { enabeld: true } }, /^config key "autoTerminate\.enabeld": unknown key$/],
    [{ trustedCidrs: ['10.0.0.0/33'] }, /^config key "trustedCidrs\.0": must be an IPv4 or IPv6 CIDR/],
    [{ sensitivePorts: 'all' }, /^config key "sensitivePorts": expected array$/],
    [{ businessHours: { start: '25:00' } }, /^config key "businessHours\.start": must be HH:MM;/],
    [{ pii: { minScore: 7 } }, /^config key "pii\.minScore": Too big/],
  ])('%j', (input, message) => {
    expect(refusal(input)).toMatch(message);
  });

  it('plants in every kind of value and key never come back', () => {
    for (const plant of PLANTS) {
      const inputs = [
        { alerts: { minSeverity: plant.text } },
        { alerts: { emails: [plant.text, 'x'] } },
        { trustedCidrs: [plant.text] },
        { businessHours: { timezone: plant.text } },
        { businessHours: { start: plant.text } },
        { stack: { regions: [plant.text] } },
        { sensitivePorts: [plant.text] },
        { pii: { typeSeverity: { SSN: plant.text } } },
        { productionTags: { [plant.text]: 'prod' } },
        { autoTerminate: { [plant.text]: true } },
        { [plant.text]: 1 },
        { severityOverrides: { [plant.text]: plant.text } },
      ];
      for (const input of inputs) {
        const message = refusal(input);
        const described = describeError(new ConfigError(message));
        for (const n of plant.needles) {
          expect(message).not.toContain(n);
          expect(described).not.toContain(n);
        }
        expect(message).toMatch(/^config key "/);
        expect(message).not.toContain('\n');
      }
    }
  });

  it('every other key keeps its behaviour', () => {
    const c = parseConfig({
      severityOverrides: { 'session-off-hours': 'HIGH' },
      productionTags: { 'aws:cloudformation:stack-name': ['prod'] },
      pii: { typeSeverity: { CUSTOM_TYPE: 'LOW' } },
    });
    expect(c.severityOverrides).toEqual({ 'session-off-hours': 'HIGH' });
    expect(c.productionTags).toEqual({ 'aws:cloudformation:stack-name': ['prod'] });
    expect(c.pii.typeSeverity).toEqual({ CUSTOM_TYPE: 'LOW' });
  });
});

describe('docs/CONTRACT.md documents the configuration as the schema defines it', () => {
  const doc = readFileSync(new URL('../../docs/CONTRACT.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Configuration'), doc.indexOf('## Command line'));
  const rows = new Map<string, unknown>();
  for (const m of section.matchAll(/^\| `([\w.]+)` \| `([^`]+)` \|/gm)) rows.set(m[1]!, JSON.parse(m[2]!));

  /** The schema's object members (through default, prefault, nullable); records and arrays are values. */
  function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
    const def = schema._zod.def as {
      type: string;
      innerType?: z.core.$ZodType;
      shape?: Record<string, z.core.$ZodType>;
    };
    if (def.type === 'object') return def.shape;
    return def.innerType ? objectShape(def.innerType) : undefined;
  }

  function leaves(schema: z.core.$ZodType, value: unknown, prefix: string, out: Map<string, unknown>): void {
    const shape = objectShape(schema);
    if (!shape) {
      out.set(prefix, value);
      return;
    }
    for (const [key, member] of Object.entries(shape))
      leaves(member, (value as Record<string, unknown>)[key], prefix ? `${prefix}.${key}` : key, out);
  }

  it('every key, with its default, and no key the schema does not have', () => {
    // businessHours is null by default (rule off); its members have defaults once it is given.
    const expected = new Map<string, unknown>([['businessHours', DEFAULT_CONFIG.businessHours]]);
    leaves(ConfigSchema, parseConfig({ businessHours: {} }), '', expected);
    expect(rows.size).toBeGreaterThan(30);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });
});
