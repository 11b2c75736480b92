import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import { classifyRecord } from '#shared/session/classify';
import { baseEventName, MONITOR_APIS, monitorApi, parseOwnKeys } from '#shared/session/monitor';
import { makeContext } from '../session/helpers';
import { props, removeSynthOutputs, resources, synth } from './synth';

/**
 * Issue 9: routing and classification of monitor tampering come from one catalogue. From the
 * SYNTHESIZED default stack, every API routed to session-events on one of our resources must give a
 * CRITICAL monitor-tampering finding, and every API the catalogue classifies must be routed.
 */
afterAll(removeSynthOutputs);

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation JSON, walked freely
type Json = any;

const ACCOUNT = '123456789012';
const REGION = 'us-east-2';
/** Stand-ins for the deployed key: the template only holds tokens ({Ref}, {Fn::GetAtt Arn}). */
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const OTHER_KEY_ID = '0987dcba-09fe-87dc-65ba-ab0987654321';
const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${OTHER_KEY_ID}`;

/** The calls issue 9 found routed but never classified, and the ones classified but never routed. */
const ISSUE_9_CALLS = [
  'kms:DisableKey',
  'kms:ScheduleKeyDeletion',
  'kms:PutKeyPolicy',
  'kms:DisableKeyRotation',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
  'dynamodb:UpdateTable',
  'dynamodb:UpdateTimeToLive',
  'dynamodb:UpdateContinuousBackups',
  'events:DeleteArchive',
  'logs:DeleteRetentionPolicy',
  'lambda:DeleteFunctionConcurrency',
  'sqs:DeleteQueue',
  'sqs:PurgeQueue',
];

interface RoutedCall {
  rule: string;
  eventSource: string;
  eventName: string;
  /** undefined: the pattern matches any resource (CloudTrail). */
  key?: string;
  matcher?: unknown;
}

let t: Template;
let keyLogicalId: string;
let calls: RoutedCall[];
let ownKeys: string[];

/** Replace the key's CloudFormation tokens by the stand-in id/ARN. */
function resolveKey(v: Json): Json {
  if (typeof v !== 'object' || v === null) return v;
  if (v.Ref === keyLogicalId) return KEY_ID;
  const att = v['Fn::GetAtt'];
  if (Array.isArray(att) && att[0] === keyLogicalId && att[1] === 'Arn') return KEY_ARN;
  return v;
}

function routedCalls(tpl: Template): RoutedCall[] {
  const out: RoutedCall[] = [];
  for (const rule of props(tpl, 'AWS::Events::Rule')) {
    const name = String(rule.Name);
    if (!name.startsWith('ssm-sentinel-tampering-')) continue;
    const detail = (rule.EventPattern as Json).detail;
    const filters: Array<Record<string, unknown[]>> =
      detail.requestParameters === undefined
        ? []
        : (detail.requestParameters.$or ?? [detail.requestParameters]);
    for (const eventSource of detail.eventSource as string[]) {
      for (const eventName of detail.eventName as string[]) {
        if (filters.length === 0) out.push({ rule: name, eventSource, eventName });
        for (const filter of filters) {
          for (const [key, matchers] of Object.entries(filter)) {
            for (const m of matchers)
              out.push({ rule: name, eventSource, eventName, key, matcher: resolveKey(m) });
          }
        }
      }
    }
  }
  return out;
}

/** A concrete value the matcher routes, naming one of our resources as the stack names them. */
function sampleOf(matcher: unknown): string {
  if (matcher === undefined) return 'org-trail';
  if (typeof matcher === 'string') return matcher;
  const m = matcher as { prefix?: string; wildcard?: string };
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

/** EventBridge's own matching of one string matcher (prefix, wildcard or exact), on short test values. */
function routes(matcher: unknown, value: string): boolean {
  if (typeof matcher === 'string') return matcher === value;
  const m = matcher as { prefix?: string; wildcard?: string };
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  const parts = (m.wildcard ?? '').split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`).test(value);
}

/** The same resource, not ours: another prefix, another key. */
function notOurs(value: string): string {
  return value
    .replaceAll(KEY_ARN, OTHER_KEY_ARN)
    .replaceAll(KEY_ID, OTHER_KEY_ID)
    .replaceAll('ssm-sentinel', 'billing-app');
}

let seq = 0;
function record(
  call: RoutedCall,
  requestParameters: Record<string, unknown>,
  by: 'person' | 'cloudformation' = 'person',
): Record<string, unknown> {
  seq += 1;
  const cfn = 'cloudformation.amazonaws.com';
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
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    eventType: 'AwsApiCall',
    recipientAccountId: ACCOUNT,
  };
}

function requestOf(call: RoutedCall, value: string): Record<string, unknown> {
  return { [call.key ?? 'name']: value };
}

function tampering(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.category === 'monitor-tampering');
}

function label(c: RoutedCall): string {
  return `${c.eventSource.split('.')[0]}:${c.eventName}${c.key ? ` ${c.key}=${JSON.stringify(c.matcher)}` : ''}`;
}

beforeAll(() => {
  const base = synth({});
  t = base.templates.get('SsmSentinel')!;
  keyLogicalId = Object.keys(resources(t, 'AWS::KMS::Key'))[0]!;
  calls = routedCalls(t);
  const fn = props(t, 'AWS::Lambda::Function').find((f) => f.FunctionName === 'ssm-sentinel-session-events')!;
  const own = resolveKey((fn.Environment as Json).Variables[Env.OwnKeys]);
  // The handler parses the variable exactly so (shared/session/monitor.ts parseOwnKeys).
  ownKeys = parseOwnKeys(typeof own === 'string' ? own : undefined);
}, 60_000);

describe('routing ⇔ classification of monitor tampering (synthesized default stack)', () => {
  it('routes the calls issue 9 found dropped or unrouted, and tells session-events its key', () => {
    const routed = new Set(calls.map((c) => `${c.eventSource.split('.')[0]}:${baseEventName(c.eventName)}`));
    for (const call of ISSUE_9_CALLS) expect(routed, call).toContain(call);
    expect(ownKeys).toEqual([KEY_ARN]);
  });

  it('every routed call on one of our resources gives a CRITICAL monitor-tampering finding', async () => {
    const ctx = await makeContext();
    ctx.ownKeys = ownKeys;
    const missed: string[] = [];
    const found = new Set<string>();
    for (const call of calls) {
      const value = sampleOf(call.matcher);
      if (call.key !== undefined) expect(routes(call.matcher, value), label(call)).toBe(true);
      const result = await classifyRecord(record(call, requestOf(call, value)), ctx);
      expect(result.error, label(call)).toBeUndefined();
      const hit = tampering(result.findings);
      if (hit.length !== 1 || hit[0]!.severity !== 'CRITICAL') missed.push(label(call));
      else found.add(`${call.eventSource}:${call.eventName}:${call.key ?? ''}`);
    }
    expect(missed).toEqual([]);
    // Every (source, event name, resource key) the template routes was replayed and found.
    const triples = new Set(calls.map((c) => `${c.eventSource}:${c.eventName}:${c.key ?? ''}`));
    expect(found).toEqual(triples);
    expect(triples.size).toBeGreaterThanOrEqual(80);
  });

  it('every (source, event name) the catalogue classifies is routed, and nothing else is', () => {
    const routed = new Set(calls.map((c) => `${c.eventSource}|${c.eventName}`));
    const classified = new Set<string>();
    for (const [source, api] of Object.entries(MONITOR_APIS)) {
      for (const name of api.eventNames) classified.add(`${source}|${name}`);
      // Bare names classify too (baseEventName): each must have a routed CloudTrail spelling.
      for (const base of api.events) {
        expect(
          [...routed].some((r) => r.startsWith(`${source}|`) && baseEventName(r.split('|')[1]!) === base),
          `${source} ${base}`,
        ).toBe(true);
      }
    }
    expect(routed).toEqual(classified);
    for (const r of routed) {
      const [source, name] = r.split('|') as [string, string];
      expect(monitorApi(source)?.events.has(baseEventName(name)), r).toBe(true);
    }
  });

  it('the same calls on a resource that is not ours are neither routed nor found', async () => {
    const ctx = await makeContext();
    ctx.ownKeys = ownKeys;
    const scoped = calls.filter((c) => c.key !== undefined);
    expect(scoped.length).toBeGreaterThan(0);
    for (const call of scoped) {
      const value = notOurs(sampleOf(call.matcher));
      expect(routes(call.matcher, value), label(call)).toBe(false);
      const result = await classifyRecord(record(call, requestOf(call, value)), ctx);
      expect(result.error, label(call)).toBeUndefined();
      expect(tampering(result.findings), label(call)).toEqual([]);
    }
  });

  it('configuration changes made by CloudFormation give none; deletions through it still count', async () => {
    const ctx = await makeContext();
    ctx.ownKeys = ownKeys;
    let configChanges = 0;
    for (const call of calls) {
      const value = sampleOf(call.matcher);
      const result = await classifyRecord(record(call, requestOf(call, value), 'cloudformation'), ctx);
      const api = monitorApi(call.eventSource)!;
      if (api.configChangeSet.has(baseEventName(call.eventName))) {
        configChanges += 1;
        expect(tampering(result.findings), label(call)).toEqual([]);
      } else {
        expect(
          tampering(result.findings).map((f) => f.severity),
          label(call),
        ).toEqual(['CRITICAL']);
      }
    }
    expect(configChanges).toBeGreaterThan(0);
  });

  it('without the key refs (the CLI) a call naming the key by ARN is not found; by alias it is', async () => {
    const ctx = await makeContext();
    const kms = (eventName: string) => ({ rule: 'kms', eventSource: 'kms.amazonaws.com', eventName });
    const byArn = await classifyRecord(record(kms('DisableKey'), { keyId: KEY_ARN }), ctx);
    expect(tampering(byArn.findings)).toEqual([]);
    const byAlias = await classifyRecord(
      record(kms('DeleteAlias'), { aliasName: 'alias/ssm-sentinel' }),
      ctx,
    );
    expect(tampering(byAlias.findings).map((f) => f.severity)).toEqual(['CRITICAL']);
  });
});

describe('a stack that monitors an existing session log group', () => {
  it('routes calls on that group by name and tells session-events, which finds them', async () => {
    const custom = synth({ stack: { sessionLogGroupName: '/corp/ssm-sessions' } }).templates.get(
      'SsmSentinel',
    )!;
    const logCalls = routedCalls(custom).filter(
      (c) => c.eventSource === 'logs.amazonaws.com' && c.matcher === '/corp/ssm-sessions',
    );
    expect(logCalls.map((c) => c.eventName)).toContain('DeleteSubscriptionFilter');
    const fn = props(custom, 'AWS::Lambda::Function').find(
      (f) => f.FunctionName === 'ssm-sentinel-session-events',
    )!;
    const own = (fn.Environment as Json).Variables[Env.OwnLogGroups];
    const ctx = await makeContext();
    ctx.ownLogGroups = parseOwnKeys(typeof own === 'string' ? own : undefined);
    expect(ctx.ownLogGroups).toEqual(['/corp/ssm-sessions']);
    for (const call of logCalls) {
      const found = tampering(
        (await classifyRecord(record(call, requestOf(call, '/corp/ssm-sessions')), ctx)).findings,
      );
      expect(
        found.map((f) => f.severity),
        label(call),
      ).toEqual(['CRITICAL']);
      const other = tampering(
        (await classifyRecord(record(call, requestOf(call, '/corp/other')), ctx)).findings,
      );
      expect(other, label(call)).toEqual([]);
    }
    // Without the variable (the CLI), the group's name alone is not ours.
    const cli = await makeContext();
    const call = logCalls.find((c) => c.eventName === 'DeleteSubscriptionFilter')!;
    expect(
      tampering((await classifyRecord(record(call, requestOf(call, '/corp/ssm-sessions')), cli)).findings),
    ).toEqual([]);
  }, 60_000);
});
