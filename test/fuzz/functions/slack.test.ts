import { clearCaches } from '@aws-lambda-powertools/parameters';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '#tools/local-context';
import { useLambdaEnv } from '../../helpers/lambda-env';
import { useWebhookServer } from '../../helpers/webhook-server';
import { invokeEvent, type Json } from '../helpers/inputs';
import { type JsonPath, pathText, stringPaths, withAt } from '../helpers/json-paths';
import { invoke, unsafeError } from '../helpers/lambda';
import { LeakReport } from '../helpers/leaks';
import { ESCAPES, MODES, PLANTS, plantInto, unsafeCharAt } from '../helpers/plant';
import { IDENTITY_FIELD } from '../helpers/shown';

/**
 * The Slack function (SNS alert → Block Kit → incoming webhook, here a local server), invoked as
 * test/functions does: a planted value in any field of the SNS record or of the finding in its
 * message never reaches the log lines or a thrown error except as an identifier (the Slack message
 * carries the finding by contract: debated); no control character reaches Slack; a malformed event
 * leaves a trace (a log line or a safe error) and never crashes the function.
 *
 * Cases (printed in the test names): every string field of the record and of the finding × 3
 * plants ≈ 90; escape sequences in every finding field ≈ 15; 10 named malformed events; 30 random
 * records (fast-check).
 */

const secrets = mockClient(SecretsManagerClient);
const output = useLambdaEnv('eu-west-1', { SLACK_WEBHOOK_SECRET: 'ssm-sentinel/slack-webhook' });
const { bodies, url } = useWebhookServer();
let run: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  vi.resetModules();
  const { handler } = await import('#functions/slack/handler');
  run = (event) => handler(event as SNSEvent, localContext('slack'));
});

beforeEach(() => {
  secrets.reset();
  clearCaches();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: url('/services/T0/B0/XXsecretWebhookTokenXX') });
});

const EVENT = invokeEvent('sns-finding');
const SNS = ['Records', 0, 'Sns'] as const;
const FINDING = JSON.parse(String(((EVENT.Records as Json[])[0]!.Sns as Json).Message)) as Json;

/** The event with the finding in its message changed at `path` (`Message>…` fields). */
const withFinding = (path: JsonPath, change: (old: unknown) => unknown): Json =>
  withAt(EVENT, [...SNS, 'Message'], () => JSON.stringify(withAt(FINDING, path, change)));

const targets: { field: string; plant: (change: (old: unknown) => unknown) => Json }[] = [
  ...stringPaths(EVENT)
    .filter((p) => p[p.length - 1] !== 'Message')
    .map((p) => ({
      field: pathText(p),
      plant: (change: (old: unknown) => unknown) => withAt(EVENT, p, change),
    })),
  ...stringPaths(FINDING).map((p) => ({
    field: `Message>${pathText(p)}`,
    plant: (change: (old: unknown) => unknown) => withFinding(p, change),
  })),
];

const shownAsIs = (field: string, channel: string) => {
  if (channel === 'slack') return field.startsWith('Message>');
  if (channel !== 'logs') return false;
  return /^Records\[0\]\.Sns\.MessageId$|^Message>(id|ruleId)$/.test(field) || IDENTITY_FIELD(field);
};

const PER_PATH = 3;

/** Every string value of the Slack message bodies posted so far. */
function slackStrings(): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const b of bodies) walk(JSON.parse(b));
  return out;
}

describe('slack handler: no planted value outside the Slack message', () => {
  it(`every string field of the record and the finding × ${PER_PATH} plants (${PER_PATH * targets.length} cases)`, async () => {
    const report = new LeakReport('lambda-slack', shownAsIs, 'slack');
    const problems: string[] = [];
    let n = 0;
    for (const target of targets) {
      for (let k = 0; k < PER_PATH; k++, n++) {
        const plant = PLANTS[n % PLANTS.length]!;
        const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
        output.reset();
        bodies.length = 0;
        const i = await invoke(() => run(target.plant((old) => plantInto(String(old), plant.text, mode))));
        for (const p of unsafeError(i)) problems.push(`${target.field} ${plant.kind}/${mode}: ${p}`);
        report.check(
          'sns-finding.json',
          target.field,
          plant,
          mode,
          { logs: output.text(), thrown: i.error, slack: bodies.join('\n') },
          JSON.stringify(EVENT),
        );
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

  const findingPaths = stringPaths(FINDING);

  it(`escape sequences in each of ${findingPaths.length} finding fields never reach Slack`, async () => {
    const unsafe: string[] = [];
    for (const path of findingPaths) {
      bodies.length = 0;
      await invoke(() => run(withFinding(path, (old) => `${String(old)}${ESCAPES}`)));
      for (const s of slackStrings()) {
        const bad = unsafeCharAt(s);
        if (bad) unsafe.push(`${pathText(path)}: ${bad}`);
      }
    }
    expect(unsafe).toEqual([]);
  }, 60_000);
});

describe('slack handler: malformed events', () => {
  const BAD: Record<string, unknown> = {
    null: null,
    'an empty object': {},
    'Records null': { Records: null },
    'Records a string': { Records: PLANTS[0]!.text },
    'a null record': { Records: [null] },
    'a record without Sns': { Records: [{ EventSource: 'aws:sns' }] },
    'a message that is not JSON': withAt(EVENT, [...SNS, 'Message'], () => `not json ${PLANTS[5]!.text}`),
    'a message that is not a finding': withAt(EVENT, [...SNS, 'Message'], () =>
      JSON.stringify({ id: 5, x: PLANTS[6]!.text }),
    ),
    'a finding with a planted severity': withFinding(['severity'], () => PLANTS[3]!.text),
    'a message number': withAt(EVENT, [...SNS, 'Message'], () => 42),
  };

  it(`${Object.keys(BAD).length} malformed events: a log line or a safe error, never a crash, no planted value`, async () => {
    const problems: string[] = [];
    for (const [name, event] of Object.entries(BAD)) {
      output.reset();
      const i = await invoke(() => run(event));
      for (const p of unsafeError(i)) problems.push(`${name}: ${p}`);
      const logs = output.text();
      if (!i.threw && !/"level":"(ERROR|WARN)"/.test(logs))
        problems.push(`${name}: accepted without a log line`);
      for (const plant of PLANTS) {
        if (plant.needles.some((x) => (logs + i.error).includes(x)))
          problems.push(`${name}: ${plant.kind} in the log or error`);
      }
    }
    bodies.length = 0;
    await run(EVENT);
    expect(bodies).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('30 random records (fast-check): a safe error at most', async () => {
    const sns = fc.record(
      {
        Message: fc.oneof(
          fc.string(),
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        ),
        MessageId: fc.string(),
      },
      { requiredKeys: [] },
    );
    const event = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc
        .array(fc.record({ Sns: sns }, { requiredKeys: [] }), { maxLength: 3 })
        .map((Records) => ({ Records })),
      fc
        .dictionary(fc.constantFrom(...Object.keys(FINDING)), fc.jsonValue({ maxDepth: 2 }))
        .map((d) => withAt(EVENT, [...SNS, 'Message'], () => JSON.stringify({ ...FINDING, ...d }))),
    );
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        const i = await invoke(() => run(e));
        expect(unsafeError(i)).toEqual([]);
      }),
      { numRuns: 30, seed: 8_601 },
    );
  }, 60_000);
});
