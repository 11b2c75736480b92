import { readFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { incidentFinding, incidentOf } from '#shared/alerts/incident';
import { DIGEST_LEASE_MS } from '#shared/alerts/sweep';
import { DynamoIncidentStore } from '#shared/aws/state';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { MASKED, makeFinding, RAW } from '../format/findings';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';
import { crashTrace, expectSafeError, leaks, metricSum, PLANTED, thrownBy } from './hostile';

const sns = mockClient(SNSClient);
const db = useDynalite('alert-digest-test');
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ssm-sentinel-alerts';
const output = useLambdaEnv('eu-west-1', { TOPIC_ARN: TOPIC, SENTINEL_CONFIG: '' });
let tableName = '';

const SCHEDULED = JSON.parse(
  readFileSync(new URL('../../tools/invoke-events/scheduled-event.json', import.meta.url), 'utf8'),
) as unknown;
const T = Date.parse('2026-03-01T22:00:00Z');
const MIN = 60_000;

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function loadHandler() {
  tableName = await db.freshTable('digest');
  vi.resetModules();
  const { handler } = await import('#functions/alert-digest/handler');
  return async (atMs: number) => {
    vi.setSystemTime(atMs);
    return handler(SCHEDULED, localContext('alert-digest'));
  };
}

/** What the notifier leaves in the table for findings of one session. */
async function seed(findings: Finding[]): Promise<void> {
  const store = new DynamoIncidentStore({ client: db.client, tableName });
  for (const [i, f] of findings.entries()) {
    const inc = incidentOf(f);
    if (!inc) throw new Error('no incident');
    await store.record({ ...inc, finding: incidentFinding(f), nowMs: T + i * 1_000, windowMs: 15 * MIN });
  }
}

describe('alert-digest handler', () => {
  it('publishes one digest per closed window through SNS, once', async () => {
    const sweep = await loadHandler();
    await seed([
      makeFinding({ id: 'a', sessionId: 's-1' }),
      makeFinding({ id: 'b', sessionId: 's-1', ruleId: 'cmd-reverse-shell', severity: 'CRITICAL' }),
      makeFinding({ id: 'c', sessionId: 's-1', ruleId: 'cmd-history-tampering', severity: 'MEDIUM' }),
    ]);
    await sweep(T + 10 * MIN);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    await sweep(T + 16 * MIN);
    await sweep(T + 17 * MIN);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.MessageAttributes?.alert?.StringValue).toBe('digest');
    const digest = JSON.parse(JSON.parse(input.Message ?? '{}').lambda);
    // The first finding opened the incident, the CRITICAL one escalated it: the third is news.
    expect(digest).toMatchObject({ kind: 'digest', total: 3, alerted: 2, severity: 'CRITICAL' });
    expect(JSON.stringify(input)).toContain(MASKED.accessKey);
    for (const raw of Object.values(RAW)) expect(JSON.stringify(input)).not.toContain(raw);
    expect(metricSum(output.text(), 'AlertsPublished')).toBe(2); // by severity and by kind
    // Counts only in the log line: no session id, principal or excerpt.
    expect(output.text()).toContain('"message":"digest sweep done"');
    expect(output.text()).not.toContain('s-1');
    expect(output.text()).not.toContain(MASKED.accessKey);
  });

  it('reports a failed publish without quoting it and sends the digest on a later run', async () => {
    const sweep = await loadHandler();
    await seed([makeFinding({ id: 'a', sessionId: 's-2' }), makeFinding({ id: 'b', sessionId: 's-2' })]);
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error(`Throttled ${PLANTED.email}`), { name: 'ThrottlingException' }))
      .resolves({ MessageId: 'm-2' });
    const error = await thrownBy(() => sweep(T + 16 * MIN));
    expectSafeError(error);
    expect(metricSum(output.text(), 'Failed')).toBe(1);
    expect(leaks(output.text())).toEqual([]);
    expect(crashTrace(output.text())).toBeUndefined();
    await sweep(T + 17 * MIN); // leased still: nothing
    await sweep(T + 16 * MIN + DIGEST_LEASE_MS + 1);
    await sweep(T + 30 * MIN);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
  });
});
