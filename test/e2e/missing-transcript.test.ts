import { readFileSync } from 'node:fs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoCarryOverStore, DynamoSessionStore, DynamoTranscriptWatch } from '#shared/aws/state';
import { parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { transcriptDetectors } from '#shared/pipeline/engine';
import { processChunk } from '#shared/pipeline/transcript';
import type { TranscriptCarry } from '#shared/transcript/types';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';

/**
 * The missing-transcript timer end to end on DynamoDB (dynalite) with a fake clock: StartSession
 * events through the session-events handler, a transcript delivery through the transcripts pipeline
 * (told the payload's account and the function's Region), then the transcript-sweep handler run as the
 * 5-minute schedule would run it. Only the bus and EC2 are mocked.
 */
const eb = mockClient(EventBridgeClient);
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const db = useDynalite('missing-transcript-e2e');
useLambdaEnv('eu-west-1', { BUS_NAME: 'ssm-sentinel-findings', SENTINEL_CONFIG: '' });

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const T = Date.parse('2026-03-01T22:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The sessions of the scenario. */
const SILENT = 'alice-0a1b2c3d4e5f60718'; // shell, no transcript: the one finding
const STREAMED = 'bob-0b1c2d3e4f5a60718'; // shell, transcript arrives
const TUNNEL = 'mallory-0a1b2c3d4e5f60718'; // port forward: no transcript by design
const OTHER_ACCOUNT = 'carol-0c1d2e3f4a5b60718'; // shell in an account that streams nothing
const OTHER_REGION = 'dave-0d1e2f3a4b5c60718'; // shell in a Region that streams nothing

type Event = { detail: Record<string, unknown> & { requestParameters: Record<string, unknown> } };
const START = readFileSync(new URL('../../tools/invoke-events/start-session.json', import.meta.url), 'utf8');

let n = 0;
/** A successful StartSession as EventBridge delivers it; a shell unless `portForward`. */
function startSession(
  sessionId: string,
  opts: { account?: string; region?: string; portForward?: boolean } = {},
): Event {
  const ev = JSON.parse(START) as Event;
  const d = ev.detail;
  d.eventID = `5b2e8f0c-7a6d-4e3b-8c9f-${String(++n).padStart(12, '0')}`;
  d.eventTime = iso(T);
  d.awsRegion = opts.region ?? REGION;
  d.recipientAccountId = opts.account ?? ACCOUNT;
  d.responseElements = { sessionId, tokenValue: 'Value hidden due to security reasons.' };
  if (!opts.portForward) d.requestParameters = { target: 'i-0e57975fb4405c6a9' };
  return ev;
}

type Run = (event: unknown) => Promise<void>;

/** Both handlers, fresh modules on one fresh table (as one stack's functions share it). */
async function loadStack(config = ''): Promise<{ sessionEvents: Run; sweep: Run; tableName: string }> {
  const tableName = await db.freshTable('e2e');
  vi.stubEnv('SENTINEL_CONFIG', config);
  vi.resetModules();
  const se = await import('#functions/session-events/handler');
  const sw = await import('#functions/transcript-sweep/handler');
  return {
    tableName,
    sessionEvents: (e) => se.handler(e, localContext('session-events')),
    sweep: (e) => sw.handler(e, localContext('transcript-sweep')),
  };
}

const SCHEDULED = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };

/** Findings published since the last call. */
function drain(): Finding[] {
  const out = eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}') as Finding));
  eb.resetHistory();
  return out;
}

/** One transcript delivery of `sessionId`, as the transcripts function processes it. */
async function deliverTranscript(tableName: string, sessionId: string, atMs: number): Promise<void> {
  const table = { client: db.client, tableName };
  await processChunk(
    {
      sessionId,
      origin: 'subscription',
      events: [{ time: iso(atMs), text: '[ssm-user@ip-10-0-1-23 ~]$ uptime', id: `ev-${atMs}` }],
      owner: { region: REGION },
    },
    {
      config: parseConfig({}),
      sessions: new DynamoSessionStore(table),
      carry: new DynamoCarryOverStore<TranscriptCarry>(table),
      pii: undefined,
      detectors: transcriptDetectors(),
      watch: new DynamoTranscriptWatch(table),
      // The subscription payload's owner (account) and the function's own Region.
      scope: { account: ACCOUNT, region: REGION },
    },
    async (findings) => {
      expect(findings).toEqual([]);
    },
  );
}

beforeEach(() => {
  for (const m of [eb, ec2, ssm]) m.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('missing-transcript timer on dynalite with a fake clock', () => {
  it('finds the silent shell session once, between 10 and 15 minutes after it started', async () => {
    const { sessionEvents, sweep, tableName } = await loadStack();
    for (const ev of [
      startSession(SILENT),
      startSession(STREAMED),
      startSession(TUNNEL, { portForward: true }),
      startSession(OTHER_ACCOUNT, { account: '444455556666' }),
      startSession(OTHER_REGION, { region: 'us-west-2' }),
    ])
      await sessionEvents(ev);
    const starts = drain();
    expect(new Set(starts.map((f) => f.sessionId))).toEqual(
      new Set([SILENT, STREAMED, TUNNEL, OTHER_ACCOUNT, OTHER_REGION]),
    );
    expect(starts.some((f) => f.category === 'missing-transcript')).toBe(false);
    // Every shell waits for its transcript 10 minutes after its start; the port forward does not.
    const watch = new DynamoTranscriptWatch({ client: db.client, tableName });
    expect((await watch.due(T, T + 20 * MIN)).sort()).toEqual(
      [SILENT, STREAMED, OTHER_ACCOUNT, OTHER_REGION].sort(),
    );
    expect(await watch.due(T, T + 10 * MIN)).toEqual([]);

    vi.setSystemTime(T + MIN);
    await deliverTranscript(tableName, STREAMED, T + MIN);

    vi.setSystemTime(T + 5 * MIN);
    await sweep(SCHEDULED);
    expect(drain()).toEqual([]);

    vi.setSystemTime(T + 11 * MIN);
    await sweep(SCHEDULED);
    const found = drain();
    expect(found.map((f) => [f.ruleId, f.category, f.severity, f.sessionId, f.account, f.region])).toEqual([
      ['session-missing-transcript', 'missing-transcript', 'MEDIUM', SILENT, ACCOUNT, REGION],
    ]);
    expect(found[0]!.reasons.join(' ')).toContain('no transcript 10 min');

    vi.setSystemTime(T + 16 * MIN);
    await sweep(SCHEDULED);
    expect(drain()).toEqual([]);

    // Much later, every expectation long past due: still nothing about the other sessions.
    vi.setSystemTime(T + 3 * 60 * MIN);
    await sweep(SCHEDULED);
    expect(drain()).toEqual([]);
  });

  it('a transcript arriving after the sweep window opened still keeps its session quiet', async () => {
    const { sessionEvents, sweep, tableName } = await loadStack();
    await sessionEvents(startSession(SILENT));
    await sessionEvents(startSession(STREAMED));
    drain();
    // Both sessions stream, late but before the sweep that judges them.
    vi.setSystemTime(T + 9 * MIN);
    await deliverTranscript(tableName, STREAMED, T + 9 * MIN);
    await deliverTranscript(tableName, SILENT, T + 9 * MIN);
    for (const at of [5, 11, 16]) {
      vi.setSystemTime(T + at * MIN);
      await sweep(SCHEDULED);
    }
    expect(drain()).toEqual([]);
  });

  it('an account and Region that stream no transcript at all stay quiet', async () => {
    const { sessionEvents, sweep } = await loadStack();
    await sessionEvents(startSession(SILENT));
    drain();
    for (const at of [5, 11, 16]) {
      vi.setSystemTime(T + at * MIN);
      await sweep(SCHEDULED);
    }
    expect(drain()).toEqual([]);
  });

  it('with the timer disabled, session-events keeps no expectation and the sweep judges nothing', async () => {
    const config = JSON.stringify({ missingTranscript: { enabled: false } });
    const { sessionEvents, sweep, tableName } = await loadStack(config);
    await sessionEvents(startSession(SILENT));
    await deliverTranscript(tableName, STREAMED, T + MIN);
    drain();
    const watch = new DynamoTranscriptWatch({ client: db.client, tableName });
    expect(await watch.due(T, T + 20 * MIN)).toEqual([]);
    vi.setSystemTime(T + 11 * MIN);
    await sweep(SCHEDULED);
    expect(drain()).toEqual([]);
  });
});
