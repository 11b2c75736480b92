import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetDocumentCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../../helpers/dynalite';
import { useLambdaEnv } from '../../helpers/lambda-env';
import { envelope, invokeEvent, type Json, ruleCases } from '../helpers/inputs';
import { leafPaths, pathText, stringPaths, withAt } from '../helpers/json-paths';
import { clearTable, invoke, tableText, unsafeError } from '../helpers/lambda';
import { LeakReport } from '../helpers/leaks';
import { WRONG_VALUES } from '../helpers/malformed';
import { MODES, PLANTS } from '../helpers/plant';
import { IDENTITY_FIELD } from '../helpers/shown';

/**
 * The session-events function (CloudTrail via EventBridge), invoked as test/functions does: planted
 * values in every field of real events never reach its log lines, thrown error, bus events or table
 * (identifiers a finding carries by contract are the debated case); malformed events throw a safe
 * error for the dead-letter queue or are ignored, and the next good event is still classified.
 *
 * Cases (printed in the test names): the sample StartSession (with a reason) × every string field ×
 * 4 plants ≈ 170;
 * 6 rule-fixture events × every string field × 1 plant ≈ 230; a hostile value in every leaf ≈ 55;
 * 40 random events (fast-check).
 */

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const eb = mockClient(EventBridgeClient);
const db = useDynalite('fuzz-session-events');
const output = useLambdaEnv('eu-west-1', {
  BUS_NAME: 'ssm-sentinel-findings',
  SENTINEL_CONFIG: JSON.stringify({ trustedCidrs: ['10.0.0.0/8'], requireReasonOnProduction: true }),
});

let table = '';
let run: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  table = await db.freshTable('fuzz-session-events');
  vi.resetModules();
  const { handler } = await import('#functions/session-events/handler');
  run = (event) => handler(event, localContext('session-events'));
});

beforeEach(() => {
  for (const m of [ec2, ssm, eb]) m.reset();
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [
      { Instances: [{ InstanceId: 'i-0e57975fb4405c6a9', Tags: [{ Key: 'Environment', Value: 'prod' }] }] },
    ],
  });
  ssm
    .on(GetDocumentCommand)
    .resolves({ Content: JSON.stringify({ inputs: { cloudWatchStreamingEnabled: true } }) });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

/** The sample StartSession with a reason (the field the missing-reason rule reads and the state keeps). */
const START = withAt(
  invokeEvent('start-session'),
  ['detail', 'requestParameters', 'reason'],
  () => 'change OPS-1234',
);
const PER_PATH = 4;
const RULE_EVENTS = (() => {
  const wanted = [
    'session-port-forward-remote-host',
    'session-missing-reason',
    'session-access-denied',
    'monitor-cloudtrail-tampering',
    'session-preferences-changed',
    'session-long-term-key-no-mfa',
  ];
  const cases = ruleCases();
  return wanted.map((w) => {
    const c = cases.find((x) => x.name.startsWith(`${w}:`))!;
    return { name: c.name, event: envelope(c.record) };
  });
})();

const busText = () => JSON.stringify(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input));
const published = () => eb.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

/** One planted case: invoke, gather every channel, and leave a clean slate for the next case. */
async function plantCase(
  report: LeakReport,
  problems: string[],
  c: {
    shape: string;
    field: string;
    event: Json;
    original: Json;
    plant: (typeof PLANTS)[number];
    mode: string;
  },
) {
  const { shape, field, event, plant, mode } = c;
  output.reset();
  eb.resetHistory();
  const i = await invoke(() => run(event));
  const state = await tableText(db.client, table);
  for (const p of unsafeError(i)) problems.push(`${shape} ${field} ${plant.kind}/${mode}: ${p}`);
  report.check(
    shape,
    field,
    plant,
    mode,
    {
      logs: output.text(),
      thrown: i.error,
      bus: busText(),
      dynamo: state.items,
      'dynamo carry-over (gzip)': state.gz,
    },
    JSON.stringify(c.original),
  );
  await clearTable(db.client, table);
}

const shownAsIs = (field: string, channel: string) =>
  (channel === 'bus' || channel === 'dynamo') && IDENTITY_FIELD(field);

const startPaths = stringPaths(START);
const rulePathCount = RULE_EVENTS.reduce((n, e) => n + stringPaths(e.event).length, 0);

describe('session-events handler: no planted value in logs, errors, bus events or state', () => {
  it(`sample StartSession: every string field × ${PER_PATH} plants (${PER_PATH * startPaths.length} cases)`, async () => {
    const report = new LeakReport('lambda-session-events', shownAsIs, 'bus');
    const problems: string[] = [];
    let n = 0;
    for (const path of startPaths) {
      for (let k = 0; k < PER_PATH; k++, n++) {
        const plant = PLANTS[n % PLANTS.length]!;
        const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
        const event = withAt(START, path, (old) =>
          mode === 'replace' ? plant.text : `${String(old)} ${plant.text}`,
        );
        await plantCase(report, problems, {
          shape: 'start-session.json',
          field: pathText(path),
          event,
          original: START,
          plant,
          mode,
        });
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

  it(`${RULE_EVENTS.length} rule-fixture events: every string field, one plant rotating (${rulePathCount} cases)`, async () => {
    const report = new LeakReport('lambda-session-events-rules', shownAsIs, 'bus');
    const problems: string[] = [];
    let n = 0;
    for (const { name, event } of RULE_EVENTS) {
      for (const path of stringPaths(event)) {
        const plant = PLANTS[n % PLANTS.length]!;
        const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
        n++;
        const planted = withAt(event, path, (old) =>
          mode === 'replace' ? plant.text : `${String(old)} ${plant.text}`,
        );
        await plantCase(report, problems, {
          shape: name,
          field: pathText(path),
          event: planted,
          original: event,
          plant,
          mode,
        });
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

describe('session-events handler: malformed events', () => {
  /** The good event still gives its findings on the bus after whatever came before. */
  async function goodStillWorks(): Promise<boolean> {
    eb.resetHistory();
    const i = await invoke(() => run(START));
    return !i.threw && published().length > 0;
  }

  const leaves = leafPaths(START);

  it(`a hostile value in every leaf (${leaves.length} cases), the good event after each tenth`, async () => {
    const problems: string[] = [];
    for (const [n, path] of leaves.entries()) {
      const wrong = WRONG_VALUES[n % WRONG_VALUES.length]!;
      output.reset();
      const i = await invoke(() => run(withAt(START, path, () => wrong.value)));
      for (const p of unsafeError(i)) problems.push(`${pathText(path)} = ${wrong.name}: ${p}`);
      if (n % 10 === 9 && !(await goodStillWorks()))
        problems.push(`after ${pathText(path)}: the good event gave no findings`);
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('40 random events (fast-check): no crash, a safe error at most, the good event still classified', async () => {
    const detail = fc.dictionary(
      fc.constantFrom(
        'eventName',
        'eventSource',
        'eventTime',
        'userIdentity',
        'requestParameters',
        'responseElements',
        'errorCode',
        'sourceIPAddress',
      ),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const event = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({
        'detail-type': fc.constant('AWS API Call via CloudTrail'),
        source: fc.constant('aws.ssm'),
        detail,
      }),
      detail.map((d) => ({ ...START, detail: { ...(START.detail as Json), ...d } })),
    );
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const i = await invoke(() => run(e));
        expect(unsafeError(i)).toEqual([]);
      }),
      { numRuns: 40, seed: 8_201 },
    );
    expect(await goodStillWorks()).toBe(true);
  }, 60_000);

  it('null, a string, an array and an empty detail: a safe error or nothing, never a crash', async () => {
    const problems: string[] = [];
    for (const e of [
      null,
      undefined,
      'StartSession',
      42,
      [],
      {},
      { detail: null },
      { detail: [] },
      { detail: 'x' },
    ]) {
      const i = await invoke(() => run(e));
      for (const p of unsafeError(i)) problems.push(`${JSON.stringify(e)}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect(await goodStillWorks()).toBe(true);
  });
});
