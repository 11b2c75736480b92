import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeFindingPublisher } from '#shared/aws/bus';
import { stableId } from '#shared/ids';
import { DEFAULT_CONFIG } from '#shared/model/config';
import type { Finding, Severity } from '#shared/model/finding';

/**
 * `ssm-sentinel test-alert`: put one clearly-labelled sample finding on the deployed findings bus,
 * so the whole alert path (notifier → SNS → e-mail / Slack, findings log, dashboard) can be seen
 * working. It names no session, so the responder never acts on it.
 */

export interface TestAlertOptions {
  /** Findings bus name; default `<resourcePrefix>-findings`. */
  bus?: string;
  /** Resource prefix the stack was deployed with (default from the configuration). */
  prefix?: string;
  /** Default HIGH: above the default alerts.minSeverity, so every subscriber receives it. */
  severity?: Severity;
  account?: string;
  region?: string;
  now?: () => Date;
}

export interface TestAlertClients {
  events: EventBridgeClient;
}

export interface TestAlertResult {
  busName: string;
  finding: Finding;
}

export const TEST_ALERT_RULE_ID = 'ssm-sentinel-test-alert';

export function sampleFinding(
  opts: Pick<TestAlertOptions, 'severity' | 'account' | 'region'>,
  now: Date,
): Finding {
  const time = now.toISOString();
  return {
    // Unique per run: the notifier deduplicates by id, a repeated id would stay silent. It names no
    // session or principal, so it has no incident to join and is alerted on its own every time.
    id: stableId(TEST_ALERT_RULE_ID, time),
    ruleId: TEST_ALERT_RULE_ID,
    category: 'session-start',
    severity: opts.severity ?? 'HIGH',
    title: 'ssm-sentinel test alert (not a real session)',
    source: 'cloudtrail',
    time,
    account: opts.account,
    region: opts.region,
    reasons: ['Sent by `ssm-sentinel test-alert` to check the alert path; no action needed.'],
    evidence: [],
  };
}

/** Throws (PublishError or the SDK error) when the bus does not accept the event. */
export async function runTestAlert(
  opts: TestAlertOptions,
  clients: TestAlertClients,
): Promise<TestAlertResult> {
  const busName = opts.bus ?? `${opts.prefix ?? DEFAULT_CONFIG.resourcePrefix}-findings`;
  const finding = sampleFinding(opts, (opts.now ?? (() => new Date()))());
  const publisher = new EventBridgeFindingPublisher({ client: clients.events, busName });
  await publisher.publish([finding]);
  return { busName, finding };
}
