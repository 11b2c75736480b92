import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { AsffFinding } from '../format/asff';

/** BatchImportFindings takes at most 100 findings per call. */
export const MAX_FINDINGS_PER_CALL = 100;

export interface ImportFailure {
  id: string;
  code: string;
  message: string;
}

export interface ImportResult {
  imported: number;
  failed: ImportFailure[];
}

/** Imports ASFF findings in batches; rejected findings are reported, never silently dropped. */
export class SecurityHubImporter {
  constructor(private readonly client: Pick<SecurityHubClient, 'send'>) {}

  async import(findings: readonly AsffFinding[]): Promise<ImportResult> {
    const result: ImportResult = { imported: 0, failed: [] };
    for (let i = 0; i < findings.length; i += MAX_FINDINGS_PER_CALL) {
      const batch = findings.slice(i, i + MAX_FINDINGS_PER_CALL);
      const out = await this.client.send(
        new BatchImportFindingsCommand({ Findings: batch.map((f): AwsSecurityFinding => f) }),
      );
      result.imported += out.SuccessCount ?? 0;
      for (const f of out.FailedFindings ?? []) {
        result.failed.push({ id: f.Id ?? '?', code: f.ErrorCode ?? '?', message: f.ErrorMessage ?? '' });
      }
    }
    return result;
  }
}
