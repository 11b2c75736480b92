import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import type { Config } from '#shared/model/config';
import { SEVERITIES, type Severity, severityRank } from '#shared/model/finding';
import { MONITOR_APIS, type ResourceKey, type ResourceMatch } from '#shared/session/monitor';

/**
 * EventBridge patterns of the stack, as plain data so tests and the README can show them exactly.
 * All rules on the default bus match CloudTrail API calls, which EventBridge only receives while a
 * trail is logging (DESIGN.md).
 */
export type Pattern = Record<string, unknown>;

const API_CALL = 'AWS API Call via CloudTrail';

/** The preferences document every account uses unless a session document is named explicitly. */
export const PREFERENCES_DOCUMENT = 'SSM-SessionManagerRunShell';

function apiCall(service: string, eventNames: string[], requestParameters?: unknown): Pattern {
  const detail: Record<string, unknown> = {
    eventSource: [`${service}.amazonaws.com`],
    eventName: eventNames,
  };
  if (requestParameters !== undefined) detail.requestParameters = requestParameters;
  return { source: [`aws.${service}`], 'detail-type': [API_CALL], detail };
}

/** Session start/resume/terminate, successful or denied. */
export function sessionPattern(): Pattern {
  return apiCall('ssm', ['StartSession', 'ResumeSession', 'TerminateSession']);
}

/** Changes to the session preferences documents. */
export function preferencesPattern(config: Config): Pattern {
  const names = [...new Set([PREFERENCES_DOCUMENT, ...config.preferencesDocuments])].sort();
  return apiCall(
    'ssm',
    ['CreateDocument', 'UpdateDocument', 'UpdateDocumentDefaultVersion', 'DeleteDocument'],
    {
      name: names.map((n) => ({ prefix: n })),
    },
  );
}

/** Names of this stack's own log groups (Lambda logs, findings log, created session log group). */
export function ownLogGroupPrefixes(config: Config): Array<string | { prefix: string }> {
  const p = config.resourcePrefix;
  const own: Array<string | { prefix: string }> = [
    { prefix: `/aws/lambda/${p}-` },
    { prefix: `/aws/events/${p}-` },
    { prefix: `/${p}/` },
  ];
  const monitored = config.stack.sessionLogGroupName;
  if (monitored !== null) own.push(monitored);
  return own;
}

/**
 * Tampering with the monitor: one pattern per service, generated from the classification catalogue
 * (shared/session/monitor.ts `MONITOR_APIS`), so every API classified is routed and nothing routed is
 * dropped. CloudTrail changes count on any trail (the detection depends on every trail that feeds
 * EventBridge); the others are scoped to our resources by name prefix or ARN/URL wildcard, which is as
 * precise as EventBridge patterns allow. KMS calls name a key by id, ARN or alias, so the stack passes
 * its key's id and ARN (`keyRefs`).
 */
export function tamperingPatterns(config: Config, keyRefs: string[] = []): Record<string, Pattern> {
  const out: Record<string, Pattern> = {};
  for (const api of Object.values(MONITOR_APIS)) {
    const filters = api.anyResource
      ? []
      : api.resources.map((r) => ({ [r.key]: resourceMatchers(api.service, r, config, keyRefs) }));
    const requestParameters =
      filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : { $or: filters };
    out[api.service] = apiCall(api.service, [...api.eventNames], requestParameters);
  }
  return out;
}

/** EventBridge matchers for one request parameter naming one of our resources (see `ResourceMatch`). */
function resourceMatchers(service: string, r: ResourceKey, config: Config, keyRefs: string[]): unknown[] {
  const p = config.resourcePrefix;
  // KMS takes alias names (not alias ARNs) in aliasName, and key ids or ARNs (not aliases) in keyId of
  // the calls we route; the alias prefix on keyId is kept for callers that pass one anyway.
  const alias = [{ prefix: `alias/${p}` }];
  // A record keyed by every ResourceMatch: a new kind of match does not compile until it routes.
  const byMatch: Record<ResourceMatch, () => unknown[]> = {
    name: () => [{ prefix: `${p}-` }],
    arn: () => [{ wildcard: `arn:*:${service}:*:*:${r.arnResource ?? ''}${p}-*` }],
    url: () => [{ wildcard: `*/${p}-*` }],
    'log-group': () => ownLogGroupPrefixes(config),
    key: () => [...keyRefs, ...alias],
    alias: () => alias,
  };
  return r.match.flatMap((m) => byMatch[m]());
}

/** Every finding on the findings bus. */
export function findingsPattern(): Pattern {
  return { source: [FINDING_SOURCE], 'detail-type': [FINDING_DETAIL_TYPE] };
}

/** Severities at or above `min`, for severity-filtered rules and subscriptions. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => severityRank(s) >= severityRank(min));
}

/** What the responder may act on: findings about a session at or above autoTerminate.minSeverity. */
export function responderPattern(config: Config): Pattern {
  return {
    ...findingsPattern(),
    detail: {
      severity: severitiesAtLeast(config.autoTerminate.minSeverity),
      sessionId: [{ exists: true }],
    },
  };
}
