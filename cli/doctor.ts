import {
  type CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  type GetEventSelectorsCommandOutput,
  GetTrailStatusCommand,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import {
  type CloudWatchLogsClient,
  DescribeSubscriptionFiltersCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { type EventBridgeClient, ListRulesCommand, type Rule } from '@aws-sdk/client-eventbridge';
import { GetDocumentCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { detectionRules, PREFERENCES_DOCUMENT } from '#infra/patterns';
import { describeError } from '#shared/errors';
import { field } from '#shared/format/sanitize';
import { type Config, DEFAULT_CONFIG } from '#shared/model/config';

/**
 * `ssm-sentinel doctor`: checks, with the SDK, what the monitor depends on but cannot deploy itself
 * (a logging trail, preferences that stream to the monitored group) and that the deployment is intact.
 */

export interface DoctorOptions {
  /** The configuration the stack was deployed with (resource prefix, session log group). */
  config?: Config;
  /** Region being checked (trail scope, messages). */
  region: string;
}

export interface DoctorClients {
  cloudtrail: Pick<CloudTrailClient, 'send'>;
  ssm: Pick<SSMClient, 'send'>;
  logs: Pick<CloudWatchLogsClient, 'send'>;
  events: Pick<EventBridgeClient, 'send'>;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when the check fails. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
}

export async function runDoctor(opts: DoctorOptions, clients: DoctorClients): Promise<DoctorReport> {
  const config = opts.config ?? DEFAULT_CONFIG;
  const prefix = config.resourcePrefix;
  const logGroup = config.stack.sessionLogGroupName ?? `/${prefix}/sessions`;
  const checks = [
    await guarded('CloudTrail trail is logging', () => checkTrail(clients.cloudtrail, opts.region)),
    ...(await guardedMany('Session Manager preferences', () => checkPreferences(clients.ssm, logGroup))),
    await guarded('Session log subscription', () => checkSubscription(clients.logs, logGroup, prefix)),
    await guarded('Detection rules on the default bus', () => checkDetectionRules(clients.events, config)),
    await guarded('Findings bus rules', () => checkFindingsRules(clients.events, prefix)),
    await guarded('Timers', () => checkTimers(clients.events, config)),
  ];
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * One line per check: ✔/✘, what was found, and for a failure what to do. Details name resources the
 * account holds (trail, group, rule names): printed through field() like every other output.
 */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = report.checks.flatMap((c) => {
    const head = `${c.ok ? '✔' : '✘'} ${field(c.name)}: ${field(c.detail, 1000)}`;
    return c.ok || !c.fix ? [head] : [head, `    fix: ${field(c.fix, 1000)}`];
  });
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return lines.join('\n');
}

async function checkTrail(ct: DoctorClients['cloudtrail'], region: string): Promise<Check> {
  const name = 'CloudTrail trail is logging';
  const fix =
    'EventBridge only sees session API calls while a trail logs management events: deploy with ' +
    '{"stack":{"createTrail":true}} or start logging on an existing multi-region trail.';
  const out = await ct.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const trails = (out.trailList ?? []).filter((t) => t.IsMultiRegionTrail || t.HomeRegion === region);
  if (trails.length === 0) return { name, ok: false, detail: `no trail covers ${region}`, fix };
  const notLogging: string[] = [];
  for (const trail of trails) {
    const id = trail.TrailARN ?? trail.Name ?? '';
    const status = await ct.send(new GetTrailStatusCommand({ Name: id }));
    if (!status.IsLogging) {
      notLogging.push(trail.Name ?? id);
      continue;
    }
    const selectors = await ct.send(new GetEventSelectorsCommand({ TrailName: id }));
    if (logsWriteManagementEvents(selectors)) {
      return { name, ok: true, detail: `${describeTrail(trail)} logs write management events` };
    }
    notLogging.push(`${trail.Name ?? id} (no write management events)`);
  }
  return { name, ok: false, detail: `no usable trail: ${notLogging.join(', ')}`, fix };
}

function describeTrail(t: Trail): string {
  return `${t.Name ?? t.TrailARN}${t.IsMultiRegionTrail ? ' (multi-region)' : ''}`;
}

/** Basic selectors: management events, read-write or write-only. Advanced: a Management selector not limited to reads. */
function logsWriteManagementEvents(s: GetEventSelectorsCommandOutput): boolean {
  if (s.AdvancedEventSelectors?.length) {
    return s.AdvancedEventSelectors.some((sel) => {
      const fields = sel.FieldSelectors ?? [];
      const management = fields.some((f) => f.Field === 'eventCategory' && f.Equals?.includes('Management'));
      const readOnly = fields.some((f) => f.Field === 'readOnly' && f.Equals?.includes('true'));
      return management && !readOnly;
    });
  }
  const selectors = s.EventSelectors ?? [];
  // A trail without selectors logs all management events.
  if (selectors.length === 0) return true;
  return selectors.some((sel) => sel.IncludeManagementEvents !== false && sel.ReadWriteType !== 'ReadOnly');
}

async function checkPreferences(ssm: DoctorClients['ssm'], logGroup: string): Promise<Check[]> {
  const fixBase = `deploy with {"stack":{"managePreferences":true}} or set Session Manager preferences: CloudWatch logging to ${logGroup}`;
  let content: string | undefined;
  try {
    content = (await ssm.send(new GetDocumentCommand({ Name: PREFERENCES_DOCUMENT, DocumentFormat: 'JSON' })))
      .Content;
  } catch (e) {
    if (errorName(e) !== 'InvalidDocument') throw e;
    return [
      {
        name: 'Session Manager preferences exist',
        ok: false,
        detail: `${PREFERENCES_DOCUMENT} does not exist: sessions are not logged`,
        fix: fixBase,
      },
    ];
  }
  const inputs = parseInputs(content);
  if (inputs === undefined) {
    return [
      {
        name: 'Session Manager preferences exist',
        ok: false,
        detail: `${PREFERENCES_DOCUMENT} has no readable inputs`,
        fix: fixBase,
      },
    ];
  }
  const group = inputs.cloudWatchLogGroupName;
  return [
    {
      name: 'Preferences log to the monitored group',
      ok: group === logGroup,
      detail: group ? `sessions log to ${group}` : 'CloudWatch logging is off',
      fix: fixBase,
    },
    {
      name: 'Preferences stream (not only at session end)',
      ok: inputs.cloudWatchStreamingEnabled === true,
      detail: `cloudWatchStreamingEnabled is ${String(inputs.cloudWatchStreamingEnabled ?? false)}`,
      fix: 'turn on "Stream session logs" in the Session Manager preferences (cloudWatchStreamingEnabled: true)',
    },
    {
      name: 'Preferences require an encrypted log group',
      ok: inputs.cloudWatchEncryptionEnabled === true,
      detail: `cloudWatchEncryptionEnabled is ${String(inputs.cloudWatchEncryptionEnabled ?? false)}`,
      fix: 'turn on "Allow only encrypted CloudWatch log groups" (cloudWatchEncryptionEnabled: true)',
    },
  ];
}

function parseInputs(content: string | undefined): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(content ?? '') as { inputs?: unknown };
    return typeof doc.inputs === 'object' && doc.inputs !== null
      ? (doc.inputs as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function checkSubscription(
  logs: DoctorClients['logs'],
  logGroup: string,
  prefix: string,
): Promise<Check> {
  const name = 'Session log subscription';
  const ours = `${prefix}-transcripts`;
  let filters: Array<{ filterName?: string; destinationArn?: string }>;
  try {
    filters =
      (await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: logGroup })))
        .subscriptionFilters ?? [];
  } catch (e) {
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
    return {
      name,
      ok: false,
      detail: `log group ${logGroup} does not exist`,
      fix: 'deploy the stack (npx cdk deploy)',
    };
  }
  const found = filters.find((f) => f.filterName === ours || f.destinationArn?.endsWith(`:function:${ours}`));
  return found
    ? { name, ok: true, detail: `${logGroup} → ${found.filterName}` }
    : {
        name,
        ok: false,
        detail: `${logGroup} has no ${ours} subscription filter`,
        fix: 'redeploy the stack (npx cdk deploy); a group allows two subscription filters, remove an unused one if both are taken',
      };
}

async function listRules(
  events: DoctorClients['events'],
  busName: string | undefined,
  prefix: string,
): Promise<Rule[]> {
  const rules: Rule[] = [];
  let token: string | undefined;
  do {
    const out = await events.send(
      new ListRulesCommand({ EventBusName: busName, NamePrefix: prefix, NextToken: token }),
    );
    for (const r of out.Rules ?? []) rules.push(r);
    token = out.NextToken;
  } while (token);
  return rules;
}

function compareRules(name: string, expected: string[], rules: Rule[]): Check {
  const state = new Map(rules.map((r) => [r.Name, r.State]));
  const missing = expected.filter((n) => !state.has(n));
  const disabled = expected.filter((n) => state.has(n) && state.get(n) !== 'ENABLED');
  if (missing.length === 0 && disabled.length === 0) {
    return { name, ok: true, detail: `${expected.length} rule(s) enabled` };
  }
  const problems = [
    ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
    ...(disabled.length ? [`disabled ${disabled.join(', ')}`] : []),
  ];
  return {
    name,
    ok: false,
    detail: problems.join('; '),
    fix: 'redeploy the stack (npx cdk deploy) and look for monitor-tampering findings',
  };
}

async function checkDetectionRules(events: DoctorClients['events'], config: Config): Promise<Check> {
  const p = config.resourcePrefix;
  // The rules the stack creates, from the same catalogue routes (infra/patterns.ts).
  const expected = detectionRules(config).map((r) => `${p}-${r.name}`);
  return compareRules(
    'Detection rules on the default bus',
    expected,
    await listRules(events, undefined, `${p}-`),
  );
}

async function checkFindingsRules(events: DoctorClients['events'], prefix: string): Promise<Check> {
  const name = 'Findings bus rules';
  const bus = `${prefix}-findings`;
  try {
    const rules = await listRules(events, bus, bus);
    // A forwarding region has only to-log and to-home; the home region has the notifier.
    const expected = rules.some((r) => r.Name === `${bus}-to-home`)
      ? [`${bus}-to-log`, `${bus}-to-home`]
      : [`${bus}-to-log`, `${bus}-to-notifier`];
    return compareRules(name, expected, rules);
  } catch (e) {
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
    return {
      name,
      ok: false,
      detail: `event bus ${bus} does not exist`,
      fix: 'deploy the stack (npx cdk deploy)',
    };
  }
}

/**
 * The scheduled rules: the transcript sweep in every region (when missingTranscript is on) and the
 * alert digest in the home region. A stopped timer fails silently otherwise: shell sessions without a
 * transcript, or incidents whose digest never comes.
 */
async function checkTimers(events: DoctorClients['events'], config: Config): Promise<Check> {
  const p = config.resourcePrefix;
  const bus = `${p}-findings`;
  let forwarding = false;
  try {
    forwarding = (await listRules(events, bus, `${bus}-to-home`)).some((r) => r.Name === `${bus}-to-home`);
  } catch (e) {
    // No findings bus: the findings check says so; expect the home region's timers.
    if (errorName(e) !== 'ResourceNotFoundException') throw e;
  }
  const expected = [
    ...(config.missingTranscript.enabled ? [`${p}-transcript-sweep`] : []),
    ...(forwarding ? [] : [`${p}-alert-digest`]),
  ];
  return compareRules('Timers', expected, await listRules(events, undefined, `${p}-`));
}

/** A check that could not run (no permission, throttling) fails with the error name, never throws. */
async function guarded(name: string, run: () => Promise<Check>): Promise<Check> {
  try {
    return await run();
  } catch (e) {
    return {
      name,
      ok: false,
      detail: `could not check (${describeError(e)})`,
      fix: checkFix(e),
    };
  }
}

async function guardedMany(name: string, run: () => Promise<Check[]>): Promise<Check[]> {
  try {
    return await run();
  } catch (e) {
    return [
      {
        name,
        ok: false,
        detail: `could not check (${describeError(e)})`,
        fix: checkFix(e),
      },
    ];
  }
}

function checkFix(e: unknown): string {
  return errorName(e) === 'AccessDeniedException' || errorName(e) === 'AccessDenied'
    ? 'run doctor with credentials that may read CloudTrail, SSM documents, CloudWatch Logs and EventBridge rules'
    : 'check credentials, region and network, then run doctor again';
}

function errorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}
