import { ArnFormat, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { Env } from '#shared/metrics';
import type { Config } from '#shared/model/config';
import { AlertDigest } from './constructs/alert-digest';
import { Alerting, FindingsBus, opsTopic } from './constructs/alerting';
import { Dashboard } from './constructs/dashboard';
import { Detection } from './constructs/detection';
import { Encryption } from './constructs/encryption';
import { Functions, secretRef } from './constructs/functions';
import { Preferences } from './constructs/preferences';
import { Response } from './constructs/response';
import { SecurityHubExport } from './constructs/securityhub';
import { SlackActions } from './constructs/slack-actions';
import { State } from './constructs/state';
import { Trail } from './constructs/trail';
import { TranscriptSweep } from './constructs/transcript-sweep';
import { Transcripts } from './constructs/transcripts';
import { findingsPattern, PREFERENCES_DOCUMENT } from './patterns';

export interface SsmSentinelStackProps extends StackProps {
  config: Config;
  /**
   * Set for a non-home region: this stack detects and scans locally and forwards its findings to
   * the findings bus of this home region, where alerting, response and the dashboard live.
   */
  forwardToRegion?: string;
}

/**
 * One stack per account and region, composed of one construct per concern. The home stack has the
 * whole pipeline; a forwarding stack has detection, transcripts and state, and sends findings home.
 */
export class SsmSentinelStack extends Stack {
  readonly functions: Functions;

  constructor(scope: Construct, id: string, props: SsmSentinelStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = config.resourcePrefix;
    const home = props.forwardToRegion === undefined;

    const { key } = new Encryption(this, 'Encryption', { prefix });
    const ops = opsTopic(this, config, key);
    this.functions = new Functions(this, 'Functions', { config, key, alarmTopic: ops });
    const { table } = new State(this, 'State', { prefix, key });
    const findings = new FindingsBus(this, 'Findings', { config, key });

    const sessionEvents = this.functions.create('session-events').useTable(table, key).useBus(findings.bus);
    sessionEvents.allowOnAnyResource('DescribeTargets', ['ec2:DescribeInstances'], 'read-only: target tags');
    sessionEvents.allow('ReadPreferences', ['ssm:GetDocument'], this.preferencesDocumentArns(config));

    const transcriptsFn = this.functions
      .create('transcripts', {
        timeoutSeconds: 120,
        memoryMB: 512,
        reservedConcurrency: config.stack.transcriptsConcurrency ?? undefined,
      })
      .useTable(table, key)
      .useBus(findings.bus)
      .setEnv(Env.PiiMode, 'comprehend');
    transcriptsFn.allowOnAnyResource(
      'DetectPii',
      ['comprehend:DetectPiiEntities'],
      'stateless detection API',
    );

    new Detection(this, 'Detection', { config, sessionEvents, key });
    const transcripts = new Transcripts(this, 'Transcripts', { config, key, transcripts: transcriptsFn });
    // Every region judges its own sessions (its own table); findings reach home like any other.
    if (config.missingTranscript.enabled) {
      new TranscriptSweep(this, 'TranscriptSweep', {
        config,
        functions: this.functions,
        table,
        key,
        bus: findings.bus,
      });
    }
    if (config.stack.managePreferences) {
      new Preferences(this, 'Preferences', {
        config,
        functions: this.functions,
        logGroupName: transcripts.logGroupName,
        groupEncrypted: transcripts.created,
      });
    }
    new CfnOutput(this, 'SessionLogGroupName', { value: transcripts.logGroupName });
    new CfnOutput(this, 'AgentPolicyArn', {
      value: transcripts.agentPolicy.managedPolicyArn,
      description: 'Attach to instance roles so the SSM agent can stream session logs',
    });
    new CfnOutput(this, 'FindingsBusName', { value: findings.bus.eventBusName });

    if (!home) {
      this.forwardFindings(findings, props.forwardToRegion as string, prefix);
      return;
    }

    const notifier = this.functions.create('notifier').useTable(table, key);
    const slackRef = config.alerts.slackWebhookSecretName;
    const slack =
      slackRef === null
        ? undefined
        : this.functions
            .create('slack', { reservedConcurrency: config.stack.slackConcurrency ?? undefined })
            .useSecret(secretRef(this, slackRef));
    const alerting = new Alerting(this, 'Alerting', { config, key, findings, notifier, slack });
    new CfnOutput(this, 'AlertTopicArn', { value: alerting.topic.topicArn });
    // Always with the notifier: the findings it holds for an incident's digest go out only from here.
    new AlertDigest(this, 'AlertDigest', {
      config,
      functions: this.functions,
      table,
      key,
      topic: alerting.topic,
    });

    // Buttons ride on the webhook alerts: loadConfig (infra/config.ts) refuses actions without them.
    const signingSecretName = config.alerts.slackActions.signingSecretName;
    if (signingSecretName !== null) {
      new SlackActions(this, 'SlackActions', {
        config,
        functions: this.functions,
        signingSecretName,
        table,
        key,
        bus: findings.bus,
      });
    }

    if (config.autoTerminate.enabled) {
      const responder = this.functions.create('responder').useTable(table, key).useBus(findings.bus);
      new Response(this, 'Response', { config, findings, responder });
    }
    if (config.stack.securityHubExport)
      new SecurityHubExport(this, 'SecurityHub', { functions: this.functions, findings });
    if (config.stack.createTrail) {
      new Trail(this, 'Trail', { prefix, retentionDays: config.stack.logRetentionDays });
    }
    new Dashboard(this, 'Dashboard', {
      prefix,
      functions: this.functions.all,
      findingsLog: findings.logGroup,
    });
  }

  /** The preferences documents session-events reads to diff a change (ARNs of this region). */
  private preferencesDocumentArns(config: Config): string[] {
    const names = [...new Set([PREFERENCES_DOCUMENT, ...config.preferencesDocuments])].sort();
    return names.map((name) =>
      this.formatArn({
        service: 'ssm',
        resource: 'document',
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
  }

  /** Send every finding of this region to the home region's findings bus (same name, same account). */
  private forwardFindings(findings: FindingsBus, homeRegion: string, prefix: string): void {
    const homeBus = events.EventBus.fromEventBusArn(
      this,
      'HomeBus',
      this.formatArn({
        service: 'events',
        region: homeRegion,
        resource: 'event-bus',
        resourceName: `${prefix}-findings`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      }),
    );
    findings.addRule(
      'ToHome',
      'to-home',
      `Every finding to the ${homeRegion} findings bus`,
      findingsPattern(),
      new targets.EventBus(homeBus),
    );
  }
}
