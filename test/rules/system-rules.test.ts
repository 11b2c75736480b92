import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { FindingSchema } from '#shared/model/finding';
import { piiScanner, transcriptDetectors } from '#shared/pipeline/engine';
import { SYSTEM_FAMILY, SYSTEM_RULES } from '#shared/rules/system-rules';
import { scanTranscript } from '#shared/transcript/scan';
import type { TranscriptCarry } from '#shared/transcript/types';

interface Repeat {
  repeat: string;
  times: number;
}
type LineSpec = string | Repeat | { lines: Repeat; count: number };

interface Case {
  name: string;
  deliveries: LineSpec[][];
  expect?: string[];
  expectNot?: string[];
  expectEvidence?: Array<{ kind: string; count: number; lines?: number[] }>;
  expectCounts?: Record<string, number>;
}

const RULES = join(import.meta.dirname, '../../shared/rules');

/** Text of the lines a spec stands for; `{i}` counts on across the whole case. */
function expand(spec: LineSpec, counter: { i: number }): string[] {
  const repeat = (r: Repeat) =>
    Array.from({ length: r.times }, () => r.repeat.replaceAll('{i}', String(counter.i++))).join(' ');
  if (typeof spec === 'string') return [spec];
  if ('repeat' in spec) return [repeat(spec)];
  return Array.from({ length: spec.count }, () => repeat(spec.lines));
}

describe('system rules', () => {
  it.each(SYSTEM_RULES.map((r) => [r.id, r] as const))('%s is complete', (_id, rule) => {
    expect(rule.category).toMatch(/^(scan-error|session-terminated)$/);
    expect(rule.description.length).toBeGreaterThan(20);
    expect(rule.playbook.length).toBeGreaterThan(0);
  });

  it.each(SYSTEM_RULES.map((r) => [r.id, r] as const))('%s fires on its examples only', async (_id, rule) => {
    expect(rule.examples.match.length).toBeGreaterThan(0);
    expect(rule.examples.noMatch.length).toBeGreaterThan(0);
    for (const o of rule.examples.match) expect(await SYSTEM_FAMILY.fires(rule, o)).toBe(true);
    for (const o of rule.examples.noMatch) expect(await SYSTEM_FAMILY.fires(rule, o)).toBe(false);
  });
});

describe('scan-work-capped fixtures', () => {
  const { rule, cases } = JSON.parse(readFileSync(join(RULES, 'examples/scan-work-capped.json'), 'utf8')) as {
    rule: string;
    cases: Case[];
  };

  it('has a positive and a negative case', () => {
    expect(cases.some((c) => c.expect?.includes(rule))).toBe(true);
    expect(cases.some((c) => c.expectNot?.includes(rule))).toBe(true);
  });

  it.each(cases)('$name', async (c) => {
    const ctx = { config: DEFAULT_CONFIG, pii: piiScanner('local', DEFAULT_CONFIG) };
    let carry: TranscriptCarry | undefined;
    const counter = { i: 0 };
    const byRule = new Map<string, ReturnType<typeof FindingSchema.parse>>();
    for (const [d, delivery] of c.deliveries.entries()) {
      const text = delivery.flatMap((spec) => expand(spec, counter)).join('\n');
      const r = await scanTranscript(
        {
          sessionId: 'fixture-0123456789abcdef0',
          origin: 'fixture',
          events: [{ time: '', text, id: String(d) }],
        },
        { ...ctx, carry },
        transcriptDetectors(),
      );
      carry = r.carry;
      expect(r.errors).toEqual([]);
      for (const f of r.findings) {
        expect(FindingSchema.safeParse(f).success).toBe(true);
        byRule.set(f.ruleId, f);
      }
    }
    for (const id of c.expect ?? []) expect([...byRule.keys()]).toContain(id);
    for (const id of c.expectNot ?? []) expect([...byRule.keys()]).not.toContain(id);
    if (c.expectEvidence)
      expect(byRule.get(rule)?.evidence).toEqual(c.expectEvidence.map((e) => expect.objectContaining(e)));
    for (const [id, count] of Object.entries(c.expectCounts ?? {})) expect(byRule.get(id)?.count).toBe(count);
  });
});
