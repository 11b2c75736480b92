import type { SecurityHubImporter } from '#shared/aws/securityhub';
import { InputError } from '#shared/errors';
import { toAsff } from '#shared/format/asff';
import { ACCOUNT_ID } from '#shared/format/shape';
import type { FindingEvent } from '../commons/events';
import { remaskFinding } from '../commons/findings';
import { apiName } from '../commons/log-values';

export interface ExportDeps {
  importer: Pick<SecurityHubImporter, 'import'>;
  /** Region of the Security Hub we import into (the function's own). */
  region: string;
  now: () => string;
}

export type ExportOutcome =
  | { status: 'exported'; findingId: string; asffId: string }
  | { status: 'rejected'; reason: string };

/** Security Hub refused the finding; the message names its error code, never the finding. */
export class ExportError extends InputError {
  override readonly name = 'ExportError';
}

/**
 * One parsed finding event → one imported ASFF finding (re-masked: nothing raw reaches Security Hub).
 * A finding without a usable account is rejected; a finding Security Hub refuses is thrown.
 */
export async function exportFinding(event: FindingEvent, deps: ExportDeps): Promise<ExportOutcome> {
  const finding = remaskFinding(event.detail);
  const account = finding.account ?? event.account;
  if (!ACCOUNT_ID.test(account))
    return { status: 'rejected', reason: 'account: not a 12-digit AWS account id' };
  const asff = toAsff(finding, { account, region: deps.region, now: deps.now() });
  const result = await deps.importer.import([asff]);
  const failure = result.failed[0];
  if (failure) {
    const code = apiName(failure.code) ?? 'no error code';
    throw new ExportError(`Security Hub refused the finding (${code})`);
  }
  return { status: 'exported', findingId: finding.id, asffId: asff.Id };
}
