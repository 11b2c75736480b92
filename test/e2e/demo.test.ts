import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '#cli/commands';
import type { Category } from '#shared/model/finding';
import { CONTEXT_CATEGORIES } from '#shared/rules/policy';
import { DEMO_ARGS } from '#tools/demo';

const EXPECTED = JSON.parse(readFileSync('test/fixtures/demo-findings.json', 'utf8')) as {
  findings: Array<{ id: string; ruleId: string; severity: string }>;
};

/** The demo's command line (package.json `demo`), run in-process with --json. */
const DEMO = [...DEMO_ARGS, '--json'];

describe('npm run demo', () => {
  it('prints the same findings (id, rule, severity) as recorded', async () => {
    let out = '';
    const code = await main(DEMO, {
      out: (s) => {
        out += s;
      },
      err: () => undefined,
    });
    expect(code).toBe(0);
    const got = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; ruleId: string; severity: string; category: Category })
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(got.map(({ id, ruleId, severity }) => ({ id, ruleId, severity }))).toEqual(EXPECTED.findings);
    // The severity policy on real sessions: context never reaches CRITICAL; acts still do.
    const critical = got.filter((f) => f.severity === 'CRITICAL');
    expect(critical.filter((f) => CONTEXT_CATEGORIES.has(f.category))).toEqual([]);
    expect(new Set(critical.map((f) => f.ruleId))).toContain('session-root-principal');
    expect(new Set(critical.map((f) => f.ruleId))).toContain('cmd-reverse-shell');
  });
});
