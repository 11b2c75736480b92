import type { Config } from '../model/config';
import type { Evidence } from '../model/finding';
import { baseEventName, MONITOR_APIS } from '../session/monitor';
import type { CloudTrailRule, Hit, SessionEvent } from '../session/types';
import type { Route } from './types';

/**
 * The monitor family: calls that can blind ssm-sentinel. What counts, and what is routed, both come
 * from the one catalogue `MONITOR_APIS` (shared/session/monitor.ts). Examples: `examples/<id>.json`.
 */

const SERVICE_NAMES: Readonly<Record<string, string>> = {
  events: 'EventBridge',
  logs: 'CloudWatch Logs',
  lambda: 'Lambda',
  sns: 'SNS',
  dynamodb: 'DynamoDB',
  sqs: 'SQS (dead-letter queues)',
  kms: 'KMS (the stack key)',
};

const TRAIL = 'cloudtrail.amazonaws.com';
const APIS = Object.values(MONITOR_APIS);

/** Routes of the monitored services: every call for CloudTrail, calls naming our resources for the rest. */
function routesOf(anyResource: boolean): Route[] {
  return APIS.filter((api) => api.anyResource === anyResource).map((api) => ({
    service: api.service,
    eventNames: api.eventNames,
    ...(anyResource ? {} : { resources: api.resources }),
  }));
}

/** The monitored calls of monitor-resource-tampering, from the one catalogue that also routes them. */
const MONITORED_RESOURCE_APIS = `A call deleted, disabled or redirected one of ssm-sentinel's own resources (named with resourcePrefix, or the stack's KMS key): ${APIS.filter(
  (api) => !api.anyResource,
)
  .map((api) => `${SERVICE_NAMES[api.service] ?? api.service} ${[...api.events].join(', ')}`)
  .join(
    '; ',
  )}. Configuration changes made by CloudFormation (deploys) are skipped, deletions are not; a failed attempt is reported one step lower.`;

/** A monitored call (normalise.ts decided it is ours and not a deploy); a failed one is an attempt, one step lower. */
function tampering(ev: SessionEvent, config: Config, trail: boolean): Hit | undefined {
  if (ev.action !== 'monitor-tampering' || (ev.eventSource === TRAIL) !== trail) return undefined;
  const api = `${ev.eventSource.split('.')[0]}:${baseEventName(ev.eventName)}`;
  const resource = ev.resourceName ?? (trail ? 'a trail' : 'a resource');
  const reasons = [
    trail
      ? `${api} on ${resource}: EventBridge gets session events only while a trail is logging`
      : `${api} on ${resource}, a resource of ssm-sentinel (prefix ${config.resourcePrefix})`,
  ];
  const evidence: Evidence[] = [{ kind: 'API', excerpt: api }];
  if (ev.resourceName) evidence.push({ kind: 'RESOURCE', excerpt: ev.resourceName });
  if (ev.errorCode === undefined) return { reasons, evidence };
  reasons.push(`the call failed (${ev.errorCode}): an attempt only`);
  return { reasons, evidence, steps: -1 };
}

export const MONITOR_RULES: readonly CloudTrailRule[] = [
  {
    id: 'monitor-cloudtrail-tampering',
    category: 'monitor-tampering',
    severity: 'CRITICAL',
    title: 'CloudTrail logging stopped or changed',
    description:
      'StopLogging, DeleteTrail, UpdateTrail or PutEventSelectors on any trail. EventBridge receives the session events only while a trail is logging, so this can blind ssm-sentinel. UpdateTrail / PutEventSelectors made by CloudFormation are deploys and skipped; a failed attempt is reported one step lower.',
    playbook: [
      'Check that a multi-region trail still logs management events (CloudTrail › Trails, GetTrailStatus).',
      'Restore the trail; review what happened while it was off.',
      'Find out who did it; treat as defense evasion if unexplained.',
    ],
    references: ['https://attack.mitre.org/techniques/T1562/008/'],
    role: 'tampering',
    routes: routesOf(true),
    match: (ev, _facts, config) => tampering(ev, config, true),
    examples: {
      match: [
        'StopLogging',
        'DeleteTrail',
        'PutEventSelectors by a person',
        'denied StopLogging is still reported',
      ],
      noMatch: ['UpdateTrail by CloudFormation is a deploy', 'StartLogging is not tampering'],
    },
  },
  {
    id: 'monitor-resource-tampering',
    category: 'monitor-tampering',
    severity: 'CRITICAL',
    title: "ssm-sentinel's own resources deleted or disabled",
    description: MONITORED_RESOURCE_APIS,
    playbook: [
      'Check the named resource: does the pipeline still deliver (EventBridge rule enabled, subscription filter present, function healthy)?',
      'Redeploy the stack to restore it.',
      'Find out who did it; treat as defense evasion if unexplained.',
    ],
    references: [
      'https://attack.mitre.org/techniques/T1562/',
      'https://attack.mitre.org/techniques/T1562/008/',
    ],
    role: 'tampering',
    routes: routesOf(false),
    match: (ev, _facts, config) => tampering(ev, config, false),
    examples: {
      match: [
        'EventBridge rule disabled',
        'targets removed from a rule on our bus',
        'Lambda deleted (versioned event name, ARN)',
        'subscription filter deleted on our log group',
        'SNS unsubscribe from our topic',
        'DynamoDB state table deleted',
        'custom prefix',
        'stack deletion through CloudFormation still counts',
        'KMS deletion of the stack key scheduled (key ARN known to session-events)',
        'KMS stack key disabled by key id (resources name its ARN)',
        'KMS alias of the stack deleted (CLI: aliases only)',
        'SQS dead-letter queue deleted',
        'SQS dead-letter queue purged',
        'DynamoDB state table updated (stream, billing or encryption changed)',
        'Lambda reserved concurrency of our function removed (versioned event name)',
      ],
      noMatch: [
        'another team rule deleted',
        'our rule updated by CloudFormation (deploy)',
        'read-only call on our function',
        'KMS another team key disabled',
        'KMS stack key ARN without the key refs (CLI) is not recognised',
        'KMS key policy of the stack key updated by CloudFormation (deploy)',
        'SQS another team queue purged',
        'DynamoDB state table updated by CloudFormation (deploy)',
        'DynamoDB another team table updated',
        'Lambda reserved concurrency removed by CloudFormation (deploy)',
      ],
    },
  },
];
