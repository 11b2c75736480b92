import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Config } from '#shared/model/config';
import { SsmSentinelStack } from './stack';

/** Account and region the CLI resolved (only when given: synth stays offline and credential-free). */
export interface TargetEnv {
  account?: string;
  region?: string;
}

export const HOME_STACK = 'SsmSentinel';

/**
 * The stacks of one deployment: the home stack (env-agnostic unless a home region or default region
 * is known) and one forwarding stack per extra region. AwsSolutions checks run at synth; a violation
 * fails it.
 */
export function buildStacks(app: App, config: Config, target: TargetEnv = {}): SsmSentinelStack[] {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const homeRegion = config.stack.homeRegion ?? target.region;
  const stacks = [
    new SsmSentinelStack(app, HOME_STACK, {
      config,
      env: { account: target.account, region: homeRegion },
      description: 'ssm-sentinel: Session Manager monitoring (home region)',
    }),
  ];
  for (const region of config.stack.regions) {
    if (region === homeRegion) continue;
    stacks.push(
      new SsmSentinelStack(app, `${HOME_STACK}-${region}`, {
        config,
        env: { account: target.account, region },
        forwardToRegion: homeRegion,
        description: `ssm-sentinel: Session Manager monitoring (${region}, forwarding to ${homeRegion})`,
      }),
    );
  }
  return stacks;
}
