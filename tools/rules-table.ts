/**
 * `npm run rules:table`: rewrites, from the catalogue, the rule table of README.md (between its
 * rules-table markers; the table `ssm-sentinel rules` prints). test/rules/catalogue.test.ts fails while
 * it differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rulesTable, withRulesTable } from '#cli/table';
import { ALL_RULES } from '#shared/rules/index';

const ROOT = join(import.meta.dirname, '..');
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
  process.stdout.write(`${ALL_RULES.length} rules\n`);
}
