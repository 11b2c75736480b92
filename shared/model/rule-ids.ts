import { COMMAND_RULES } from '../rules/command-rules';
import { SECRET_RULES } from '../rules/secret-rules';
import { SESSION_RULES } from '../rules/session-rules';
import { SYSTEM_RULES } from '../rules/system-rules';

/**
 * Rule ids the configuration may name (`severityOverrides`): the catalogue's, read from the rule lists
 * (the index also loads the PII rules, which need nothing more than `pii-<type>` here). PII rules are
 * the catalogue's `pii-<entity type>` ids, generated for any entity type (`ruleById`), so every id of
 * that form is one. test/model/config.test.ts checks this against ALL_RULES.
 */
export const RULE_IDS: readonly string[] = [
  ...SESSION_RULES,
  ...COMMAND_RULES,
  ...SECRET_RULES,
  ...SYSTEM_RULES,
].map((r) => r.id);

const STATIC_IDS: ReadonlySet<string> = new Set(RULE_IDS);
const PII_ID = /^pii-[a-z0-9]+(?:-[a-z0-9]+){0,10}$/;

export function isRuleId(id: string): boolean {
  return STATIC_IDS.has(id) || (id.length <= 80 && PII_ID.test(id));
}
