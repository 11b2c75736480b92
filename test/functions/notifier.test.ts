import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, type PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { MASKED, makeFinding, RAW } from '../format/findings';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';
import {
  ALL_PLANTED,
  crashTrace,
  expectSafeError,
  leaks,
  malformedShapes,
  metricSum,
  PLANTED,
  stringPaths,
  thrownBy,
  withStringAt,
} from './hostile';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ssm-sentinel-alerts';
const TABLE = 'notifier-test';
const sns = mockClient(SNSClient);
const db = useDynalite(TABLE);
const output = useLambdaEnv('eu-west-1', {
  TABLE_NAME: TABLE,
  TOPIC_ARN: TOPIC,
  SENTINEL_CONFIG: JSON.stringify({ alerts: { minSeverity: 'MEDIUM' } }),
});
let run: (event: unknown) => Promise<void>;

beforeAll(async () => {
  vi.resetModules();
  const { handler } = await import('#functions/notifier/handler');
  // The raw event as EventBridge delivers it: the parser middleware turns it into the handler's input.
  run = (event) => handler(event as Parameters<typeof handler>[0], localContext('notifier'));
});

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

// A real rule, so the alert carries its playbook.
const RULE_ID = 'secret-aws-access-key';

function findingEvent(extra: Partial<Finding> = {}) {
  const detail = makeFinding({ ruleId: RULE_ID, ...extra });
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': FINDING_DETAIL_TYPE,
    source: FINDING_SOURCE,
    account: '123456789012',
    time: '2026-03-02T14:05:10Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

/** The n-th publish: its finding (or digest) JSON and its `alert` attribute. */
function published(n: number): {
  json: Record<string, unknown>;
  alert: string | undefined;
  input: PublishCommandInput;
} {
  const input = sns.commandCalls(PublishCommand)[n]!.args[0].input;
  const message = JSON.parse(input.Message ?? '{}');
  return { json: JSON.parse(message.lambda), alert: input.MessageAttributes?.alert?.StringValue, input };
}

describe('notifier handler', () => {
  it('publishes exactly once when the same event is delivered three times', async () => {
    const event = findingEvent({ id: 'f-three-times', sessionId: 'alice-0a1b2c3d4e5f67890' });
    for (let i = 0; i < 3; i++) await run(event);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(published(0)).toMatchObject({ json: event.detail, alert: 'opened', input: { TopicArn: TOPIC } });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]!.args[0].input.Message ?? '{}');
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sqs']);
    expect(message.email).toContain('What to do\n  1. ');
    expect(JSON.parse(message.lambda)).toEqual(event.detail);
    expect(output.text()).toContain('"AlertsPublished"');

    // One completed idempotency record for the finding, in the shared table under `pk`.
    const items = await db.client.send(new ScanCommand({ TableName: TABLE }));
    const idem = (items.Items ?? []).filter((i) => i.pk?.S?.startsWith('idem#notifier'));
    expect(idem).toHaveLength(1);
    expect(idem[0]?.status?.S).toBe('COMPLETED');
    expect(Number(idem[0]?.expiration?.N)).toBeGreaterThan(0);
  });

  it('alerts a session once, once more at CRITICAL, and holds the rest for the digest', async () => {
    const sessionId = 'bob-0000000000000000b';
    await run(findingEvent({ id: 'f-inc-1', sessionId }));
    await run(findingEvent({ id: 'f-inc-2', sessionId }));
    await run(findingEvent({ id: 'f-inc-3', sessionId, ruleId: 'secret-github-token' }));
    await run(findingEvent({ id: 'f-inc-4', sessionId, severity: 'CRITICAL' }));
    await run(findingEvent({ id: 'f-inc-5', sessionId, severity: 'CRITICAL' }));
    const sent = sns.commandCalls(PublishCommand).map((_, i) => published(i));
    expect(sent.map((m) => [m.json.id, m.alert])).toEqual([
      ['f-inc-1', 'opened'],
      ['f-inc-4', 'escalated'],
    ]);
    expect(sent[0]?.input.MessageAttributes?.digestAt?.StringValue).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(output.text()).toContain('"outcome":"held"');
    expect(metricSum(output.text(), 'AlertsHeld')).toBe(3);
  });

  it('does not alert below alerts.minSeverity', async () => {
    await run(findingEvent({ id: 'f-low', severity: 'LOW' }));
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(output.text()).toContain('"Processed"');
  });

  it('reports a malformed event (log, metric, rethrow for the dead-letter queue) without quoting it', async () => {
    const bad = findingEvent({ id: 'f-bad' }) as { detail: Record<string, unknown> };
    bad.detail.severity = 'SEVERE';
    bad.detail.evidence = [{ kind: 'PASSWORD', excerpt: 'Sup3rS3cretValue!' }];
    await expect(run(bad)).rejects.toThrow('malformed finding event: detail.severity:');
    await expect(run({ hello: 'world' })).rejects.toThrow(/malformed finding event/);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(output.text()).toContain('"message":"malformed finding event"');
    expect(output.text()).toContain(
      '"problem":"detail.severity: expected one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL',
    );
    expect(output.text()).toContain('"Failed"');
    expect(output.text()).not.toContain('Sup3rS3cretValue!');
  });

  it('does not lose the alert when the first publish fails: the retry publishes it', async () => {
    let calls = 0;
    sns.on(PublishCommand).callsFake(() => {
      if (++calls === 1) {
        throw Object.assign(new Error(`Throttled ${PLANTED.email}`), { name: 'ThrottlingException' });
      }
      return { MessageId: 'msg-2' };
    });
    const event = findingEvent({ id: 'f-retry', sessionId: 'carol-0c1d2e3f4a5b67890' });
    await expect(run(event)).rejects.toMatchObject({ name: 'ThrottlingException', message: /^Throttled / });
    expect(output.text()).toContain('"error":"ThrottlingException: Throttled ');
    expect(leaks(output.text())).toEqual([]);
    await run(event);
    await run(event);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(published(1)).toMatchObject({ json: event.detail, alert: 'opened' });
  });

  it('writes no raw or masked value, principal or target into logs and metrics', async () => {
    await run(findingEvent({ id: 'f-logs', sessionId: 'dave-0d1e2f3a4b5c67890' }));
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(output.text()).toContain('"outcome":"published"');
    for (const value of [
      ...Object.values(RAW),
      ...Object.values(MASKED),
      'assumed-role/Admin/alice',
      '203.0.113.7',
    ]) {
      expect(output.text()).not.toContain(value);
    }
  });
});

describe('notifier handler on hostile input', () => {
  const snsPayload = () => JSON.stringify(sns.commandCalls(PublishCommand).map((c) => c.args[0].input));

  it('rejects every malformed shape with a safe one-line error, a log line and a Failed metric', async () => {
    const errors: unknown[] = [];
    for (const [name, event] of malformedShapes()) {
      const error = await thrownBy(() => run(event));
      expect(error, name).toBeDefined();
      expectSafeError(error);
      expect((error as Error).name, name).toBe('MalformedEvent');
      errors.push(error);
    }
    expect(output.text().match(/"message":"malformed finding event"/g)).toHaveLength(errors.length);
    expect(metricSum(output.text(), 'Failed')).toBe(errors.length);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(leaks(output.text())).toEqual([]);
    expect(crashTrace(output.text())).toBeUndefined();
  });

  it('alerts on a finding with a value planted in any field without carrying the value on', async () => {
    const plants = Object.values(PLANTED);
    const base = findingEvent();
    const paths = stringPaths(base);
    const errors: unknown[] = [];
    let alerted = 0;
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const [m, f] of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED].entries()) {
        // A fresh finding id and session per variant: idempotency and aggregation would hold the alert back.
        const fresh = findingEvent({ id: `f-plant-${i}-${m}`, sessionId: `eve-${i}-${m}` });
        const before = sns.commandCalls(PublishCommand).length;
        const error = await thrownBy(() => run(withStringAt(fresh, path, f)));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        } else if (sns.commandCalls(PublishCommand).length > before) alerted++;
      }
    }
    expect(alerted).toBeGreaterThan(paths.length);
    const all = [output.text(), snsPayload(), ...errors.map(String)].join('\n');
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  });
});

describe('notifier handler and suppressions', () => {
  it('skips a finding marked suppressed: no alert, logged as such, its incident never counts it', async () => {
    const sessionId = 'alice-5a1b2c3d4e5f67890';
    const until = '2099-01-01T00:00:00.000Z';
    await run({
      ...findingEvent({
        id: 'f-suppressed',
        sessionId,
        severity: 'CRITICAL',
        suppressed: { by: 'slack', until },
      }),
      id: 'evt-suppressed',
    });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(output.text()).toMatch(/"outcome":"suppressed"[^\n]*"suppressedBy":"slack"/);
    // Had the suppressed finding opened the incident, this one would be held for the digest.
    await run({ ...findingEvent({ id: 'f-next', sessionId }), id: 'evt-next' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(published(0)).toMatchObject({ json: { id: 'f-next' }, alert: 'opened' });
  });
});
