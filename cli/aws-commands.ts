import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { describeError } from '#shared/errors';
import { field } from '#shared/format/sanitize';
import { parseConfig } from '#shared/model/config';
import { SEVERITIES, type Severity } from '#shared/model/finding';
import type { CommandIO } from './commands';
import { formatDoctorReport, runDoctor } from './doctor';
import { readJsonOption } from './options';
import { runTestAlert } from './test-alert';

/**
 * `doctor` and `test-alert`: the two commands that talk to a deployed account, with the usual AWS
 * credential chain. Loaded only when asked for, so `replay` never pays for the SDK clients. Options
 * arrive parsed and checked for unknown names (main.ts).
 */
export async function runAwsCommand(
  command: 'doctor' | 'test-alert',
  values: { region?: unknown; config?: unknown; bus?: unknown; severity?: unknown },
  io: CommandIO,
): Promise<number> {
  const fail = (problem: string) => {
    io.err(`ssm-sentinel ${command}: ${problem}\n`);
    return 2;
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  let config: ReturnType<typeof parseConfig>;
  const configFile = str(values.config);
  try {
    config = parseConfig(configFile ? await readJsonOption(configFile, '--config') : {});
  } catch (e) {
    return fail(describeError(e));
  }
  const region = str(values.region) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) return fail('give --region or set AWS_REGION');
  const severity = str(values.severity)?.toUpperCase();
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity))
    return fail(`--severity must be one of ${SEVERITIES.join(', ')}`);
  try {
    if (command === 'doctor') {
      const report = await runDoctor(
        { config, region },
        {
          cloudtrail: new CloudTrailClient({ region }),
          ssm: new SSMClient({ region }),
          logs: new CloudWatchLogsClient({ region }),
          events: new EventBridgeClient({ region }),
        },
      );
      await io.out(`${formatDoctorReport(report)}\n`);
      return report.ok ? 0 : 1;
    }
    const result = await runTestAlert(
      {
        bus: str(values.bus),
        prefix: config.resourcePrefix,
        severity: severity as Severity | undefined,
        region,
      },
      { events: new EventBridgeClient({ region }) },
    );
    await io.out(`Sample finding ${result.finding.id} put on bus ${field(result.busName)}.\n`);
    return 0;
  } catch (e) {
    return fail(describeError(e));
  }
}
