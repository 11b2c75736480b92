import type { Finding } from '../model/finding';
import type { SuppressionKey } from '../state/types';

/** What "Suppress similar" silences for a finding: its rule, for its principal, on its target. */
export function suppressionKeyOf(f: Pick<Finding, 'ruleId' | 'principal' | 'target'>): SuppressionKey {
  return {
    ruleId: f.ruleId,
    ...(f.principal?.arn ? { principal: f.principal.arn } : {}),
    ...(f.target ? { target: f.target } : {}),
  };
}
