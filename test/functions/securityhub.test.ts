import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FindingEvent } from '#functions/commons/events';
import { ExportError, exportFinding } from '#functions/securityhub/export';
import { MAX_FINDINGS_PER_CALL, SecurityHubImporter } from '#shared/aws/securityhub';
import { toAsff } from '#shared/format/asff';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import { localContext } from '#tools/local-context';
import { bareFinding, makeFinding } from '../format/findings';
import { useLambdaEnv } from '../helpers/lambda-env';
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

const hub = mockClient(SecurityHubClient);
const RAW_KEY = 'AKIAIOSFODNN7EXAMPLE';

const finding = (overrides: Partial<Finding> = {}): Finding => bareFinding({ id: 'f00d', ...overrides });

function event(detail: Finding, extra: Partial<FindingEvent> = {}): FindingEvent {
  return {
    version: '0',
    id: 'e1',
    source: FINDING_SOURCE,
    'detail-type': FINDING_DETAIL_TYPE,
    account: '123456789012',
    region: 'eu-west-1',
    time: '2026-03-02T14:05:10Z',
    resources: [],
    detail,
    ...extra,
  };
}

const deps = () => ({
  importer: new SecurityHubImporter(new SecurityHubClient({ region: 'eu-west-1' })),
  region: 'eu-west-1',
  now: () => '2026-03-02T15:00:00.000Z',
});

beforeEach(() => hub.reset());

describe('exportFinding', () => {
  it('imports one ASFF finding under the account default product', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
    const out = await exportFinding(event(finding()), deps());
    expect(out).toEqual({
      status: 'exported',
      findingId: 'f00d',
      asffId: 'ssm-sentinel/123456789012/eu-west-1/f00d',
    });
    const [call] = hub.commandCalls(BatchImportFindingsCommand);
    const [asff] = call!.args[0].input.Findings!;
    expect(asff!.ProductArn).toBe('arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default');
    expect(asff!.AwsAccountId).toBe('123456789012');
    expect(JSON.stringify(asff)).not.toContain(RAW_KEY);
  });

  it('throws when Security Hub refuses the finding, so EventBridge retries, naming only the code', async () => {
    hub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 0,
      FailedCount: 1,
      FailedFindings: [{ Id: 'x', ErrorCode: 'InvalidInput', ErrorMessage: `bad ${PLANTED.email}` }],
    });
    await expect(exportFinding(event(finding()), deps())).rejects.toThrow(ExportError);
    await expect(exportFinding(event(finding()), deps())).rejects.toThrow(
      'Security Hub refused the finding (InvalidInput)',
    );
  });

  it('re-masks what it imports: a value planted in the finding does not reach Security Hub', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0 });
    const planted = finding({
      title: `key ${PLANTED.awsKey}`,
      reasons: [ALL_PLANTED],
      target: PLANTED.email,
    });
    await exportFinding(event(planted), deps());
    expect(leaks(JSON.stringify(hub.commandCalls(BatchImportFindingsCommand)[0]?.args[0].input))).toEqual([]);
  });

  it.each([
    ['no usable account anywhere', event(finding(), { account: '' })],
    ['an account that is not one', event(finding({ account: PLANTED.ssn }), { account: PLANTED.ssn })],
  ])('rejects %s without calling Security Hub', async (_what, e) => {
    const out = await exportFinding(e, deps());
    expect(out).toEqual({ status: 'rejected', reason: 'account: not a 12-digit AWS account id' });
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
  });
});

describe('SecurityHubImporter', () => {
  it('splits large imports into batches of 100 and collects failures', async () => {
    hub
      .on(BatchImportFindingsCommand)
      .resolvesOnce({ SuccessCount: 100, FailedCount: 0 })
      .resolvesOnce({
        SuccessCount: 49,
        FailedCount: 1,
        FailedFindings: [{ Id: 'f149', ErrorCode: 'Throttled', ErrorMessage: 'slow down' }],
      });
    const ctx = { account: '123456789012', region: 'eu-west-1', now: '2026-03-02T15:00:00.000Z' };
    const findings = Array.from({ length: 150 }, (_, i) => toAsff(finding({ id: `f${i}` }), ctx));
    const result = await new SecurityHubImporter(new SecurityHubClient({ region: 'eu-west-1' })).import(
      findings,
    );
    expect(hub.commandCalls(BatchImportFindingsCommand).map((c) => c.args[0].input.Findings!.length)).toEqual(
      [MAX_FINDINGS_PER_CALL, 50],
    );
    expect(result).toEqual({
      imported: 149,
      failed: [{ id: 'f149', code: 'Throttled', message: 'slow down' }],
    });
  });
});

describe('handler', () => {
  const output = useLambdaEnv('eu-west-1', { POWERTOOLS_SERVICE_NAME: 'securityhub' });
  let run: (e: unknown) => Promise<void>;

  beforeAll(async () => {
    vi.resetModules();
    const { handler } = await import('#functions/securityhub/handler');
    run = (e) => handler(e as Parameters<typeof handler>[0], localContext('securityhub'));
  });

  it('exports a finding event, and reports and dead-letters a malformed one like notifier and responder', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0 });
    await run(event(finding()));
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    const error = await thrownBy(() => run({ ...event(finding()), detail: { nope: RAW_KEY } }));
    expect(error).toMatchObject({
      name: 'MalformedEvent',
      message: /^malformed finding event: detail\.id: /,
    });
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    const errors = output
      .text()
      .split('\n')
      .filter((l) => l.includes('"level":"ERROR"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"message":"malformed finding event"');
    expect(metricSum(output.text(), 'Failed')).toBe(1);
    expect(metricSum(output.text(), 'Processed')).toBe(1);
    expect(output.text()).not.toContain(RAW_KEY);
  });

  it('rejects every malformed shape with a safe one-line error, a log line and a Failed metric', async () => {
    const errors: unknown[] = [];
    const shapes: Array<[string, unknown]> = [
      ...malformedShapes(),
      ['another source', { ...event(finding()), source: PLANTED.awsKey }],
      ['no account', { ...event(finding()), account: '' }],
    ];
    for (const [name, e] of shapes) {
      const error = await thrownBy(() => run(e));
      expect(error, name).toBeDefined();
      expectSafeError(error);
      expect((error as Error).name, name).toBe('MalformedEvent');
      errors.push(error);
    }
    expect(output.text().match(/"message":"malformed finding event"/g)).toHaveLength(shapes.length);
    expect(metricSum(output.text(), 'Failed')).toBe(shapes.length);
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(0);
    const all = [output.text(), ...errors.map(String)].join('\n');
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  });

  it('exports a finding with a value planted in any field without carrying the value on', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0 });
    const base = event(makeFinding());
    const paths = stringPaths(base);
    const plants = Object.values(PLANTED);
    const errors: unknown[] = [];
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const f of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED]) {
        const error = await thrownBy(() => run(withStringAt(base, path, f)));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        }
      }
    }
    const imported = hub.commandCalls(BatchImportFindingsCommand);
    expect(imported.length).toBeGreaterThan(paths.length);
    const all = [output.text(), JSON.stringify(imported.map((c) => c.args[0].input)), ...errors.map(String)];
    expect(leaks(all.join('\n'))).toEqual([]);
    expect(crashTrace(all.join('\n'))).toBeUndefined();
  });

  it('fails the invocation when the import fails, naming only the error', async () => {
    hub
      .on(BatchImportFindingsCommand)
      .rejects(Object.assign(new Error(`slow down ${PLANTED.card}`), { name: 'ThrottlingException' }));
    const error = await thrownBy(() => run(event(finding())));
    expect(error).toMatchObject({ name: 'ThrottlingException', message: /^ThrottlingException: slow down/ });
    expect(leaks(`${String(error)}\n${output.text()}`)).toEqual([]);
  });
});
