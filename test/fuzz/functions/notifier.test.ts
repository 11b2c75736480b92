import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '#tools/local-context';
import { useDynalite } from '../../helpers/dynalite';
import { useLambdaEnv } from '../../helpers/lambda-env';
import {
  findingEventLeaves,
  findingEventPaths,
  findingShownAsIs,
  randomFindingEvent,
  uniqueEvent,
} from '../helpers/finding-events';
import type { Json } from '../helpers/inputs';
import { pathText, withAt } from '../helpers/json-paths';
import { clearTable, invoke, tableText, unsafeError } from '../helpers/lambda';
import { LeakReport } from '../helpers/leaks';
import { WRONG_VALUES } from '../helpers/malformed';
import { ESCAPES, unsafeCharAt } from '../helpers/plant';
import { expectNoPlantedValue } from '../helpers/plant-fields';

/**
 * The notifier function (a finding from the bus → one SNS alert), invoked as test/functions does:
 * a planted value in any field of the event never reaches its log lines, thrown error or table items
 * except as an identifier (the alert itself carries the finding by contract: debated); a rejected
 * event echoes nothing; the alert text carries no control characters; random events never crash it.
 *
 * Cases (printed in the test names): every string field × 4 plants ≈ 100; escape sequences in every
 * field ≈ 25; a hostile value in every leaf ≈ 27; 40 random events (fast-check).
 */

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ssm-sentinel-alerts';
const TABLE = 'fuzz-notifier';
const sns = mockClient(SNSClient);
const db = useDynalite(TABLE);
const output = useLambdaEnv('eu-west-1', {
  TABLE_NAME: TABLE,
  TOPIC_ARN: TOPIC,
  SENTINEL_CONFIG: JSON.stringify({ alerts: { minSeverity: 'INFORMATIONAL' } }),
});
let run: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  vi.resetModules();
  const { handler } = await import('#functions/notifier/handler');
  run = (event) => handler(event as Parameters<typeof handler>[0], localContext('notifier'));
});

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

const snsInputs = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
const PER_PATH = 4;
const paths = findingEventPaths();

describe('notifier handler: no planted value outside the alert', () => {
  it(`every string field × ${PER_PATH} plants (${PER_PATH * paths.length} cases)`, async () => {
    await expectNoPlantedValue({
      report: new LeakReport('lambda-notifier', findingShownAsIs(['sns']), 'sns'),
      paths,
      perPath: PER_PATH,
      run,
      reset: () => {
        output.reset();
        sns.resetHistory();
      },
      channels: async (i) => {
        const rejected = i.threw ? ' (rejected event)' : '';
        const state = await tableText(db.client, TABLE);
        return {
          [`logs${rejected}`]: output.text(),
          thrown: i.error,
          sns: JSON.stringify(snsInputs()),
          [`dynamo${rejected}`]: state.items,
        };
      },
      after: () => clearTable(db.client, TABLE),
    });
  }, 60_000);

  it(`escape sequences in each of ${paths.length} fields never reach the alert's subject or text`, async () => {
    const unsafe: string[] = [];
    for (const [n, path] of paths.entries()) {
      sns.resetHistory();
      await invoke(() => run(withAt(uniqueEvent(1000 + n), path, (old) => `${String(old)}${ESCAPES}`)));
      for (const input of snsInputs()) {
        const message = JSON.parse(input.Message ?? '{}') as Record<string, string>;
        for (const [channel, text] of [
          ['subject', input.Subject ?? ''],
          ['email', message.email ?? ''],
          ['default', message.default ?? ''],
        ] as const) {
          const bad = unsafeCharAt(text);
          if (bad) unsafe.push(`${pathText(path)} → ${channel}: ${bad}`);
        }
      }
    }
    expect(unsafe).toEqual([]);
  }, 60_000);
});

describe('notifier handler: malformed events', () => {
  const leaves = findingEventLeaves();

  it(`a hostile value in every leaf (${leaves.length} cases): a safe error, the next good event still alerted`, async () => {
    const problems: string[] = [];
    for (const [n, path] of leaves.entries()) {
      const wrong = WRONG_VALUES[n % WRONG_VALUES.length]!;
      const i = await invoke(() => run(withAt(uniqueEvent(2000 + n), path, () => wrong.value)));
      for (const p of unsafeError(i)) problems.push(`${pathText(path)} = ${wrong.name}: ${p}`);
    }
    sns.resetHistory();
    await run(uniqueEvent(2999));
    expect(snsInputs()).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('40 random events (fast-check): a safe error at most', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(randomFindingEvent, async (e) => {
        // A fresh event id each time: idempotency must not answer from an earlier case.
        const event =
          typeof e === 'object' && e !== null && !Array.isArray(e) ? { ...(e as Json), id: `r-${n++}` } : e;
        const i = await invoke(() => run(event));
        expect(unsafeError(i)).toEqual([]);
      }),
      { numRuns: 40, seed: 8_401 },
    );
  }, 60_000);
});
