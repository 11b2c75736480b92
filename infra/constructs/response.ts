import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Config } from '#shared/model/config';
import { nagEnv } from '../nag';
import { responderPattern } from '../patterns';
import { type FindingsBus, lambdaTarget } from './alerting';
import type { SentinelFunction } from './functions';

export interface ResponseProps {
  config: Config;
  findings: FindingsBus;
  responder: SentinelFunction;
}

/**
 * ssm:TerminateSession on session ARNs of this account in the monitored regions (sessions of forwarding
 * regions are ended from home) and the read-only DescribeSessions: the responder's grant, shared with
 * the Slack action function. `why` says why the session id is not known at deploy time.
 */
export function allowSessionTermination(
  scope: Construct,
  fn: SentinelFunction,
  config: Config,
  why: string,
): void {
  const stack = Stack.of(scope);
  const regions = [stack.region, ...config.stack.regions.filter((r) => r !== stack.region)];
  const sessionArns = regions.map((region) =>
    stack.formatArn({
      service: 'ssm',
      region,
      resource: 'session',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    }),
  );
  fn.allow('TerminateSessions', ['ssm:TerminateSession'], sessionArns);
  fn.allowOnAnyResource(
    'DescribeSessions',
    ['ssm:DescribeSessions'],
    'read-only: is the session still active',
  );
  for (const region of regions) {
    const env = nagEnv(scope, region);
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${env.region}:${env.account}:session/*]`,
      reason: `${why}; scoped to session resources of this account and region.`,
    });
  }
}

/**
 * Auto-termination, created only when autoTerminate.enabled: the responder alone may call
 * ssm:TerminateSession, and only on session ARNs of this account in the monitored regions.
 */
export class Response extends Construct {
  constructor(scope: Construct, id: string, props: ResponseProps) {
    super(scope, id);
    const { config, responder } = props;
    allowSessionTermination(this, responder, config, 'Session ids are only known when a finding arrives');
    props.findings.addRule(
      'ToResponder',
      'to-responder',
      `Findings at or above ${config.autoTerminate.minSeverity} about a session`,
      responderPattern(config),
      lambdaTarget(responder),
    );
  }
}
