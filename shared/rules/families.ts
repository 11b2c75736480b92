import { PiiEngine } from '../detect/pii-engine';
import { DEFAULT_CONFIG } from '../model/config';
import { MONITOR_FAMILY, PREFERENCES_FAMILY, SESSION_FAMILY } from '../session/families';
import { annotateCommands, createCommandDetector } from '../transcript/commands';
import { COMMAND_RULES, type CommandRule } from './command-rules';
import {
  LOCAL_PII_RULES,
  type LocalPiiRule,
  PII_RULES,
  type PiiExample,
  type PiiRule,
  piiSeverity,
} from './pii-rules';
import { SECRET_FAMILY } from './secret-rules';
import { SYSTEM_FAMILY } from './system-rules';
import type { CatalogueRule, RuleFamily } from './types';

/**
 * Every rule family of the catalogue, each with the runner of its matcher: what the catalogue test
 * walks and what the stack's EventBridge patterns are generated from (the families' `routes`,
 * infra/patterns.ts). `ssm-sentinel rules` and the README list ALL_RULES (index.ts), the same rules.
 *
 * The command and PII runners live here, not next to their rules: the command detector reads the
 * rules, and the PII runner needs the default configuration, which validates rule ids against the
 * catalogue; either import from the rules file would be an import cycle.
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

let engine: PiiEngine | undefined;

/** One line through the real offline detector, at the default threshold. */
function localFires(rule: LocalPiiRule, line: string): boolean {
  engine ??= new PiiEngine(LOCAL_PII_RULES);
  return engine
    .detector(DEFAULT_CONFIG, piiSeverity)
    .scan([{ n: 1, text: line, erased: [] }], {})
    .some((d) => d.ruleId === rule.id);
}

/** PII rules: a line through the offline engine, an entity through the rule's entity matcher. */
export const PII_FAMILY: RuleFamily<PiiRule, PiiExample> = {
  name: 'pii',
  rules: PII_RULES,
  fires(rule, example) {
    if (typeof example === 'string') return rule.local !== undefined && localFires(rule, example);
    return rule.entity(example, DEFAULT_CONFIG);
  },
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
