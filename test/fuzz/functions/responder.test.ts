import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeSessionsCommand, SSMClient, TerminateSessionCommand } from '@aws-sdk/client-ssm';
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
import { pathText, withAt } from '../helpers/json-paths';
import { clearTable, invoke, tableText, unsafeError } from '../helpers/lambda';
import { LeakReport } from '../helpers/leaks';
import { WRONG_VALUES } from '../helpers/malformed';
import { expectNoPlantedValue } from '../helpers/plant-fields';

/**
 * The responder function (a finding → guardrails → ssm:TerminateSession → result on the bus), with
 * auto-terminate on: a planted value in any field of the event never reaches its log lines, thrown
 * error or table items except as an identifier (the result finding carries the input's fields by
 * contract: debated); random and hostile events never crash it; the next good event still terminates.
 *
 * Cases (printed in the test names): every string field × 4 plants ≈ 100; a hostile value in every
 * leaf ≈ 27; 40 random events (fast-check).
 */

const ssm = mockClient(SSMClient);
const eb = mockClient(EventBridgeClient);
const db = useDynalite('fuzz-responder');
const output = useLambdaEnv('us-east-1', {
  BUS_NAME: 'ssm-sentinel-findings',
  SENTINEL_CONFIG: JSON.stringify({
    autoTerminate: {
      enabled: true,
      dryRun: false,
      minSeverity: 'HIGH',
      maxPerHour: 1000,
      exemptPrincipals: [],
    },
  }),
});
let table = '';
let run: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  table = await db.freshTable('fuzz-responder');
  vi.resetModules();
  const { handler } = await import('#functions/responder/handler');
  run = (event) => handler(event as Parameters<typeof handler>[0], localContext('responder'));
});

beforeEach(() => {
  ssm.reset();
  eb.reset();
  ssm.on(DescribeSessionsCommand, { State: 'Active' }).resolves({ Sessions: [] });
  ssm.on(DescribeSessionsCommand, { State: 'History' }).resolves({ Sessions: [] });
  ssm.on(TerminateSessionCommand).resolves({});
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

const calls = (client: typeof ssm | typeof eb) => JSON.stringify(client.calls().map((c) => c.args[0].input));
const PER_PATH = 4;
const paths = findingEventPaths();

describe('responder handler: no planted value outside the result finding', () => {
  it(`every string field × ${PER_PATH} plants (${PER_PATH * paths.length} cases)`, async () => {
    await expectNoPlantedValue({
      report: new LeakReport('lambda-responder', findingShownAsIs(['bus'], ['logs', 'dynamo', 'ssm']), 'bus'),
      paths,
      perPath: PER_PATH,
      run,
      reset: () => {
        output.reset();
        ssm.resetHistory();
        eb.resetHistory();
      },
      channels: async (i) => {
        const rejected = i.threw ? ' (rejected event)' : '';
        const state = await tableText(db.client, table);
        return {
          [`logs${rejected}`]: output.text(),
          thrown: i.error,
          bus: calls(eb),
          ssm: calls(ssm),
          [`dynamo${rejected}`]: state.items,
        };
      },
      after: () => clearTable(db.client, table),
    });
  }, 60_000);
});

describe('responder handler: malformed events', () => {
  const leaves = findingEventLeaves();

  it(`a hostile value in every leaf (${leaves.length} cases): a safe error, the next good event still terminates`, async () => {
    const problems: string[] = [];
    for (const [n, path] of leaves.entries()) {
      const wrong = WRONG_VALUES[n % WRONG_VALUES.length]!;
      const i = await invoke(() => run(withAt(uniqueEvent(2000 + n), path, () => wrong.value)));
      for (const p of unsafeError(i)) problems.push(`${pathText(path)} = ${wrong.name}: ${p}`);
    }
    ssm.resetHistory();
    await run(uniqueEvent(2999));
    expect(ssm.commandCalls(TerminateSessionCommand)).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('40 random events (fast-check): a safe error at most', async () => {
    await fc.assert(
      fc.asyncProperty(randomFindingEvent, async (e) => {
        const i = await invoke(() => run(e));
        expect(unsafeError(i)).toEqual([]);
      }),
      { numRuns: 40, seed: 8_501 },
    );
  }, 60_000);
});
