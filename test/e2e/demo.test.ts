import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '#cli/commands';

const EXPECTED = JSON.parse(readFileSync('test/fixtures/demo-findings.json', 'utf8')) as {
  findings: Array<{ id: string; ruleId: string; severity: string }>;
};

/** The demo's command line (package.json `demo`), run in-process with --json. */
const DEMO = [
  'replay',
  '--json',
  'examples/cloudtrail',
  'examples/sessions',
  '--config',
  'examples/config.json',
  '--target-tags',
  'examples/target-tags.json',
];

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
      .map((l) => JSON.parse(l) as { id: string; ruleId: string; severity: string })
      .map(({ id, ruleId, severity }) => ({ id, ruleId, severity }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(got).toEqual(EXPECTED.findings);
  });
});
