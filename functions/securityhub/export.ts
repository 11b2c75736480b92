import type { SecurityHubImporter } from '../../shared/aws/securityhub';
import { toAsff } from '../../shared/format/asff';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '../../shared/metrics';
import { FindingSchema } from '../../shared/model/finding';

export interface ExportDeps {
  importer: Pick<SecurityHubImporter, 'import'>;
  /** Region of the Security Hub we import into (the function's own). */
  region: string;
  now: () => string;
}

export type ExportOutcome =
  | { status: 'exported'; findingId: string; asffId: string }
  | { status: 'rejected'; reason: string };

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** One EventBridge finding event → one imported ASFF finding. Throws when Security Hub refuses it. */
export async function exportFinding(event: unknown, deps: ExportDeps): Promise<ExportOutcome> {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  if (e.source !== FINDING_SOURCE || e['detail-type'] !== FINDING_DETAIL_TYPE) {
    return { status: 'rejected', reason: `not a finding event (source ${String(e.source)})` };
  }
  const parsed = FindingSchema.safeParse(e.detail);
  if (!parsed.success) {
    const keys = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(detail)'))].join(', ');
    return { status: 'rejected', reason: `finding does not match the schema at: ${keys}` };
  }
  const account = parsed.data.account ?? (typeof e.account === 'string' ? e.account : undefined);
  if (!account) return { status: 'rejected', reason: 'finding has no account and the event none either' };
  const asff = toAsff(parsed.data, { account, region: deps.region, now: deps.now() });
  const result = await deps.importer.import([asff]);
  const failure = result.failed[0];
  if (failure) throw new ExportError(`Security Hub refused ${asff.Id}: ${failure.code}`);
  return { status: 'exported', findingId: parsed.data.id, asffId: asff.Id };
}
