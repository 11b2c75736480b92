import { COMMAND_RULES } from './command-rules';
import { SECRET_RULES } from './secret-rules';
import { SESSION_RULES } from './session-rules';
import type { RuleMeta } from './types';

/** Every rule's metadata (title, description, playbook) by id, for alerts and reports. */
const RULES: ReadonlyMap<string, RuleMeta> = new Map(
  [...SESSION_RULES, ...COMMAND_RULES, ...SECRET_RULES].map((r) => [r.id, r]),
);

export function ruleById(id: string): RuleMeta | undefined {
  return RULES.get(id);
}
