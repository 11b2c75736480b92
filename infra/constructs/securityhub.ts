import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { findingsPattern } from '../patterns';
import { type FindingsBus, lambdaTarget } from './alerting';
import type { Functions, SentinelFunction } from './functions';

/** Optional (stack.securityHubExport): every finding imported into Security Hub as ASFF. */
export class SecurityHubExport extends Construct {
  readonly exporter: SentinelFunction;

  constructor(scope: Construct, id: string, props: { functions: Functions; findings: FindingsBus }) {
    super(scope, id);
    const stack = Stack.of(this);
    this.exporter = props.functions.create('securityhub');
    // Findings are imported under the account's own default product, the only one it may write to.
    this.exporter.allow(
      'ImportFindings',
      ['securityhub:BatchImportFindings'],
      [
        `arn:${stack.partition}:securityhub:${stack.region}:${stack.account}:product/${stack.account}/default`,
      ],
    );
    props.findings.addRule(
      'ToSecurityHub',
      'to-securityhub',
      'Every finding to Security Hub',
      findingsPattern(),
      lambdaTarget(this.exporter),
    );
  }
}
