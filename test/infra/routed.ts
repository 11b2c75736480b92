import type { Template } from 'aws-cdk-lib/assertions';
import { props, resources } from './synth';

/**
 * What the synthesized stack routes to session-events, and CloudTrail records on our own resources
 * (or not), for the routing tests (routing.test.ts, tampering.test.ts). Patterns are matched with
 * EventBridge's own semantics (`matchesPattern`) for the matchers the stack uses.
 */

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, walked freely
export type Json = any;

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-2';
/** Stand-ins for the deployed key: the template only holds tokens ({Ref}, {Fn::GetAtt Arn}). */
export const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const OTHER_KEY_ID = '0987dcba-09fe-87dc-65ba-ab0987654321';
const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${OTHER_KEY_ID}`;

export interface RoutedRule {
  name: string;
  /** The rule's pattern, the key's tokens replaced by the stand-ins. */
  pattern: Json;
}

export interface RoutedCall {
  rule: string;
  eventSource: string;
  eventName: string;
  /** undefined: the pattern matches any resource (sessions, CloudTrail). */
  key?: string;
  matcher?: unknown;
}

/** Replace the key's CloudFormation tokens, anywhere in `v`, by the stand-in id/ARN. */
function resolveKey(v: Json, keyLogicalId: string | undefined): Json {
  if (Array.isArray(v)) return v.map((x) => resolveKey(x, keyLogicalId));
  if (typeof v !== 'object' || v === null) return v;
  if (v.Ref !== undefined && v.Ref === keyLogicalId) return KEY_ID;
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att) && att[0] === keyLogicalId && att[1] === 'Arn') return KEY_ARN;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveKey(x, keyLogicalId)]));
}

/** `v` from the template `t`, the stack key's tokens replaced by the stand-in id/ARN. */
export function resolveKeyIn(t: Template, v: Json): Json {
  return resolveKey(v, Object.keys(resources(t, 'AWS::KMS::Key'))[0]);
}

/** The default-bus rules whose target is the session-events function. */
export function sessionEventsRules(t: Template): RoutedRule[] {
  const keyLogicalId = Object.keys(resources(t, 'AWS::KMS::Key'))[0];
  return props(t, 'AWS::Events::Rule')
    .filter((r) => r.EventBusName === undefined)
    .filter((r) =>
      (r.Targets as Json[]).some((target) => JSON.stringify(target.Arn).includes('sessionevents')),
    )
    .map((r) => ({ name: String(r.Name), pattern: resolveKey(r.EventPattern, keyLogicalId) }));
}

/** One call per (rule, source, event name, request parameter, matcher) the rules route. */
export function routedCalls(rules: readonly RoutedRule[]): RoutedCall[] {
  const out: RoutedCall[] = [];
  for (const { name, pattern } of rules) {
    const detail = pattern.detail;
    const filters: Array<Record<string, unknown[]>> =
      detail.requestParameters === undefined
        ? []
        : (detail.requestParameters.$or ?? [detail.requestParameters]);
    for (const eventSource of detail.eventSource as string[]) {
      for (const eventName of detail.eventName as string[]) {
        if (filters.length === 0) out.push({ rule: name, eventSource, eventName });
        for (const filter of filters) {
          for (const [key, matchers] of Object.entries(filter)) {
            for (const matcher of matchers) out.push({ rule: name, eventSource, eventName, key, matcher });
          }
        }
      }
    }
  }
  return out;
}

/** A concrete value the matcher routes, naming one of our resources as the stack names them. */
export function sampleOf(matcher: unknown): string {
  if (matcher === undefined) return 'org-trail';
  if (typeof matcher === 'string') return matcher;
  const m = matcher as { prefix?: string; wildcard?: string; 'equals-ignore-case'?: string };
  if (m['equals-ignore-case'] !== undefined) return m['equals-ignore-case'];
  if (m.prefix !== undefined) return /[-/]$/.test(m.prefix) ? `${m.prefix}findings` : m.prefix;
  const w = m.wildcard ?? '';
  if (w.startsWith('*/'))
    return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${w.slice(2, -1)}session-events-dlq`;
  return w
    .replace(/^arn:\*:/, 'arn:aws:')
    .replace(/:\*:\*:/, `:${REGION}:${ACCOUNT}:`)
    .replace(/-\*$/, '-findings')
    .replace(/\*$/, '');
}

/** The same resource, not ours: another prefix, key, preferences document or type, a named account. */
export function notOurs(value: string): string {
  if (value === 'Session') return 'Command';
  // A document shared with one account rather than every account (`all`, any case).
  if (value.toLowerCase() === 'all') return '444455556666';
  return value
    .replaceAll(KEY_ARN, OTHER_KEY_ARN)
    .replaceAll(KEY_ID, OTHER_KEY_ID)
    .replaceAll('ssm-sentinel', 'billing-app')
    .replace(/^SSM-SessionManagerRunShell/, 'Acme-PatchRunbook');
}

/** `*` matches any run of characters (EventBridge wildcard); linear two-pointer walk. */
function wildcardMatches(glob: string, s: string): boolean {
  let g = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (g < glob.length && glob[g] !== '*' && glob[g] === s[i]) {
      g++;
      i++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      mark = i;
    } else if (star >= 0) {
      g = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

/** EventBridge's matching of one value matcher (exact, prefix, wildcard, equals-ignore-case: what the stack uses). */
export function matcherRoutes(matcher: unknown, value: unknown): boolean {
  if (typeof matcher !== 'object' || matcher === null) return matcher === value;
  if (typeof value !== 'string') return false;
  const m = matcher as { prefix?: string; wildcard?: string; 'equals-ignore-case'?: string };
  if (m['equals-ignore-case'] !== undefined)
    return value.toLowerCase() === m['equals-ignore-case'].toLowerCase();
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.wildcard !== undefined) return wildcardMatches(m.wildcard, value);
  throw new Error(`matcher not supported by this test: ${JSON.stringify(matcher)}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * EventBridge pattern semantics: every field of the pattern must match; an array lists the accepted
 * values (any one; an array in the event matches when any of its elements does); an object matches the
 * event's object at that field; `$or` is a list of alternative patterns at the same level.
 */
export function matchesPattern(pattern: Json, event: unknown): boolean {
  for (const [key, p] of Object.entries(pattern as Record<string, unknown>)) {
    if (key === '$or') {
      if (!(p as Json[]).some((alt) => matchesPattern(alt, event))) return false;
      continue;
    }
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(p)) {
      const values = Array.isArray(value) ? value : [value];
      const ok = p.some((m) =>
        isObject(m) && 'exists' in m
          ? (value !== undefined) === m.exists
          : values.some((v) => v !== undefined && matcherRoutes(m, v)),
      );
      if (!ok) return false;
    } else if (!isObject(p) || !matchesPattern(p, value)) {
      return false;
    }
  }
  return true;
}

/** A CloudTrail record as EventBridge delivers it ("AWS API Call via CloudTrail"). */
export function envelope(record: Json): Json {
  if (record['detail-type'] !== undefined) return record;
  return {
    version: '0',
    id: '6f87d04b-9f74-4f04-a780-7acf4b0a9b38',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${String(record.eventSource).split('.')[0]}`,
    account: ACCOUNT,
    time: record.eventTime,
    region: REGION,
    resources: [],
    detail: record,
  };
}

const SESSION_ID = 'alice-0123456789abcdef0';
const TARGET = 'i-0123456789abcdef0';

const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * Calls routed whatever their resource name a target, a session or a document of anyone's, as
 * CloudTrail records them (keyed by `<eventSource>|<eventName>`).
 */
const UNFILTERED_REQUESTS: Readonly<Record<string, Record<string, unknown>>> = {
  'ssm.amazonaws.com|StartSession': { target: TARGET },
  'ssm.amazonaws.com|ResumeSession': { sessionId: SESSION_ID },
  'ssm.amazonaws.com|TerminateSession': { sessionId: SESSION_ID },
  'ssm.amazonaws.com|SendCommand': {
    instanceIds: [TARGET],
    documentName: 'AWS-RunShellScript',
    interactive: false,
    parameters: HIDDEN,
  },
  'ssm.amazonaws.com|StartAutomationExecution': {
    documentName: 'Acme-RestartService',
    targetParameterName: 'InstanceId',
    targets: [{ key: 'InstanceIds', values: [TARGET] }],
  },
  'ssm.amazonaws.com|CreateDocument': {
    content: HIDDEN,
    name: 'Acme-RotateLogs',
    documentType: 'Command',
    documentFormat: 'JSON',
  },
  'ssm.amazonaws.com|UpdateDocument': {
    content: HIDDEN,
    name: 'Acme-RotateLogs',
    documentVersion: '$LATEST',
    documentFormat: 'YAML',
  },
  'ssm.amazonaws.com|UpdateDocumentDefaultVersion': { name: 'Acme-RotateLogs', documentVersion: '2' },
  'ssm-guiconnect.amazonaws.com|StartConnection': {
    AuthType: 'Credentials',
    Protocol: 'RDP',
    ConnectionType: 'SessionManager',
    InstanceId: TARGET,
  },
};

/** Request members CloudTrail records as lists (account ids of a document permission). */
const LIST_MEMBERS: ReadonlySet<string> = new Set(['accountIdsToAdd', 'accountIdsToRemove']);

/** The request of a call naming `value` (the resource its filter matches). */
export function requestOf(call: RoutedCall, value: string): Record<string, unknown> {
  if (call.key === undefined) {
    const request = UNFILTERED_REQUESTS[`${call.eventSource}|${call.eventName}`];
    if (request) return structuredClone(request);
    if (call.eventSource === 'ssm.amazonaws.com') return {};
  }
  const key = call.key ?? 'name';
  if (LIST_MEMBERS.has(key)) return { name: 'Acme-RotateLogs', permissionType: 'Share', [key]: [value] };
  return { [key]: value };
}

export interface RecordOptions {
  by?: 'person' | 'cloudformation';
  /** A failed call (AccessDenied): an attempt. */
  denied?: boolean;
}

let seq = 0;

/** A CloudTrail record of `call` with these request parameters, made by a person with MFA or by CloudFormation. */
export function record(
  call: RoutedCall,
  requestParameters: Record<string, unknown>,
  options: RecordOptions = {},
): Record<string, unknown> {
  seq += 1;
  const cfn = 'cloudformation.amazonaws.com';
  const by = options.by ?? 'person';
  const started = call.eventName === 'StartSession' && !options.denied;
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/alice`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEKEY',
      sessionContext: {
        attributes: { mfaAuthenticated: 'true', creationDate: '2026-11-22T09:00:00Z' },
        sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/ops`, userName: 'ops' },
      },
      ...(by === 'cloudformation' ? { invokedBy: cfn } : {}),
    },
    eventTime: '2026-11-22T09:31:40Z',
    eventSource: call.eventSource,
    eventName: call.eventName,
    awsRegion: REGION,
    sourceIPAddress: by === 'cloudformation' ? cfn : '203.0.113.11',
    userAgent: 'aws-cli/2.15.0',
    requestParameters,
    responseElements: started
      ? {
          sessionId: SESSION_ID,
          tokenValue: 'Value hidden due to security reasons.',
          streamUrl: `wss://ssmmessages.${REGION}.amazonaws.com/v1/data-channel/${SESSION_ID}`,
        }
      : null,
    ...(options.denied ? { errorCode: 'AccessDenied', errorMessage: 'User is not authorized' } : {}),
    eventID: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
}

export function label(c: RoutedCall): string {
  return `${c.eventSource.split('.')[0]}:${c.eventName}${c.key ? ` ${c.key}=${JSON.stringify(c.matcher)}` : ''}`;
}
