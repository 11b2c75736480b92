import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ComprehendClient, DetectPiiEntitiesCommand } from '@aws-sdk/client-comprehend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoSessionStore } from '#shared/aws/state';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';
import { stratusRecords, subscriptionPayload, trailMessage } from '../transcript/cloudtrail-payload';
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

const comprehend = mockClient(ComprehendClient);
const eb = mockClient(EventBridgeClient);
const db = useDynalite('transcripts-test');
const output = useLambdaEnv('us-east-1', { BUS_NAME: 'ssm-sentinel-findings', SENTINEL_CONFIG: '' });

const FIXTURES = new URL('../fixtures/sessions/', import.meta.url);
const fixture = (scenario: string, file: string) =>
  readFileSync(new URL(`${scenario}/${file}`, FIXTURES), 'utf8');
const deliveries = (scenario: string): unknown[] => {
  const dir = new URL(`${scenario}/subscription/`, FIXTURES);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')));
};
/** Planted raw values of a scenario (ground truth): none may appear in any output. */
const plantedValues = (scenario: string): string[] =>
  (
    JSON.parse(fixture(scenario, 'labels.json')) as { labels: Array<{ value: string; subtype: string }> }
  ).labels
    .filter((l) => l.subtype !== 'TYPED_AND_ERASED' && l.value.length >= 6)
    .map((l) => l.value);

beforeEach(() => {
  comprehend.reset();
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  comprehend.on(DetectPiiEntitiesCommand).resolves({ Entities: [] });
});

/** A fresh handler on an empty table, holding the session's start record (as session-events stores it). */
async function loadHandler(piiMode: string, scenario?: string) {
  const tableName = await db.freshTable('transcripts');
  if (scenario) {
    const ev = JSON.parse(fixture(scenario, 'eventbridge.json'));
    await new DynamoSessionStore({ client: db.client, tableName }).put({
      sessionId: ev.detail.responseElements.sessionId,
      startTime: ev.detail.eventTime,
      target: ev.detail.requestParameters.target,
      principal: { arn: ev.detail.userIdentity.arn, type: ev.detail.userIdentity.type },
      sourceIp: ev.detail.sourceIPAddress,
      sessionKind: 'shell',
    });
  }
  vi.stubEnv('PII_MODE', piiMode);
  vi.resetModules();
  const { handler } = await import('#functions/transcripts/handler');
  return (event: unknown) => handler(event, localContext('transcripts'));
}

const publishedFindings = () =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.Detail ?? '{}') as Finding);
const busPayload = () => JSON.stringify(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input));

function subscription(message: unknown) {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') } };
}

describe('transcripts handler', () => {
  it('finds the planted secrets, enriched from the session record, and leaks none of them', async () => {
    const run = await loadHandler('local', 'secrets');
    for (const d of deliveries('secrets')) await run(d);
    const findings = publishedFindings();
    const kinds = new Set(
      findings.filter((f) => f.category === 'secret').flatMap((f) => f.evidence.map((e) => e.kind)),
    );
    for (const kind of ['AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'PRIVATE_KEY', 'GITHUB_TOKEN', 'JWT']) {
      expect(kinds).toContain(kind);
    }
    expect(findings.every((f) => f.sessionId === 'carol-cqv00hz2sqeiqjgbkh5vwoxmn7')).toBe(true);
    expect(findings[0]).toMatchObject({
      source: 'transcript',
      sourceIp: '198.51.100.228',
      principal: { arn: 'arn:aws:sts::111122223333:assumed-role/SSMOperatorRole/carol' },
    });
    expect(output.text()).toMatch(/"SecretKind":"AWS_ACCESS_KEY"[^\n]*"Secrets"/);
    const everything = output.text() + busPayload();
    for (const value of plantedValues('secrets')) expect(everything).not.toContain(value);
  });

  it('reports what a work cap cut: a scan-work-capped finding and a ScanWorkCapped metric by cap kind', async () => {
    const run = await loadHandler('local');
    const emails = Array.from({ length: 600 }, (_, i) => `user${i}@example.com`).join(' ');
    await run(
      subscription({
        messageType: 'DATA_MESSAGE',
        owner: '111122223333',
        logGroup: 'sessions',
        logStream: 'erin-0123456789abcdef0',
        subscriptionFilters: ['f'],
        logEvents: [
          {
            id: '1',
            timestamp: 1764000000000,
            message: JSON.stringify({
              sessionId: 'erin-0123456789abcdef0',
              sessionData: [`sh-5.2$ echo ${emails}`, emails],
            }),
          },
        ],
      }),
    );
    const capped = publishedFindings().find((f) => f.ruleId === 'scan-work-capped');
    expect(capped?.evidence.map((e) => e.kind)).toContain('LINE_VALUES_CAPPED');
    expect(output.text()).toMatch(/"CapKind":"LINE_VALUES_CAPPED"[^\n]*"ScanWorkCapped"/);
    expect(output.text() + busPayload()).not.toContain('user599@example.com');
  });

  it('finds personal data with the local engine and leaks none of it', async () => {
    const run = await loadHandler('local', 'pii-leak');
    for (const d of deliveries('pii-leak')) await run(d);
    const kinds = new Set(
      publishedFindings()
        .filter((f) => f.category === 'pii')
        .flatMap((f) => f.evidence.map((e) => e.kind)),
    );
    expect(kinds).toContain('CREDIT_DEBIT_NUMBER');
    expect(kinds).toContain('EMAIL');
    expect(output.text()).toMatch(/"EntityType":"EMAIL"[^\n]*"PiiEntities"/);
    expect(comprehend.commandCalls(DetectPiiEntitiesCommand)).toHaveLength(0);
    const everything = output.text() + busPayload();
    const leaked = plantedValues('pii-leak').filter((v) => everything.includes(v));
    expect(leaked).toEqual([]);
  });

  it('sends the text to Comprehend in comprehend mode and counts characters and units', async () => {
    comprehend.on(DetectPiiEntitiesCommand).callsFake((input: { Text: string }) => {
      const at = input.Text.indexOf('4111');
      return {
        Entities:
          at < 0 ? [] : [{ Type: 'CREDIT_DEBIT_NUMBER', Score: 0.99, BeginOffset: at, EndOffset: at + 19 }],
      };
    });
    const run = await loadHandler('comprehend', 'pii-leak');
    for (const d of deliveries('pii-leak')) await run(d);
    const calls = comprehend.commandCalls(DetectPiiEntitiesCommand).map((c) => c.args[0].input);
    expect(calls.length).toBeGreaterThan(0);
    for (const input of calls) {
      expect(Object.keys(input).sort()).toEqual(['LanguageCode', 'Text']);
      expect(input.LanguageCode).toBe('en');
      expect(Buffer.byteLength(input.Text ?? '')).toBeLessThan(100_000);
    }
    expect(output.text()).toContain('"ComprehendCharacters"');
    expect(output.text()).toContain('"ComprehendUnits"');
    const everything = output.text() + busPayload();
    expect(plantedValues('pii-leak').filter((v) => everything.includes(v))).toEqual([]);
  });

  it('sends nothing to any PII engine when PII_MODE is off', async () => {
    const run = await loadHandler('off', 'pii-leak');
    for (const d of deliveries('pii-leak')) await run(d);
    expect(comprehend.commandCalls(DetectPiiEntitiesCommand)).toHaveLength(0);
    expect(publishedFindings().filter((f) => f.category === 'pii')).toEqual([]);
  });

  it('publishes what it found, then fails the delivery for a retry when Comprehend stays unavailable', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    comprehend.on(DetectPiiEntitiesCommand).rejects(throttled);
    const run = await loadHandler('comprehend', 'secrets');
    const all = deliveries('secrets');
    let failed: unknown;
    for (const d of all) {
      try {
        await run(d);
      } catch (e) {
        failed = e;
        break;
      }
    }
    expect(String(failed)).toContain('delivery to be retried');
    const findings = publishedFindings();
    expect(findings.some((f) => f.category === 'scan-error')).toBe(true);
    expect(output.text()).toContain('"Failed"');
  }, 60_000);

  it('ignores a re-delivered payload (same log event ids)', async () => {
    const run = await loadHandler('local', 'secrets');
    const [first] = deliveries('secrets');
    await run(first);
    const before = eb.commandCalls(PutEventsCommand).length;
    await run(first);
    expect(eb.commandCalls(PutEventsCommand).length).toBe(before);
  });

  it('keeps no carry-over when publishing fails, so the retried delivery publishes its findings', async () => {
    const run = await loadHandler('local', 'secrets');
    const all = deliveries('secrets');
    eb.on(PutEventsCommand).rejects(new Error('bus unavailable'));
    const failures: unknown[] = [];
    for (const d of all) await run(d).catch((e: unknown) => failures.push(e));
    expect(failures.length).toBeGreaterThan(0);
    eb.reset();
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    for (const d of all) await run(d);
    const kinds = new Set(publishedFindings().flatMap((f) => f.evidence.map((e) => e.kind)));
    for (const kind of ['AWS_ACCESS_KEY', 'PRIVATE_KEY', 'GITHUB_TOKEN', 'JWT'])
      expect(kinds).toContain(kind);
  }, 60_000);

  it('sends a broken payload to the dead-letter path with a metric, not a crash loop', async () => {
    const run = await loadHandler('local');
    await expect(run({ awslogs: { data: 'bm90IGd6aXA=' } })).rejects.toThrow(
      /^unusable subscription payload: .*gzip/,
    );
    await expect(run({ hello: 'world' })).rejects.toThrow(/unusable subscription payload/);
    expect(output.text()).toContain('"Failed"');
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('skips CloudTrail records from a misrouted subscription: one warning, one metric, no scan, no retry', async () => {
    const run = await loadHandler('local');
    const records = stratusRecords();
    // Resolves: neither retried nor dead-lettered as malformed.
    await run(subscriptionPayload(trailMessage(records)));
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    const logs = output
      .text()
      .split('\n')
      .filter((l) => l.startsWith('{') && !l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const misrouted = logs.filter((l) => String(l.message).startsWith('misrouted delivery'));
    expect(misrouted).toHaveLength(1);
    expect(misrouted[0]).toMatchObject({ level: 'WARN', logEvents: records.length });
    expect(metricSum(output.text(), 'MisroutedDeliveries')).toBe(1);
    expect(metricSum(output.text(), 'Failed')).toBe(0);
    expect(metricSum(output.text(), 'Processed')).toBe(0);
    // Nothing of the records is logged: key id, user, account, addresses, instance.
    for (const value of [
      'AKIA4HNRH6OJUWNZ893Z',
      'christophe',
      '294599468799',
      '254.222.242.236',
      'me-northwest-3r',
    ])
      expect(output.text()).not.toContain(value);
  });

  it('processes nothing and fails nothing for a control message', async () => {
    const run = await loadHandler('local');
    await run(subscription({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logEvents: [] }));
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

/** The DATA_MESSAGE inside a subscription payload. */
type DataMessage = { logStream: string; logEvents: Array<Record<string, unknown>> } & Record<string, unknown>;
const decode = (payload: unknown): DataMessage =>
  JSON.parse(
    gunzipSync(Buffer.from((payload as { awslogs: { data: string } }).awslogs.data, 'base64')).toString(),
  );

/** All log events of a scenario's deliveries in one DATA_MESSAGE (one stream, one session). */
function oneMessage(scenario: string): DataMessage {
  const messages = deliveries(scenario).map(decode);
  const first = messages[0] as DataMessage;
  return { ...first, logEvents: messages.flatMap((m) => m.logEvents) };
}

describe('transcripts handler on hostile input', () => {
  const everything = (errors: unknown[]) =>
    [output.text(), busPayload(), ...errors.map((e) => `${(e as Error).name}: ${(e as Error).message}`)].join(
      '\n',
    );

  it('rejects every malformed shape with a safe one-line error, a log line and a Failed metric', async () => {
    const run = await loadHandler('local');
    const errors: unknown[] = [];
    for (const [name, event] of malformedShapes()) {
      const error = await thrownBy(() => run(event));
      expect(error, name).toBeDefined();
      expectSafeError(error);
      expect((error as Error).name, name).toBe('MalformedEvent');
      errors.push(error);
    }
    // And payloads that get further: not base64, not gzip, not JSON, JSON of the wrong shape.
    const gz = (text: string) => ({ awslogs: { data: gzipSync(Buffer.from(text)).toString('base64') } });
    for (const event of [
      { awslogs: { data: `!!${ALL_PLANTED}` } },
      { awslogs: { data: Buffer.from(ALL_PLANTED).toString('base64') } },
      gz(`{"messageType": "${PLANTED.awsKey}`),
      gz(JSON.stringify([ALL_PLANTED])),
      gz(JSON.stringify({ messageType: 'DATA_MESSAGE', logEvents: ALL_PLANTED })),
      gz('['.repeat(5000)),
    ]) {
      const error = await thrownBy(() => run(event));
      expectSafeError(error);
      errors.push(error);
    }
    expect(output.text().match(/"message":"unusable subscription payload"/g)).toHaveLength(errors.length);
    expect(metricSum(output.text(), 'Failed')).toBe(errors.length);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(leaks(everything(errors))).toEqual([]);
    expect(crashTrace(everything(errors))).toBeUndefined();
  });

  it('scans the good log events of a delivery with bad ones, reports the bad ones and fails for the DLQ', async () => {
    const run = await loadHandler('local', 'secrets');
    const message = oneMessage('secrets');
    const good = message.logEvents;
    const bad: unknown[] = [
      null,
      ALL_PLANTED,
      { id: '1', message: 42 },
      { id: '2', message: JSON.stringify({ sessionId: message.logStream, sessionData: ALL_PLANTED }) },
    ];
    const mixed = { ...message, logEvents: [good[0], ...bad, ...good.slice(1)] };
    const payload = subscription(mixed);

    const error = await thrownBy(() => run(payload));
    expectSafeError(error);
    expect(error).toMatchObject({ name: 'MalformedEvent' });
    expect((error as Error).message).toMatch(/^4 log event\(s\) of the delivery unusable/);
    const kinds = new Set(publishedFindings().flatMap((f) => f.evidence.map((e) => e.kind)));
    for (const kind of ['AWS_ACCESS_KEY', 'PRIVATE_KEY', 'GITHUB_TOKEN', 'JWT'])
      expect(kinds).toContain(kind);
    const skipped = output
      .text()
      .split('\n')
      .filter((l) => l.includes('"message":"session-log item skipped"'));
    expect(skipped.map((l) => JSON.parse(l).index)).toEqual([1, 2, 3, 4]);
    expect(metricSum(output.text(), 'Failed')).toBe(4);

    // The platform's retry: the good events are not scanned or published again; the bad ones fail again.
    const calls = eb.commandCalls(PutEventsCommand).length;
    expect(await thrownBy(() => run(payload))).toMatchObject({ name: 'MalformedEvent' });
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(calls);
    expect(leaks(everything([error]))).toEqual([]);
  });

  it('leaks no value planted in any string field of the delivery', async () => {
    const run = await loadHandler('local', 'secrets');
    const message = oneMessage('secrets');
    message.logEvents = message.logEvents.slice(0, 2);
    const paths = stringPaths(message);
    const plants = Object.values(PLANTED);
    const errors: unknown[] = [];
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const f of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED]) {
        const error = await thrownBy(() => run(subscription(withStringAt(message, path, f))));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        }
      }
    }
    expect(publishedFindings().length).toBeGreaterThan(0);
    expect(leaks(everything(errors))).toEqual([]);
    expect(crashTrace(everything(errors))).toBeUndefined();
  }, 30_000);
});
