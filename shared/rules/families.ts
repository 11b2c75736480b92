import { MONITOR_FAMILY, PREFERENCES_FAMILY, SESSION_FAMILY } from '../session/families';
import { annotateCommands, createCommandDetector } from '../transcript/commands';
import { COMMAND_RULES, type CommandRule } from './command-rules';
import { PII_FAMILY } from './pii-rules';
import { SECRET_FAMILY } from './secret-rules';
import { SYSTEM_FAMILY } from './system-rules';
import type { CatalogueRule, RuleFamily } from './types';

/**
 * Every rule family of the catalogue, each with the runner of its matcher: what the catalogue test
 * walks and what the stack's EventBridge patterns are generated from (the families' `routes`,
 * infra/patterns.ts). `ssm-sentinel rules` and the README list ALL_RULES (index.ts), the same rules.
 *
 * The command runner lives here, not in command-rules.ts: the command detector reads the rules, so
 * the rules file importing the detector would be an import cycle.
 */

/** One command line as it appears after a bash prompt, through the real detector. */
function commandFires(rule: CommandRule, command: string): boolean {
  const lines = [{ n: 1, text: `[ssm-user@ip-10-0-1-23 ~]$ ${command}`, erased: [] }];
  annotateCommands(lines);
  return createCommandDetector()
    .scan(lines, {})
    .some((d) => d.ruleId === rule.id);
}

export const COMMAND_FAMILY: RuleFamily<CommandRule, string> = {
  name: 'command',
  rules: COMMAND_RULES,
  fires: commandFires,
};

/** A family of any example type (`fires` is a method: its parameters compare both ways). */
export type AnyFamily = RuleFamily<CatalogueRule, unknown>;

/** The whole catalogue, family by family, in the order `ssm-sentinel rules` lists them. */
export const FAMILIES: readonly AnyFamily[] = [
  SESSION_FAMILY,
  PREFERENCES_FAMILY,
  MONITOR_FAMILY,
  COMMAND_FAMILY,
  SECRET_FAMILY,
  PII_FAMILY,
  SYSTEM_FAMILY,
];
