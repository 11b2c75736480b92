import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { incidentOf } from '#shared/alerts/incident';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import { DigestSchema } from '#shared/model/digest';
import { atLeast, type Finding, FindingSchema } from '#shared/model/finding';
import { demoFindings } from '#tools/alerts-sample';
import { localContext } from '#tools/local-context';
import { makeFinding } from '../format/findings';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';

/**
 * One incident per session, end to end with a fake clock: findings as EventBridge delivers them through
 * the notifier handler (idempotency and incidents on DynamoDB = dynalite), the alert-digest handler run
 * as its one-minute schedule would, and every alert through the SNS adapter to a mocked SNS.
 */
const sns = mockClient(SNSClient);
const db = useDynalite('alerts-e2e');
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:ssm-sentinel-alerts';
useLambdaEnv('eu-west-1', { TOPIC_ARN: TOPIC, SENTINEL_CONFIG: '' });

const MIN = 60_000;
const SCHEDULED = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
type Run = (event: unknown) => Promise<void>;

/** Both functions on one fresh table, as one stack's functions share it. */
async function loadStack(): Promise<{ notify: (f: Finding) => Promise<void>; sweep: () => Promise<void> }> {
  await db.freshTable('alerts');
  vi.resetModules();
  const notifier = await import('#functions/notifier/handler');
  const digest = await import('#functions/alert-digest/handler');
  const run: Run = (e) =>
    notifier.handler(e as Parameters<typeof notifier.handler>[0], localContext('notifier'));
  return {
    notify: (f) =>
      run({
        version: '0',
        id: `evt-${f.id}`,
        'detail-type': FINDING_DETAIL_TYPE,
        source: FINDING_SOURCE,
        account: '111122223333',
        time: f.time,
        region: 'eu-west-1',
        resources: [],
        detail: f,
      }),
    sweep: () => digest.handler(SCHEDULED, localContext('alert-digest')),
  };
}

interface Sent {
  alert: string;
  severity: string;
  finding?: Finding;
  digest?: ReturnType<typeof DigestSchema.parse>;
}

/** Alerts published since the last call, parsed from the SNS message as a subscriber would. */
function drain(): Sent[] {
  const out = sns.commandCalls(PublishCommand).map((c) => {
    const input = c.args[0].input;
    const json = JSON.parse(JSON.parse(input.Message ?? '{}').lambda);
    const alert = input.MessageAttributes?.alert?.StringValue ?? '';
    const severity = input.MessageAttributes?.severity?.StringValue ?? '';
    return alert === 'digest'
      ? { alert, severity, digest: DigestSchema.parse(json) }
      : { alert, severity, finding: FindingSchema.parse(json) };
  });
  sns.resetHistory();
  return out;
}

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('alerts on dynalite with a fake clock', () => {
  it('one attacker session: its opening alert, its escalation, then one digest per window', async () => {
    const T = Date.parse('2026-03-01T22:00:00Z');
    const stack = await loadStack();
    const session = { sessionId: 'mallory-0a1b2c3d4e5f60718', time: new Date(T).toISOString() };
    const at = async (ms: number, f?: Partial<Finding>) => {
      vi.setSystemTime(ms);
      if (f) await stack.notify(makeFinding({ ...session, time: new Date(ms).toISOString(), ...f }));
      await stack.sweep();
      return drain();
    };
    expect(
      (await at(T, { id: 'f-start', ruleId: 'session-production-target', severity: 'MEDIUM' })).map(
        (s) => s.alert,
      ),
    ).toEqual(['opened']);
    expect(await at(T + MIN, { id: 'f-key', ruleId: 'secret-aws-access-key', severity: 'HIGH' })).toEqual([]);
    // Delivered twice (an EventBridge retry): counted once.
    expect(await at(T + 90_000, { id: 'f-key', ruleId: 'secret-aws-access-key', severity: 'HIGH' })).toEqual(
      [],
    );
    const shell = await at(T + 3 * MIN, { id: 'f-shell', ruleId: 'cmd-reverse-shell', severity: 'CRITICAL' });
    expect(shell.map((s) => [s.alert, s.finding?.id])).toEqual([['escalated', 'f-shell']]);
    expect(
      await at(T + 4 * MIN, { id: 'f-imds', ruleId: 'cmd-imds-credential-access', severity: 'CRITICAL' }),
    ).toEqual([]);
    expect(await at(T + 14 * MIN)).toEqual([]);
    const [digest, ...more] = await at(T + 15 * MIN + 1);
    expect(more).toEqual([]);
    expect(digest?.alert).toBe('digest');
    expect(digest?.severity).toBe('CRITICAL');
    expect(digest?.digest).toMatchObject({
      total: 4,
      alerted: 2,
      window: { number: 1 },
      incident: { sessionId: session.sessionId },
    });
    expect(digest?.digest?.rules.map((r) => [r.ruleId, r.count])).toEqual([
      ['cmd-imds-credential-access', 1],
      ['cmd-reverse-shell', 1],
      ['secret-aws-access-key', 1],
      ['session-production-target', 1],
    ]);
    expect(await at(T + 20 * MIN)).toEqual([]);
    // A later finding of the same session: no new immediate alert, a second digest when its window closes.
    expect(
      await at(T + 25 * MIN, { id: 'f-late', ruleId: 'cmd-history-tampering', severity: 'HIGH' }),
    ).toEqual([]);
    expect(await at(T + 39 * MIN)).toEqual([]);
    const second = await at(T + 40 * MIN + 1);
    expect(second.map((s) => [s.alert, s.digest?.window.number, s.digest?.total])).toEqual([
      ['digest', 2, 1],
    ]);
    expect(await at(T + 3 * 3_600_000)).toEqual([]);
  });

  it('the demo: at most 2 immediate alerts per session, at most one per principal and category without one', async () => {
    const findings = (await demoFindings()).sort(
      (a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id),
    );
    const alertable = findings.filter((f) => atLeast(f.severity, 'MEDIUM'));
    // Before (one alert per session and rule, findings without a session each on their own):
    const before = new Set(alertable.map((f) => `${f.sessionId ?? f.id}#${f.ruleId}`)).size;
    const stack = await loadStack();
    const sent: Sent[] = [];
    let clock = Date.parse(findings[0]!.time);
    for (const f of findings) {
      // The schedule's ticks between two findings, up to when every open window has closed.
      const next = Date.parse(f.time);
      for (let t = clock + MIN; t <= Math.min(next, clock + 16 * MIN); t += MIN) {
        vi.setSystemTime(t);
        await stack.sweep();
      }
      clock = Math.max(clock, Date.parse(f.time));
      vi.setSystemTime(clock);
      await stack.notify(f);
      sent.push(...drain());
    }
    vi.setSystemTime(clock + 30 * MIN);
    await stack.sweep();
    sent.push(...drain());

    const immediate = sent.filter((s) => s.alert !== 'digest');
    const perIncident = new Map<string, number>();
    for (const s of immediate) {
      const key = incidentOf(s.finding!)?.key ?? s.finding!.id;
      perIncident.set(key, (perIncident.get(key) ?? 0) + 1);
    }
    const sessions = [...perIncident].filter(([k]) => k.startsWith('session'));
    const principals = [...perIncident].filter(([k]) => k.startsWith('principal'));
    expect(Math.max(...sessions.map(([, n]) => n))).toBeLessThanOrEqual(2);
    expect(Math.max(...principals.map(([, n]) => n))).toBeLessThanOrEqual(1);
    // Every alertable finding is in an immediate alert or a digest; nothing is alerted twice.
    const digested = sent.reduce((n, s) => n + (s.digest ? s.digest.total - s.digest.alerted : 0), 0);
    expect(immediate.length + digested).toBe(alertable.length);
    expect(new Set(immediate.map((s) => s.finding!.id)).size).toBe(immediate.length);
    // The numbers for the notes: before, immediate after, digests after.
    expect({
      before,
      immediate: immediate.length,
      digests: sent.length - immediate.length,
    }).toMatchInlineSnapshot(`
      {
        "before": 75,
        "digests": 14,
        "immediate": 21,
      }
    `);
  });
});
