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
 * Auto-termination, created only when autoTerminate.enabled: the responder alone may call
 * ssm:TerminateSession, and only on session ARNs of this account in the monitored regions.
 */
export class Response extends Construct {
  constructor(scope: Construct, id: string, props: ResponseProps) {
    super(scope, id);
    const { config, responder } = props;
    const stack = Stack.of(this);
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
    responder.allow('TerminateSessions', ['ssm:TerminateSession'], sessionArns);
    responder.allowOnAnyResource(
      'DescribeSessions',
      ['ssm:DescribeSessions'],
      'read-only: is the session still active',
    );
    for (const region of regions) {
      const env = nagEnv(this, region);
      Validations.of(responder.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${env.region}:${env.account}:session/*]`,
        reason:
          'Session ids are only known when a finding arrives; scoped to session resources of this account and region.',
      });
    }
    props.findings.addRule(
      'ToResponder',
      'to-responder',
      `Findings at or above ${config.autoTerminate.minSeverity} about a session`,
      responderPattern(config),
      lambdaTarget(responder),
    );
  }
}
