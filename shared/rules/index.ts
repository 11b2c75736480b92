import { COMMAND_RULES } from './command-rules';
import { PII_RULES, piiRuleFor } from './pii-rules';
import { SECRET_RULES } from './secret-rules';
import { SESSION_RULES } from './session-rules';
import { SYSTEM_RULES } from './system-rules';
import type { RuleMeta } from './types';

/**
 * The whole rule catalogue's metadata, for alerts, reports, `ssm-sentinel rules` and the README table.
 * The families with their matchers are in `families.ts` (not imported here: the transcript scanner reads
 * this index, and the families run the detectors); test/rules/catalogue.test.ts checks both hold the same
 * rules. SESSION_RULES holds the three CloudTrail families (session, preferences, monitor).
 */
export const ALL_RULES: readonly RuleMeta[] = [
  ...SESSION_RULES,
  ...COMMAND_RULES,
  ...SECRET_RULES,
  ...PII_RULES,
  ...SYSTEM_RULES,
];

const BY_ID: ReadonlyMap<string, RuleMeta> = new Map(ALL_RULES.map((r) => [r.id, r]));

/** Rule metadata by id; PII rules of entity types without their own entry are generated. */
export function ruleById(id: string): RuleMeta | undefined {
  const rule = BY_ID.get(id);
  if (rule || !id.startsWith('pii-')) return rule;
  return piiRuleFor(id.slice(4).replace(/-/g, '_').toUpperCase());
}
