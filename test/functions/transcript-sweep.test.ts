import { readFileSync } from 'node:fs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoSessionStore, DynamoTranscriptWatch } from '#shared/aws/state';
import type { Finding } from '#shared/model/finding';
import { invoke } from '#tools/invoke';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';
import { crashTrace, expectSafeError, metricSum, thrownBy } from './hostile';

const eb = mockClient(EventBridgeClient);
const db = useDynalite('transcript-sweep-test');
const output = useLambdaEnv('eu-west-1', { BUS_NAME: 'ssm-sentinel-findings', SENTINEL_CONFIG: '' });
let tableName = '';

const SCHEDULED = JSON.parse(
  readFileSync(new URL('../../tools/invoke-events/scheduled-event.json', import.meta.url), 'utf8'),
) as unknown;
const T = Date.parse('2026-03-01T22:00:00Z');
const MIN = 60_000;
/** A session id as Session Manager makes them: the caller's name (here an e-mail) and a suffix. */
const SILENT = 'jane.doe@example.org-0a1b2c3d4e5f60718';
const SCOPE = { account: '111122223333', region: 'eu-west-1' };

beforeEach(() => {
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  // Only Date is faked: the SDK and dynalite keep their real timers.
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A fresh handler module on an empty table (SENTINEL_CONFIG as given, defaults when empty). */
async function loadHandler(config = '') {
  tableName = await db.freshTable('sweep');
  vi.stubEnv('BUS_NAME', 'ssm-sentinel-findings');
  vi.stubEnv('SENTINEL_CONFIG', config);
  vi.resetModules();
  const { handler } = await import('#functions/transcript-sweep/handler');
  return async (atMs: number) => {
    vi.setSystemTime(atMs);
    return handler(SCHEDULED, localContext('transcript-sweep'));
  };
}

const store = () => ({ client: db.client, tableName });

/** What session-events and the transcripts function leave in the table for a silent shell session. */
async function seedSilentSession(): Promise<void> {
  await new DynamoSessionStore(store()).put({
    sessionId: SILENT,
    startTime: new Date(T).toISOString(),
    ...SCOPE,
    target: 'i-0e57975fb4405c6a9',
    sessionKind: 'shell',
    principal: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Ops/jane' },
  });
  const watch = new DynamoTranscriptWatch(store());
  await watch.expect(SILENT, T + 10 * MIN);
  // Another session of the account and Region streams: a transcript was expected.
  await watch.arrived('bob-0f0e0d0c0b0a09080', T + MIN, SCOPE);
}

const published = (): Finding[] =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}') as Finding));

describe('transcript-sweep handler', () => {
  it('on an empty table: publishes nothing, logs the counts and moves the cursor', async () => {
    const run = await loadHandler();
    await run(T);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(await new DynamoTranscriptWatch(store()).cursor()).toBe(T);
    const line = output
      .text()
      .split('\n')
      .find((l) => l.includes('transcript sweep done'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      judged: 0,
      findings: 0,
      to: '2026-03-01T22:00:00.000Z',
    });
  });

  it('publishes the silent session once it is due, counts it, and never logs its id', async () => {
    const run = await loadHandler();
    await seedSilentSession();
    await run(T + 5 * MIN);
    expect(published()).toEqual([]);
    await run(T + 11 * MIN);
    const findings = published();
    expect(findings.map((f) => [f.ruleId, f.category, f.severity, f.sessionId])).toEqual([
      ['session-missing-transcript', 'missing-transcript', 'MEDIUM', expect.any(String)],
    ]);
    expect(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      EventBusName: 'ssm-sentinel-findings',
      Source: 'ssm-sentinel',
      DetailType: 'SSM Sentinel Finding',
    });
    const text = output.text();
    expect(metricSum(text, 'Processed')).toBe(1);
    expect(metricSum(text, 'Findings')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/"judged":1,"findings":1/);
    // The session id starts with an e-mail: neither it nor the e-mail appears in any log line.
    expect(text).not.toContain('jane.doe@example.org');
    expect(text).not.toContain('0a1b2c3d4e5f60718');
    // Judged once: the next sweep finds nothing new.
    await run(T + 16 * MIN);
    expect(published()).toHaveLength(1);
  });

  it('returns at once when missingTranscript is disabled: no read, no write, nothing published', async () => {
    const run = await loadHandler(JSON.stringify({ missingTranscript: { enabled: false } }));
    await seedSilentSession();
    await run(T + 11 * MIN);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    // The hours judged before the failing one keep their progress; the cursor stops before the
    // silent session's due time (T + 10 min), so the retry judges it.
    const cursor = await new DynamoTranscriptWatch(store()).cursor();
    expect(cursor ?? Number.NEGATIVE_INFINITY).toBeLessThanOrEqual(T + 10 * MIN);
    expect(output.text()).not.toContain('transcript sweep done');
  });

  it('a failed publish is reported and thrown, the cursor stays before it, and the retry publishes it', async () => {
    const run = await loadHandler();
    await seedSilentSession();
    eb.on(PutEventsCommand).rejects(
      Object.assign(new Error(`bus down for ${SILENT}`), { name: 'InternalFailure' }),
    );
    const error = await thrownBy(() => run(T + 11 * MIN));
    expectSafeError(error);
    expect(metricSum(output.text(), 'Failed')).toBe(1);
    expect(crashTrace(output.text())).toBeUndefined();
    expect(output.text()).not.toContain('jane.doe@example.org');
    // The hours judged before the failing one keep their progress; the cursor stops before the
    // silent session's due time (T + 10 min), so the retry judges it.
    const cursor = await new DynamoTranscriptWatch(store()).cursor();
    expect(cursor ?? Number.NEGATIVE_INFINITY).toBeLessThanOrEqual(T + 10 * MIN);
    eb.reset();
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    await run(T + 12 * MIN);
    expect(published().map((f) => f.ruleId)).toEqual(['session-missing-transcript']);
  });
});

describe('npm run invoke -- transcript-sweep', () => {
  it('runs on the sample scheduled event against the local table', async () => {
    vi.useRealTimers();
    vi.resetModules();
    const result = await invoke('transcript-sweep', SCHEDULED);
    expect(result.error).toBeUndefined();
    expect(result.calls.some((c) => c.service === 'DynamoDB')).toBe(true);
    expect(result.calls.some((c) => c.service === 'EventBridge')).toBe(false);
  });
});
