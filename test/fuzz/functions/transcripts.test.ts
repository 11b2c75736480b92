import { gzipSync } from 'node:zlib';
import { ComprehendClient, DetectPiiEntitiesCommand } from '@aws-sdk/client-comprehend';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../../helpers/dynalite';
import { useLambdaEnv } from '../../helpers/lambda-env';
import { deliveries, deliveryTargets, type Json, subscriptionOf } from '../helpers/inputs';
import { clearTable, invoke, tableText, unsafeError } from '../helpers/lambda';
import { LeakReport } from '../helpers/leaks';
import { nested, randomDeliveryMessage } from '../helpers/malformed';
import { MODES, PLANTS } from '../helpers/plant';
import { IDENTITY_FIELD } from '../helpers/shown';
import { describeDoubling, doublingRatio, MAX_DOUBLING_RATIO } from '../helpers/timing';

/**
 * The transcripts function (CloudWatch Logs subscription), invoked as test/functions does, local PII
 * engine: a planted value in any field of a real delivery (outer fields, log events, the streaming
 * session events inside, their session text) never reaches its log lines, thrown error, bus events or
 * table items (identifiers by contract, and the documented raw carry-over tail, are the debated
 * cases); malformed deliveries throw a safe error or are skipped, good events next to bad ones are
 * still scanned; a delivery of 10 long lines scales linearly with the line length.
 *
 * Cases (printed in the test names): 6 deliveries × every field × 1 plant = 133; 14 named bad
 * deliveries; 30 random ones (fast-check); 2 mixed deliveries; 1 linearity (2 sizes).
 */

const comprehend = mockClient(ComprehendClient);
const eb = mockClient(EventBridgeClient);
const db = useDynalite('fuzz-transcripts');
const output = useLambdaEnv('us-east-1', { BUS_NAME: 'ssm-sentinel-findings', SENTINEL_CONFIG: '' });

let table = '';
let run: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  table = await db.freshTable('fuzz-transcripts');
  vi.stubEnv('PII_MODE', 'local');
  vi.resetModules();
  const { handler } = await import('#functions/transcripts/handler');
  run = (event) => handler(event, localContext('transcripts'));
});

beforeEach(() => {
  comprehend.reset();
  eb.reset();
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  comprehend.on(DetectPiiEntitiesCommand).resolves({ Entities: [] });
});

const published = (): Finding[] =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.Detail ?? '{}') as Finding);
const busText = () => JSON.stringify(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input));

const attacker = deliveries('attacker');
const DELIVERIES = [
  ...attacker.filter((_, i) => i % 6 === 2),
  ...deliveries('secrets').filter((_, i) => i % 4 === 1),
  ...deliveries('pii-leak').slice(0, 1),
];
const targetCount = DELIVERIES.reduce((n, d) => n + deliveryTargets(d).length, 0);
/** The delivery with the shadow read: a finding by itself. */
const GOOD = attacker.find((d) => JSON.stringify(d).includes('shadow'))!;

const shownAsIs = (field: string, channel: string) =>
  // The carry-over keeps the last lines raw by design (gzip, 2-day TTL): reported, not asserted.
  channel === 'dynamo carry-over (gzip)' ||
  ((channel === 'bus' || channel === 'dynamo' || channel === 'logs') && IDENTITY_FIELD(field));

describe('transcripts handler: no planted value in logs, errors, bus events or state', () => {
  it(`${DELIVERIES.length} deliveries: every field, one plant rotating (${targetCount} cases)`, async () => {
    const report = new LeakReport('lambda-transcripts', shownAsIs, 'bus');
    const problems: string[] = [];
    let n = 0;
    for (const [d, message] of DELIVERIES.entries()) {
      for (const target of deliveryTargets(message)) {
        const plant = PLANTS[n % PLANTS.length]!;
        const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
        n++;
        output.reset();
        eb.resetHistory();
        const i = await invoke(() => run(subscriptionOf(target.plant(plant.text, mode))));
        const state = await tableText(db.client, table);
        for (const p of unsafeError(i))
          problems.push(`delivery ${d + 1} ${target.field} ${plant.kind}/${mode}: ${p}`);
        report.check(
          `delivery ${d + 1} (${message.logStream})`,
          target.field,
          plant,
          mode,
          {
            logs: output.text(),
            thrown: i.error,
            bus: busText(),
            dynamo: state.items,
            'dynamo carry-over (gzip)': state.gz,
          },
          JSON.stringify(message),
        );
        await clearTable(db.client, table);
      }
    }
    report.writeDebated();
    expect(
      report.outputShare,
      'share of cases with output (the verdict is about real output)',
    ).toBeGreaterThan(0.5);
    expect(problems).toEqual([]);
    expect(LeakReport.lines(report.strict)).toEqual([]);
  }, 60_000);
});

describe('transcripts handler: malformed deliveries', () => {
  const BAD: Record<string, unknown> = {
    null: null,
    'a string': 'awslogs',
    'an empty object': {},
    'awslogs null': { awslogs: null },
    'data not base64': { awslogs: { data: `%%${PLANTS[0]!.text}%%` } },
    'base64 of plain text': { awslogs: { data: Buffer.from(PLANTS[6]!.text).toString('base64') } },
    'gzip of non-JSON': { awslogs: { data: gzipSync(`not json ${PLANTS[5]!.text}`).toString('base64') } },
    'gzip of deep nesting': { awslogs: { data: gzipSync(nested(5000)).toString('base64') } },
    'truncated gzip': {
      awslogs: { data: gzipSync(JSON.stringify(GOOD)).subarray(0, 30).toString('base64') },
    },
    'messageType a number': subscriptionOf({ ...GOOD, messageType: 7 }),
    'logEvents null': subscriptionOf({ ...GOOD, logEvents: null }),
    'logEvents of junk': subscriptionOf({ ...GOOD, logEvents: [1, null, 'x', [], { message: 5 }] }),
    'logStream an object': subscriptionOf({ ...GOOD, logStream: { a: PLANTS[8]!.text } }),
    'a planted value as the message type': subscriptionOf({ ...GOOD, messageType: PLANTS[3]!.text }),
  };

  it(`${Object.keys(BAD).length} bad deliveries: a safe error or nothing, no planted value, the good one still scanned after`, async () => {
    const problems: string[] = [];
    for (const [name, payload] of Object.entries(BAD)) {
      output.reset();
      const i = await invoke(() => run(payload));
      for (const p of unsafeError(i)) problems.push(`${name}: ${p}`);
      const text = output.text() + i.error;
      for (const plant of PLANTS) {
        if (plant.needles.some((x) => text.includes(x)))
          problems.push(`${name}: ${plant.kind} in the log or error`);
      }
    }
    eb.resetHistory();
    await clearTable(db.client, table);
    const good = await invoke(() => run(subscriptionOf(GOOD)));
    expect(good.threw).toBe(false);
    expect(published().length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 60_000);

  it('good log events next to junk ones in the same delivery are still scanned', async () => {
    await clearTable(db.client, table);
    eb.resetHistory();
    await invoke(() => run(subscriptionOf(GOOD)));
    const expected = [...new Set(published().map((f) => f.ruleId))].sort();
    expect(expected.length).toBeGreaterThan(0);
    const events = GOOD.logEvents as Json[];
    for (const junk of [
      [{ id: '1', timestamp: 1, message: nested(5000) }, 7, null],
      [
        { id: '2', message: JSON.stringify({ sessionData: 5, sessionId: { x: 1 } }) },
        { id: '3', message: 'x'.repeat(20_000) },
      ],
    ]) {
      await clearTable(db.client, table);
      eb.resetHistory();
      const i = await invoke(() => run(subscriptionOf({ ...GOOD, logEvents: [...junk, ...events] })));
      expect(unsafeError(i)).toEqual([]);
      const got = new Set(published().map((f) => f.ruleId));
      expect(expected.filter((r) => !got.has(r))).toEqual([]);
    }
  }, 60_000);

  it('30 random delivery messages (fast-check): no crash, a safe error at most', async () => {
    await fc.assert(
      fc.asyncProperty(randomDeliveryMessage, async (m) => {
        const i = await invoke(() => run(subscriptionOf(m)));
        expect(unsafeError(i)).toEqual([]);
      }),
      { numRuns: 30, seed: 8_301 },
    );
  }, 60_000);
});

describe('transcripts handler: time linear in the line length', () => {
  it('a delivery of 10 long lines (8 KiB vs 16 KiB each, bare `$ ` prompt + word characters)', async () => {
    const base = (GOOD.logEvents as Json[])[0]!;
    const inner = JSON.parse(String(base.message)) as Json;
    const payloads = new Map<number, unknown>();
    const payload = (size: number) => {
      let p = payloads.get(size);
      if (!p) {
        const logEvents = Array.from({ length: 10 }, (_, i) => ({
          ...base,
          id: `${i}`,
          message: JSON.stringify({ ...inner, sessionData: [`$ ${'w'.repeat(size)}`] }),
        }));
        p = subscriptionOf({ ...GOOD, logEvents });
        payloads.set(size, p);
      }
      return p;
    };
    const d = await doublingRatio(
      async (size) => {
        await clearTable(db.client, table);
        await run(payload(size));
      },
      8 * 1024,
      1_000,
    );
    expect(d.ratio, describeDoubling('10 long lines', 8 * 1024, d)).toBeLessThanOrEqual(MAX_DOUBLING_RATIO);
  }, 60_000);
});
