import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '#tools/local-context';
import { useLambdaEnv } from '../../helpers/lambda-env';
import {
  findingEventLeaves,
  findingEventPaths,
  findingShownAsIs,
  randomFindingEvent,
  uniqueEvent,
} from '../helpers/finding-events';
import { pathText, withAt } from '../helpers/json-paths';
import { invoke, unsafeError } from '../helpers/lambda';
import { LeakReport } from '../helpers/leaks';
import { WRONG_VALUES } from '../helpers/malformed';
import { expectNoPlantedValue } from '../helpers/plant-fields';

/**
 * The securityhub function (finding → ASFF → BatchImportFindings), invoked as test/functions does: a
 * planted value in any field of the event never reaches its log lines or a thrown error except as an
 * identifier (the ASFF finding carries the finding by contract: debated); a malformed event is
 * dead-lettered with a safe error like the notifier's and responder's, never dropped in silence or
 * crashing.
 *
 * Cases (printed in the test names): every string field × 4 plants ≈ 100; a hostile value in every
 * leaf ≈ 27; 40 random events (fast-check).
 */

const hub = mockClient(SecurityHubClient);
const output = useLambdaEnv('eu-west-1');
let run: (event: unknown) => Promise<unknown>;

beforeAll(async () => {
  vi.resetModules();
  const { handler } = await import('#functions/securityhub/handler');
  run = (event) => handler(event as Parameters<typeof handler>[0], localContext('securityhub'));
});

beforeEach(() => {
  hub.reset();
  hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
});

const asff = () => JSON.stringify(hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input));
const PER_PATH = 4;
const paths = findingEventPaths();

describe('securityhub handler: no planted value outside the ASFF finding', () => {
  it(`every string field × ${PER_PATH} plants (${PER_PATH * paths.length} cases)`, async () => {
    await expectNoPlantedValue({
      report: new LeakReport('lambda-securityhub', findingShownAsIs(['asff']), 'asff'),
      paths,
      perPath: PER_PATH,
      run,
      reset: () => {
        output.reset();
        hub.resetHistory();
      },
      channels: (i) => {
        const imported = hub.commandCalls(BatchImportFindingsCommand).length > 0;
        const rejected = i.threw || !imported ? ' (rejected event)' : '';
        return { [`logs${rejected}`]: output.text(), thrown: i.error, asff: asff() };
      },
    });
  }, 60_000);
});

describe('securityhub handler: malformed events', () => {
  const leaves = findingEventLeaves();

  it(`a hostile value in every leaf (${leaves.length} cases): never a crash`, async () => {
    const problems: string[] = [];
    for (const [n, path] of leaves.entries()) {
      const wrong = WRONG_VALUES[n % WRONG_VALUES.length]!;
      const i = await invoke(() => run(withAt(uniqueEvent(2000 + n), path, () => wrong.value)));
      for (const p of unsafeError(i)) problems.push(`${pathText(path)} = ${wrong.name}: ${p}`);
    }
    hub.resetHistory();
    await run(uniqueEvent(2999));
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('a malformed finding event is dead-lettered (thrown), like the notifier and the responder do', async () => {
    const dropped: string[] = [];
    for (const [name, event] of Object.entries({
      'wrong source': { ...uniqueEvent(3000), source: 'evil' },
      'detail not a finding': { ...uniqueEvent(3001), detail: { id: 5 } },
      'severity unknown': withAt(uniqueEvent(3002), ['detail', 'severity'], () => 'SEVERE'),
    })) {
      const i = await invoke(() => run(event));
      if (!i.threw) dropped.push(name);
      expect(unsafeError(i)).toEqual([]);
    }
    expect(dropped, 'malformed events dropped instead of sent to the DLQ').toEqual([]);
  });

  it('40 random events (fast-check): a safe error at most', async () => {
    await fc.assert(
      fc.asyncProperty(randomFindingEvent, async (e) => {
        const i = await invoke(() => run(e));
        expect(unsafeError(i)).toEqual([]);
      }),
      { numRuns: 40, seed: 8_701 },
    );
  }, 60_000);
});
