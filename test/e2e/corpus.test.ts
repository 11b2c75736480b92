import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replay } from '#cli/replay';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { atLeast, type Finding } from '#shared/model/finding';

/**
 * The recorded corpus end to end through the CLI engine: every labelled item is reported with the
 * right category and kind in every shape it appears in, the benign sessions stay quiet, and no
 * planted secret or personal value leaks into stdout, stderr or any finding. Twice: with decorated
 * prompts (`[user@host ~]$ `) and with Ubuntu's bare dash prompts (`$ `, `# `).
 */
const ROOTS = { decorated: 'test/fixtures/sessions', bare: 'test/fixtures/sessions-bare' };

interface Label {
  kind: 'pii' | 'secret' | 'risky-command';
  subtype: string;
  value: string;
  appears_in: 'raw' | 'streaming' | 'both' | 'none';
}

const scenarios = Object.entries(ROOTS).flatMap(([variant, root]) =>
  readdirSync(root)
    .filter((d) => existsSync(join(root, d, 'labels.json')))
    .map((scenario) => [variant, join(root, scenario)] as const),
);

/** Shape name → input paths, for the shapes this scenario has. */
function shapes(dir: string): Record<string, { paths: string[]; form: 'raw' | 'streaming' }> {
  const out: Record<string, { paths: string[]; form: 'raw' | 'streaming' }> = {};
  const add = (name: string, rel: string, form: 'raw' | 'streaming') => {
    if (existsSync(join(dir, rel))) out[name] = { paths: [join(dir, rel)], form };
  };
  add('s3', 's3', 'raw');
  add('s3-agent', 's3-agent', 'raw');
  add('streaming', 'streaming.jsonl', 'streaming');
  add('subscription', 'subscription', 'streaming');
  return out;
}

async function run(paths: string[]) {
  let out = '';
  let err = '';
  const result = await replay(
    { paths, json: true, config: DEFAULT_CONFIG, targetTags: {}, pii: 'local', stats: false },
    {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
      progress: false,
    },
  );
  return { ...result, out, err };
}

const category = { pii: 'pii', secret: 'secret', 'risky-command': 'risky-command' } as const;

function reported(findings: Finding[], label: Label): boolean {
  return findings.some(
    (f) => f.category === category[label.kind] && f.evidence.some((e) => e.kind === label.subtype),
  );
}

describe.each(scenarios)('corpus (%s prompts) %s', (_variant, dir) => {
  const labels = (JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')) as { labels: Label[] }).labels;
  // NAME and ADDRESS need Comprehend (covered with a mocked service in test/e2e/comprehend.test.ts).
  const local = labels.filter((l) => !['NAME', 'ADDRESS', 'TYPED_AND_ERASED'].includes(l.subtype));
  const secrets = labels.filter((l) => l.kind !== 'risky-command' && l.value.length >= 6);

  it.each(Object.entries(shapes(dir)))('shape %s', async (_shape, { paths, form }) => {
    const r = await run(paths);
    expect(r.errors).toEqual([]);
    const findings = r.out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Finding);
    const expected = local.filter((l) => l.appears_in === 'both' || l.appears_in === form);
    const missing = expected.filter((l) => !reported(findings, l)).map((l) => `${l.kind}/${l.subtype}`);
    expect([...new Set(missing)]).toEqual([]);
    if (labels.length === 0) {
      expect(findings.filter((f) => atLeast(f.severity, 'MEDIUM')).map((f) => f.ruleId)).toEqual([]);
    }
    const leaked = secrets.filter((l) => r.out.includes(l.value) || r.err.includes(l.value));
    expect(leaked.map((l) => `${l.kind}/${l.subtype}`)).toEqual([]);
  });
});

describe('the transcript of issue 8 (bare dash prompts after one `sh-5.2$ `)', () => {
  it('gives its two CRITICAL and one HIGH findings', async () => {
    const r = await run([join(ROOTS.bare, 'dash-0123456789abcdef0.log')]);
    expect(r.errors).toEqual([]);
    const findings = r.out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Finding);
    const commands = findings.filter((f) => f.category === 'risky-command');
    expect(commands.map((f) => `${f.severity} ${f.evidence[0]?.kind}`).sort()).toEqual([
      'CRITICAL IMDS_CREDENTIAL_ACCESS',
      'CRITICAL REVERSE_SHELL',
      'HIGH SHADOW_READ',
    ]);
  });
});
