/**
 * APIs whose use can blind ssm-sentinel: CloudTrail feeds EventBridge (any trail counts), the other
 * services carry our own pipeline and only count for resources named with `config.resourcePrefix`.
 * `configChange` APIs are also what a deploy does: made through CloudFormation they are not tampering.
 */
export interface MonitorApi {
  /** eventName values (Lambda's version suffixes such as `20150331v2` are stripped first). */
  events: ReadonlySet<string>;
  /** Of `events`, the ones a CloudFormation deploy makes too. */
  configChange: ReadonlySet<string>;
  /** requestParameters members naming the affected resource (name, ARN or URL). */
  resourceKeys: readonly string[];
  /** Every call counts, whatever the resource (CloudTrail: any trail feeds EventBridge). */
  anyResource: boolean;
}

export const MONITOR_APIS: Readonly<Record<string, MonitorApi>> = {
  'cloudtrail.amazonaws.com': {
    events: new Set(['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors']),
    configChange: new Set(['UpdateTrail', 'PutEventSelectors']),
    resourceKeys: ['name', 'trailName'],
    anyResource: true,
  },
  'events.amazonaws.com': {
    events: new Set([
      'DeleteRule',
      'DisableRule',
      'RemoveTargets',
      'PutRule',
      'PutTargets',
      'DeleteEventBus',
    ]),
    configChange: new Set(['PutRule', 'PutTargets', 'RemoveTargets']),
    resourceKeys: ['name', 'rule', 'eventBusName'],
    anyResource: false,
  },
  'logs.amazonaws.com': {
    events: new Set([
      'DeleteLogGroup',
      'DeleteLogStream',
      'DeleteSubscriptionFilter',
      'PutSubscriptionFilter',
      'PutRetentionPolicy',
      'DisassociateKmsKey',
    ]),
    configChange: new Set(['PutSubscriptionFilter', 'PutRetentionPolicy', 'DeleteSubscriptionFilter']),
    resourceKeys: ['logGroupName', 'logGroupIdentifier'],
    anyResource: false,
  },
  'lambda.amazonaws.com': {
    events: new Set([
      'DeleteFunction',
      'UpdateFunctionConfiguration',
      'UpdateFunctionCode',
      'PutFunctionConcurrency',
      'RemovePermission',
      'DeleteFunctionEventInvokeConfig',
      'PutFunctionEventInvokeConfig',
    ]),
    configChange: new Set([
      'UpdateFunctionConfiguration',
      'UpdateFunctionCode',
      'PutFunctionConcurrency',
      'RemovePermission',
      'DeleteFunctionEventInvokeConfig',
      'PutFunctionEventInvokeConfig',
    ]),
    resourceKeys: ['functionName'],
    anyResource: false,
  },
  'sns.amazonaws.com': {
    events: new Set([
      'DeleteTopic',
      'Unsubscribe',
      'SetTopicAttributes',
      'SetSubscriptionAttributes',
      'RemovePermission',
    ]),
    configChange: new Set([
      'SetTopicAttributes',
      'SetSubscriptionAttributes',
      'RemovePermission',
      'Unsubscribe',
    ]),
    resourceKeys: ['topicArn', 'subscriptionArn'],
    anyResource: false,
  },
  'dynamodb.amazonaws.com': {
    events: new Set(['DeleteTable']),
    configChange: new Set(),
    resourceKeys: ['tableName'],
    anyResource: false,
  },
  'sqs.amazonaws.com': {
    events: new Set(['DeleteQueue', 'PurgeQueue']),
    configChange: new Set(),
    resourceKeys: ['queueUrl'],
    anyResource: false,
  },
};

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
