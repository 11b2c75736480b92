import type { Category, Severity } from '../model/finding';
import { severityRank, shiftSeverity } from '../model/finding';
import type { RuleMeta } from './types';

/**
 * The severity policy, one place for every family: a rule has its base severity; context (production
 * target, untrusted network, off hours, missing reason, no MFA, an unlogged kind) raises a finding by
 * at most MAX_CONTEXT_STEPS steps and never to CRITICAL: CRITICAL is for acts (root, tampering with the
 * monitor or the preferences, reverse shells, credential theft, secret and private keys shown), which
 * are CRITICAL by their own rule. Auto-termination is for acts only: a rule may end a session when it
 * is `terminable` (its own flag, else its category's default below), never for context.
 */
export const MAX_CONTEXT_STEPS = 2;
/** The highest severity context alone can give. */
export const CONTEXT_CEILING: Severity = 'HIGH';

/** Categories that only describe a session's circumstances: never CRITICAL by default, never terminable. */
export const CONTEXT_CATEGORIES: ReadonlySet<Category> = new Set<Category>([
  'session-start',
  'production-target',
  'untrusted-network',
  'off-hours',
  'missing-reason',
  'session-resumed',
  'first-seen',
  'lateral-movement',
  'missing-transcript',
  'port-forwarding',
  'ssh-tunnel',
  'run-command',
  'access-denied',
  'pii',
  'scan-error',
]);

/** Categories whose findings are acts in the session itself: terminable unless a rule says otherwise. */
const TERMINABLE_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['risky-command']);

/** May this rule's finding end its session (when autoTerminate is on and the severity reaches it)? */
export function isTerminable(rule: Pick<RuleMeta, 'category' | 'terminable'>): boolean {
  return rule.terminable ?? TERMINABLE_CATEGORIES.has(rule.category);
}

/** `base` raised by `steps` context signals, within the policy: at most two steps, never to CRITICAL. */
export function withContext(base: Severity, steps: number): Severity {
  if (steps <= 0) return base;
  const raised = shiftSeverity(base, Math.min(steps, MAX_CONTEXT_STEPS));
  if (severityRank(base) >= severityRank(CONTEXT_CEILING)) return base;
  return severityRank(raised) > severityRank(CONTEXT_CEILING) ? CONTEXT_CEILING : raised;
}
