import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '../shared/metrics';
import type { Config } from '../shared/model/config';
import { SEVERITIES, type Severity, severityRank } from '../shared/model/finding';

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
 * Tampering with the monitor: one pattern per service. CloudTrail changes count on any trail (the
 * detection depends on every trail that feeds EventBridge); the others are scoped to our resource
 * prefix by name prefix or ARN wildcard, which is as precise as EventBridge patterns allow. KMS calls
 * name a key by id, ARN or alias, so the stack passes its key's id and ARN (`keyRefs`).
 */
export function tamperingPatterns(config: Config, keyRefs: string[] = []): Record<string, Pattern> {
  const p = config.resourcePrefix;
  const arn = (service: string, resource: string) => ({ wildcard: `arn:*:${service}:*:*:${resource}${p}-*` });
  return {
    cloudtrail: apiCall('cloudtrail', ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors']),
    events: apiCall(
      'events',
      [
        'DeleteRule',
        'DisableRule',
        'RemoveTargets',
        'PutTargets',
        'PutRule',
        'DeleteEventBus',
        'DeleteArchive',
      ],
      {
        $or: [
          { name: [{ prefix: `${p}-` }] },
          { rule: [{ prefix: `${p}-` }] },
          { eventBusName: [{ prefix: `${p}-` }] },
          { archiveName: [{ prefix: `${p}-` }] },
        ],
      },
    ),
    logs: apiCall(
      'logs',
      [
        'DeleteLogGroup',
        'DeleteSubscriptionFilter',
        'PutSubscriptionFilter',
        'PutRetentionPolicy',
        'DeleteRetentionPolicy',
        'DisassociateKmsKey',
      ],
      { logGroupName: ownLogGroupPrefixes(config) },
    ),
    lambda: apiCall(
      'lambda',
      [
        'DeleteFunction',
        'DeleteFunction20150331',
        'UpdateFunctionCode20150331v2',
        'UpdateFunctionConfiguration20150331v2',
        'PutFunctionConcurrency20171031',
        'DeleteFunctionConcurrency20171031',
        'RemovePermission20150331v2',
      ],
      { functionName: [{ prefix: `${p}-` }, arn('lambda', 'function:')] },
    ),
    sns: apiCall('sns', ['DeleteTopic', 'SetTopicAttributes', 'RemovePermission', 'Unsubscribe'], {
      $or: [{ topicArn: [arn('sns', '')] }, { subscriptionArn: [arn('sns', '')] }],
    }),
    dynamodb: apiCall(
      'dynamodb',
      ['DeleteTable', 'UpdateTable', 'UpdateTimeToLive', 'UpdateContinuousBackups'],
      {
        tableName: [{ prefix: `${p}-` }, arn('dynamodb', 'table/')],
      },
    ),
    kms: apiCall(
      'kms',
      [
        'DisableKey',
        'ScheduleKeyDeletion',
        'PutKeyPolicy',
        'DisableKeyRotation',
        'DeleteAlias',
        'UpdateAlias',
      ],
      {
        $or: [{ keyId: [...keyRefs, { prefix: `alias/${p}` }] }, { aliasName: [{ prefix: `alias/${p}` }] }],
      },
    ),
  };
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
