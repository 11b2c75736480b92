import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FindingSchema } from '#shared/model/finding';
import { SESSION_RULES } from '#shared/rules/session-rules';
import { classifyRecord } from '#shared/session/index';
import { type ContextSpec, makeContext } from '../session/helpers';

interface Case {
  name: string;
  record?: unknown;
  /** An EventBridge event instead of a bare record. */
  event?: unknown;
  context?: ContextSpec & { previous?: unknown[] };
  expect?: string[];
  expectNot?: string[];
}

const FIXTURES = join(import.meta.dirname, 'fixtures');

function load(ruleId: string): Case[] {
  const path = join(FIXTURES, `${ruleId}.json`);
  if (!existsSync(path)) return [];
  return (JSON.parse(readFileSync(path, 'utf8')) as { cases: Case[] }).cases;
}

const all = SESSION_RULES.flatMap((rule) => load(rule.id).map((c) => ({ rule: rule.id, ...c })));

describe('session rule metadata', () => {
  it.each(SESSION_RULES.map((r) => [r.id, r] as const))('%s is complete', (id, rule) => {
    expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(rule.title.length).toBeGreaterThan(0);
    expect(rule.description.length).toBeGreaterThan(20);
    expect(rule.playbook.length).toBeGreaterThan(0);
  });

  it('ids are unique', () => {
    expect(new Set(SESSION_RULES.map((r) => r.id)).size).toBe(SESSION_RULES.length);
  });

  it.each(SESSION_RULES.map((r) => r.id))('%s has a positive and a negative fixture case', (id) => {
    const cases = load(id);
    expect(cases.some((c) => c.expect?.includes(id))).toBe(true);
    expect(cases.some((c) => c.expectNot?.includes(id))).toBe(true);
  });
});

describe('session rule fixtures', () => {
  it.each(all)('$rule: $name', async (c) => {
    const ctx = await makeContext(c.context);
    for (const prev of c.context?.previous ?? []) {
      const r = await classifyRecord(prev, ctx);
      expect(r.error).toBeUndefined();
    }
    const result = await classifyRecord(c.event ?? c.record, ctx);
    expect(result.error).toBeUndefined();
    for (const f of result.findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    const ids = result.findings.map((f) => f.ruleId);
    for (const id of c.expect ?? []) expect(ids).toContain(id);
    for (const id of c.expectNot ?? []) expect(ids).not.toContain(id);
  });
});
