import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag spells a region or account inside a finding id: the pseudo parameter when the stack is
 * env-agnostic, the literal value when the environment is known.
 */
export function nagEnv(scope: IConstruct, region?: string): { region: string; account: string } {
  const stack = Stack.of(scope);
  const r = region ?? stack.region;
  return {
    region: Token.isUnresolved(r) ? '<AWS::Region>' : r,
    account: Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account,
  };
}
