import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { localContext } from '../../functions/commons/local';
import { ExportError, exportFinding } from '../../functions/securityhub/export';
import { MAX_FINDINGS_PER_CALL, SecurityHubImporter } from '../../shared/aws/securityhub';
import { toAsff } from '../../shared/format/asff';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '../../shared/metrics';
import type { Finding } from '../../shared/model/finding';
import { bareFinding } from '../format/findings';
import { useLambdaEnv } from '../helpers/lambda-env';

const hub = mockClient(SecurityHubClient);
const RAW_KEY = 'AKIAIOSFODNN7EXAMPLE';

const finding = (overrides: Partial<Finding> = {}): Finding => bareFinding({ id: 'f00d', ...overrides });

function event(detail: unknown, extra: Record<string, unknown> = {}) {
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

  it('throws when Security Hub refuses the finding, so EventBridge retries', async () => {
    hub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 0,
      FailedCount: 1,
      FailedFindings: [{ Id: 'x', ErrorCode: 'InvalidInput', ErrorMessage: 'bad' }],
    });
    await expect(exportFinding(event(finding()), deps())).rejects.toThrow(ExportError);
    await expect(exportFinding(event(finding()), deps())).rejects.toThrow(/InvalidInput/);
  });

  it.each([
    ['another source', event(finding(), { source: 'aws.ssm' }), /not a finding event/],
    ['a detail that is not a finding', event({ id: 1 }), /does not match the schema at: id/],
    ['no account anywhere', event(finding(), { account: undefined }), /no account/],
    ['not an object', 'garbage', /not a finding event/],
  ])('rejects %s without calling Security Hub', async (_what, e, reason) => {
    const out = await exportFinding(e, deps());
    expect(out.status).toBe('rejected');
    expect(out.status === 'rejected' && out.reason).toMatch(reason);
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
    const { handler } = await import('../../functions/securityhub/handler');
    run = (e) => handler(e, localContext('securityhub'));
  });

  it('exports a finding event and reports a malformed one as one error line', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0 });
    await run(event(finding()));
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    await run(event({ nope: true }));
    expect(hub.commandCalls(BatchImportFindingsCommand)).toHaveLength(1);
    const errors = output
      .text()
      .split('\n')
      .filter((l) => l.includes('"level":"ERROR"'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('rejected event');
    expect(output.text()).not.toContain(RAW_KEY);
  });

  it('fails the invocation when the import fails', async () => {
    hub
      .on(BatchImportFindingsCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(run(event(finding()))).rejects.toThrow(/slow down/);
  });
});
