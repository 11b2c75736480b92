import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Env } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import { classifyRecord } from '#shared/pipeline/record';
import { baseEventName, monitorApi, parseOwnKeys } from '#shared/session/monitor';
import { makeContext } from '../session/helpers';
import {
  envelope,
  type Json,
  KEY_ARN,
  label,
  matchesPattern,
  type RoutedCall,
  record,
  requestOf,
  resolveKeyIn,
  routedCalls,
  sampleOf,
  sessionEventsRules,
} from './routed';
import { props, removeSynthOutputs, synth } from './synth';

/**
 * Monitor tampering past routing (routing.test.ts proves, from the synthesized stack, that every
 * routed call on our resources gives a finding and that nothing classified is left unrouted): deploys
 * through CloudFormation, the CLI without the key refs, an existing session log group.
 */
afterAll(removeSynthOutputs);

let calls: RoutedCall[];
let ownKeys: string[];
let timers: string[];
let rules: ReturnType<typeof sessionEventsRules>;

/** The calls the stack's tampering rules route. */
function tamperingCalls(t: Template): RoutedCall[] {
  return routedCalls(sessionEventsRules(t).filter((r) => r.name.includes('-tampering-')));
}

function tampering(findings: Finding[]): Finding[] {
  return findings.filter((f) => f.category === 'monitor-tampering');
}

beforeAll(() => {
  const t = synth({}).templates.get('SsmSentinel')!;
  calls = tamperingCalls(t);
  rules = sessionEventsRules(t);
  timers = props(t, 'AWS::Events::Rule')
    .filter((r) => r.ScheduleExpression !== undefined)
    .map((r) => String(r.Name));
  const fn = props(t, 'AWS::Lambda::Function').find((f) => f.FunctionName === 'ssm-sentinel-session-events')!;
  const own = resolveKeyIn(t, (fn.Environment as Json).Variables[Env.OwnKeys]);
  // The handler parses the variable exactly so (shared/session/monitor.ts parseOwnKeys).
  ownKeys = parseOwnKeys(typeof own === 'string' ? own : undefined);
}, 60_000);

describe('monitor tampering (synthesized default stack)', () => {
  it('configuration changes made by CloudFormation give none; deletions through it still count', async () => {
    const ctx = await makeContext();
    ctx.ctx.ownKeys = ownKeys;
    let configChanges = 0;
    for (const call of calls) {
      const value = sampleOf(call.matcher);
      const result = await classifyRecord(
        record(call, requestOf(call, value), { by: 'cloudformation' }),
        ctx,
      );
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

describe('the timers (scheduled rules) of the stack', () => {
  it('are found when someone disables, deletes or empties them', async () => {
    // The sweeps that judge silent sessions and send the incident digests: stopping either silences alerts.
    expect(timers.sort()).toEqual(['ssm-sentinel-alert-digest', 'ssm-sentinel-transcript-sweep']);
    const ctx = await makeContext();
    const events = (eventName: string) => ({
      rule: 'events',
      eventSource: 'events.amazonaws.com',
      eventName,
    });
    for (const name of timers) {
      for (const [call, request] of [
        [events('DisableRule'), { name }],
        [events('DeleteRule'), { name, force: false }],
        [events('RemoveTargets'), { rule: name, ids: ['Target0'] }],
      ] as const) {
        const raw = record(call, request);
        const routedBy = rules.filter((r) => matchesPattern(r.pattern, envelope(raw))).map((r) => r.name);
        expect(routedBy, `${name} ${label(call)}`).toEqual(['ssm-sentinel-tampering-events']);
        const found = tampering((await classifyRecord(raw, ctx)).findings);
        expect(
          found.map((f) => f.severity),
          `${name} ${label(call)}`,
        ).toEqual(['CRITICAL']);
      }
    }
  });
});

describe('a stack that monitors an existing session log group', () => {
  it('routes calls on that group by name and tells session-events, which finds them', async () => {
    const custom = synth({ stack: { sessionLogGroupName: '/corp/ssm-sessions' } }).templates.get(
      'SsmSentinel',
    )!;
    const logCalls = tamperingCalls(custom).filter(
      (c) => c.eventSource === 'logs.amazonaws.com' && c.matcher === '/corp/ssm-sessions',
    );
    expect(logCalls.map((c) => c.eventName)).toContain('DeleteSubscriptionFilter');
    const fn = props(custom, 'AWS::Lambda::Function').find(
      (f) => f.FunctionName === 'ssm-sentinel-session-events',
    )!;
    const own = (fn.Environment as Json).Variables[Env.OwnLogGroups];
    const ctx = await makeContext();
    ctx.ctx.ownLogGroups = parseOwnKeys(typeof own === 'string' ? own : undefined);
    expect(ctx.ctx.ownLogGroups).toEqual(['/corp/ssm-sessions']);
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
