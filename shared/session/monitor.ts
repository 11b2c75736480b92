/**
 * The one catalogue of APIs whose use can blind ssm-sentinel. Classification (normalise.ts) decides
 * from it what is tampering, and the monitor rules' routes (shared/rules/monitor-rules.ts), from which
 * the EventBridge patterns to session-events are generated, are built from it: the two cannot drift.
 *
 * CloudTrail feeds EventBridge (any trail counts); the other services carry our own pipeline and only
 * count for our resources: named with `config.resourcePrefix`, or (KMS) the stack's own key.
 * `configChange` APIs are also what a deploy does: made through CloudFormation they are not tampering.
 */

import type { ResourceKey } from '../rules/types';

export type { ResourceKey, ResourceMatch } from '../rules/types';

export interface MonitorApiSpec {
  /** `lambda` → eventSource `lambda.amazonaws.com`, EventBridge source `aws.lambda`. */
  service: string;
  /** eventName values exactly as CloudTrail writes them (Lambda: versioned and bare forms). */
  eventNames: readonly string[];
  /** Of the events (base names), the ones a CloudFormation deploy makes too. */
  configChange: readonly string[];
  resources: readonly ResourceKey[];
  /** Every call counts, whatever the resource (CloudTrail: any trail feeds EventBridge). */
  anyResource: boolean;
}

export interface MonitorApi extends MonitorApiSpec {
  /** Base names of `eventNames` (version suffixes stripped): what classification compares. */
  events: ReadonlySet<string>;
  configChangeSet: ReadonlySet<string>;
  /** The `key` of every resource, in order. */
  resourceKeys: readonly string[];
}

const SPECS: readonly MonitorApiSpec[] = [
  {
    service: 'cloudtrail',
    eventNames: ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'],
    configChange: ['UpdateTrail', 'PutEventSelectors'],
    resources: [
      { key: 'name', match: [] },
      { key: 'trailName', match: [] },
    ],
    anyResource: true,
  },
  {
    service: 'events',
    eventNames: [
      'DeleteRule',
      'DisableRule',
      'RemoveTargets',
      'PutTargets',
      'PutRule',
      'DeleteEventBus',
      'DeleteArchive',
    ],
    configChange: ['PutRule', 'PutTargets', 'RemoveTargets'],
    resources: [
      { key: 'name', match: ['name'] },
      { key: 'rule', match: ['name'] },
      { key: 'eventBusName', match: ['name', 'arn'], arnResource: 'event-bus/' },
      { key: 'archiveName', match: ['name'] },
    ],
    anyResource: false,
  },
  {
    service: 'logs',
    eventNames: [
      'DeleteLogGroup',
      'DeleteLogStream',
      'DeleteSubscriptionFilter',
      'PutSubscriptionFilter',
      'PutRetentionPolicy',
      'DeleteRetentionPolicy',
      'DisassociateKmsKey',
    ],
    configChange: [
      'PutSubscriptionFilter',
      'PutRetentionPolicy',
      'DeleteRetentionPolicy',
      'DeleteSubscriptionFilter',
    ],
    resources: [
      { key: 'logGroupName', match: ['log-group'] },
      { key: 'logGroupIdentifier', match: ['log-group'] },
    ],
    anyResource: false,
  },
  {
    service: 'lambda',
    // CloudTrail writes Lambda names with the API version (classification strips it, so bare forms
    // classify too); bare `DeleteFunction` stays routed as before, the EventInvokeConfig APIs are bare.
    eventNames: [
      'DeleteFunction',
      'DeleteFunction20150331',
      'UpdateFunctionCode20150331v2',
      'UpdateFunctionConfiguration20150331v2',
      'PutFunctionConcurrency20171031',
      'DeleteFunctionConcurrency20171031',
      'RemovePermission20150331v2',
      'PutFunctionEventInvokeConfig',
      'DeleteFunctionEventInvokeConfig',
    ],
    configChange: [
      'UpdateFunctionConfiguration',
      'UpdateFunctionCode',
      'PutFunctionConcurrency',
      'DeleteFunctionConcurrency',
      'RemovePermission',
      'DeleteFunctionEventInvokeConfig',
      'PutFunctionEventInvokeConfig',
    ],
    resources: [{ key: 'functionName', match: ['name', 'arn'], arnResource: 'function:' }],
    anyResource: false,
  },
  {
    service: 'sns',
    eventNames: [
      'DeleteTopic',
      'Unsubscribe',
      'SetTopicAttributes',
      'SetSubscriptionAttributes',
      'RemovePermission',
    ],
    configChange: ['SetTopicAttributes', 'SetSubscriptionAttributes', 'RemovePermission', 'Unsubscribe'],
    resources: [
      { key: 'topicArn', match: ['arn'], arnResource: '' },
      { key: 'subscriptionArn', match: ['arn'], arnResource: '' },
    ],
    anyResource: false,
  },
  {
    service: 'dynamodb',
    eventNames: ['DeleteTable', 'UpdateTable', 'UpdateTimeToLive', 'UpdateContinuousBackups'],
    configChange: ['UpdateTable', 'UpdateTimeToLive', 'UpdateContinuousBackups'],
    resources: [{ key: 'tableName', match: ['name', 'arn'], arnResource: 'table/' }],
    anyResource: false,
  },
  {
    service: 'sqs',
    // Our dead-letter queues: what EventBridge and the functions could not deliver.
    eventNames: ['DeleteQueue', 'PurgeQueue'],
    configChange: [],
    resources: [{ key: 'queueUrl', match: ['url'] }],
    anyResource: false,
  },
  {
    service: 'kms',
    // A deploy may change the key policy, rotation or alias target; disabling the key, scheduling its
    // deletion or deleting its alias count even through CloudFormation, like deletions elsewhere.
    eventNames: [
      'DisableKey',
      'ScheduleKeyDeletion',
      'PutKeyPolicy',
      'DisableKeyRotation',
      'DeleteAlias',
      'UpdateAlias',
    ],
    configChange: ['PutKeyPolicy', 'DisableKeyRotation', 'UpdateAlias'],
    resources: [
      { key: 'keyId', match: ['key'] },
      { key: 'aliasName', match: ['alias'] },
    ],
    anyResource: false,
  },
];

function build(spec: MonitorApiSpec): MonitorApi {
  return {
    ...spec,
    events: new Set(spec.eventNames.map(baseEventName)),
    configChangeSet: new Set(spec.configChange),
    resourceKeys: spec.resources.map((r) => r.key),
  };
}

export const MONITOR_APIS: Readonly<Record<string, MonitorApi>> = Object.fromEntries(
  SPECS.map((s) => [`${s.service}.amazonaws.com`, build(s)]),
);

/** The monitored APIs of a service (own keys only: `constructor` is not a service). */
export function monitorApi(eventSource: string): MonitorApi | undefined {
  return Object.hasOwn(MONITOR_APIS, eventSource) ? MONITOR_APIS[eventSource] : undefined;
}

/** `UpdateFunctionConfiguration20150331v2` → `UpdateFunctionConfiguration`. */
export function baseEventName(eventName: string): string {
  return eventName.replace(/\d{8}(?:v\d+)?$/, '');
}

/**
 * Whether a name, ARN or URL denotes one of our resources: some `/` or `:` separated part of it starts
 * with the prefix (`/aws/lambda/ssm-sentinel-notifier`, `arn:…:rule/ssm-sentinel-findings/x`).
 */
export function hasPrefix(resource: string, prefix: string): boolean {
  const p = prefix.toLowerCase();
  return resource
    .toLowerCase()
    .split(/[:/]/)
    .some((part) => part.startsWith(p));
}

const KMS = 'kms.amazonaws.com';

/**
 * Whether a KMS key reference (key id, key ARN, alias name or alias ARN) is ours: an alias starting
 * with `alias/${prefix}`, or one of `ownKeys` (the stack's key ids/ARNs; a key ARN also matches its id).
 */
export function isOwnKey(ref: string, prefix: string, ownKeys: readonly string[] = []): boolean {
  const r = ref.toLowerCase();
  const alias = `alias/${prefix.toLowerCase()}`;
  if (r.startsWith(alias) || r.includes(`:${alias}`)) return true;
  if (ownKeys.length === 0) return false;
  const own = new Set(ownKeys.flatMap(keyForms));
  return keyForms(r).some((f) => own.has(f));
}

/** A key ARN and its key id (lower case); anything else as is. */
function keyForms(ref: string): string[] {
  const r = ref.toLowerCase();
  const i = r.lastIndexOf(':key/');
  return i >= 0 ? [r, r.slice(i + ':key/'.length)] : [r];
}

/** Whether a resource named in a call to `eventSource` is one of ours. */
export function isOwnResource(
  eventSource: string,
  resource: string,
  prefix: string,
  ownKeys: readonly string[] = [],
  ownLogGroups: readonly string[] = [],
): boolean {
  if (eventSource === KMS) return isOwnKey(resource, prefix, ownKeys);
  if (hasPrefix(resource, prefix)) return true;
  return eventSource === LOGS && ownLogGroups.some((g) => isLogGroup(resource, g));
}

const LOGS = 'logs.amazonaws.com';

/**
 * `resource` (a log group name, or an ARN `…:log-group:<name>[:*]`) is the log group `name`: the
 * monitored session log group when the stack was given an existing one (`stack.sessionLogGroupName`,
 * which the resource prefix does not cover).
 */
function isLogGroup(resource: string, name: string): boolean {
  if (resource === name) return true;
  const at = resource.indexOf(':log-group:');
  if (at < 0) return false;
  const rest = resource.slice(at + ':log-group:'.length);
  return rest === name || rest === `${name}:*`;
}

/** Refs from an environment variable the stack sets, comma-separated (OWN_KEYS: key ARNs/ids; OWN_LOG_GROUPS: names). */
export function parseOwnKeys(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0 && k.length <= 2048)
    .slice(0, 16);
}
