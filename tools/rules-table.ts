/**
 * `npm run rules:table`: rewrites, from the catalogue, the rule table of README.md (between its
 * rules-table markers; the table `ssm-sentinel rules` prints) and the rule id list of
 * shared/model/rule-ids.ts (which cannot import the catalogue). test/rules/catalogue.test.ts fails while
 * either differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceBetween, rulesTable, withRulesTable } from '#cli/table';
import { ALL_RULES } from '#shared/rules/index';
import type { RuleMeta } from '#shared/rules/types';

const ROOT = join(import.meta.dirname, '..');
export const RULE_IDS_BEGIN = '// rule-ids:begin (npm run rules:table)';
export const RULE_IDS_END = '// rule-ids:end';

/** Ids the configuration must know by name: every one but the PII rules (any `pii-<type>` is one). */
export function namedRuleIds(rules: readonly RuleMeta[]): string[] {
  return rules.map((r) => r.id).filter((id) => !id.startsWith('pii-'));
}

/** The id list of rule-ids.ts, as biome formats it. */
export function ruleIdsSource(ids: readonly string[]): string {
  return `export const RULE_IDS: readonly string[] = [\n${ids.map((id) => `  '${id}',\n`).join('')}];\n`;
}

function rewrite(path: string, update: (text: string) => string | undefined, what: string): void {
  const text = readFileSync(path, 'utf8');
  const updated = update(text);
  if (updated === undefined) {
    process.stderr.write(`${path}: its ${what} markers are missing\n`);
    process.exitCode = 1;
  } else if (updated !== text) {
    writeFileSync(path, updated);
    process.stdout.write(`${path}: ${what} rewritten\n`);
  }
}

if (process.argv[1] === import.meta.filename) {
  rewrite(join(ROOT, 'README.md'), (t) => withRulesTable(t, rulesTable(ALL_RULES)), 'rules-table');
  rewrite(
    join(ROOT, 'shared/model/rule-ids.ts'),
    (t) => replaceBetween(t, RULE_IDS_BEGIN, RULE_IDS_END, ruleIdsSource(namedRuleIds(ALL_RULES))),
    'rule-ids',
  );
  process.stdout.write(`${ALL_RULES.length} rules\n`);
}
