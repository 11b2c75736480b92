import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { replay } from '#cli/replay';
import { parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';

/**
 * The stateful rules (fan-out, first seen) learn from the order of events. The same stream of
 * CloudTrail records, replayed offline from an archive whose files are out of event order, and
 * delivered one by one to the session-events Lambda (state in DynamoDB on dynalite), gives the same
 * findings: both classify in event-time order on the same core.
 */
const eb = mockClient(EventBridgeClient);
const ec2 = mockClient(EC2Client);
mockClient(SSMClient);
const db = useDynalite('parity-e2e');
useLambdaEnv('eu-west-1', { BUS_NAME: 'ssm-sentinel-findings', SENTINEL_CONFIG: '' });

const CONFIG = { firstSeen: { days: 1 }, fanOut: { targets: 3, windowMinutes: 10 } };
const ACCOUNT = '111122223333';
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

let n = 0;
const eventId = () => `7c1e2f3a-4b5c-4d6e-8f70-${String(++n).padStart(12, '0')}`;

function identity(who: { role?: string; user?: string }) {
  if (who.user)
    return {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE1234567890',
      arn: `arn:aws:iam::${ACCOUNT}:user/${who.user}`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      userName: who.user,
      sessionContext: { attributes: { creationDate: iso(T0), mfaAuthenticated: 'true' } },
    };
  const role = who.role ?? 'Ops';
  return {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLE:${role}-session-${n}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${role}-session-${n}`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLEKEY000002',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLE',
        arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
        accountId: ACCOUNT,
        userName: role,
      },
      attributes: { creationDate: iso(T0), mfaAuthenticated: 'true' },
    },
  };
}

function base(atMs: number, who: { role?: string; user?: string }, eventName: string) {
  return {
    eventVersion: '1.08',
    userIdentity: identity(who),
    eventTime: iso(atMs),
    eventSource: 'ssm.amazonaws.com',
    eventName,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64',
    requestID: eventId(),
    eventID: eventId(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
  };
}

function start(atMs: number, who: { role?: string; user?: string }, target: string) {
  const sessionId = `${who.user ?? who.role}-${String(++n).padStart(17, '0')}`;
  return {
    ...base(atMs, who, 'StartSession'),
    requestParameters: { target },
    responseElements: { sessionId, tokenValue: 'Value hidden due to security reasons.' },
  };
}

function sendCommand(atMs: number, who: { role?: string; user?: string }, instanceIds: string[]) {
  return {
    ...base(atMs, who, 'SendCommand'),
    requestParameters: {
      instanceIds,
      documentName: 'AWS-RunShellScript',
      parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS',
    },
    responseElements: {
      command: { commandId: '0b5c4a2e-1f3d-4c5b-9a8e-7d6c5b4a3f2e', documentName: 'AWS-RunShellScript' },
    },
  };
}

const I = (k: number) => `i-0${String(k).padStart(16, 'a')}`;

/** Two days of calls: a baseline day, then a principal back after a day, a new one fanning out. */
function stream(): Record<string, unknown>[] {
  return [
    start(T0, { role: 'Ops' }, I(1)),
    start(T0 + 60_000, { user: 'dana' }, I(2)),
    start(T0 + 2 * 3_600_000, { role: 'Ops' }, I(1)),
    // Day 2: the baseline day is observed; dana comes back after more than a day, Ops within it.
    start(T0 + DAY + 30 * 60_000, { user: 'dana' }, I(2)),
    start(T0 + DAY + 60 * 60_000, { role: 'Ops' }, I(3)),
    // A principal never seen, on three instances within four minutes (two by one command).
    sendCommand(T0 + DAY + 2 * 3_600_000, { role: 'Contractor' }, [I(4), I(5)]),
    start(T0 + DAY + 2 * 3_600_000 + 4 * 60_000, { role: 'Contractor' }, I(6)),
    start(T0 + DAY + 2 * 3_600_000 + 5 * 60_000, { role: 'Contractor' }, I(7)),
  ];
}

function summary(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.id} ${f.ruleId} ${f.severity}`).sort();
}

beforeEach(() => {
  for (const m of [eb, ec2]) m.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
});

describe('replay and the Lambda learn the same state from the same stream', () => {
  it('fan-out and first seen, in event-time order, give the same findings', async () => {
    const records = stream();
    // The archive out of event order: dana's return (day 2) leads the first file, before the baseline
    // day it must be compared with; the fan-out's calls are reversed. Unordered, dana's return would
    // start the baseline and be missed.
    const dir = mkdtempSync(join(tmpdir(), 'parity-'));
    const r = records;
    const files = [[r[3], r[0], r[1], r[2]], [r[4]], r.slice(5).reverse()];
    files.forEach((Records, i) => {
      writeFileSync(join(dir, `trail-${i}.json`), JSON.stringify({ Records }));
    });
    let out = '';
    const replayed = await replay(
      {
        paths: [dir],
        json: true,
        config: parseConfig(CONFIG),
        targetTags: {},
        pii: 'off',
        stats: false,
      },
      {
        out: async (s) => {
          out += s;
        },
        err: () => undefined,
        progress: false,
      },
    );
    expect(replayed.errors).toEqual([]);
    const offline = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Finding);

    await db.freshTable('parity');
    vi.stubEnv('SENTINEL_CONFIG', JSON.stringify(CONFIG));
    vi.resetModules();
    const { handler } = await import('#functions/session-events/handler');
    for (const detail of records) {
      await handler(
        {
          version: '0',
          id: String(detail.eventID),
          'detail-type': 'AWS API Call via CloudTrail',
          source: 'aws.ssm',
          account: ACCOUNT,
          time: String(detail.eventTime),
          region: 'eu-west-1',
          resources: [],
          detail,
        },
        localContext('session-events'),
      );
    }
    const published = eb
      .commandCalls(PutEventsCommand)
      .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}') as Finding));

    const rules = offline.map((f) => f.ruleId);
    // What the stream must teach: dana back after a day, Contractor new, and its fan-out once.
    expect(rules.filter((r) => r === 'principal-first-seen')).toHaveLength(2);
    expect(rules.filter((r) => r === 'principal-fan-out')).toHaveLength(1);
    // Nothing on the baseline day: learning.
    const firstSeen = offline.filter((f) => f.ruleId === 'principal-first-seen');
    for (const f of firstSeen) expect(Date.parse(f.time)).toBeGreaterThanOrEqual(T0 + DAY);
    expect(summary(published)).toEqual(summary(offline));
  });
});
