import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { parseConfig } from '../shared/model/config';
import { SEVERITIES, type Severity } from '../shared/model/finding';
import { formatDoctorReport, runDoctor } from './doctor';
import { describe } from './input';
import { runTestAlert } from './test-alert';

/**
 * `doctor` and `test-alert`: the two commands that talk to a deployed account, with the usual AWS
 * credential chain. Loaded only when asked for, so `replay` never pays for the SDK clients.
 */
export async function runAwsCommand(command: 'doctor' | 'test-alert', args: string[]): Promise<number> {
  let values: { region?: string; config?: string; bus?: string; severity?: string };
  try {
    values = parseArgs({
      args,
      options: {
        region: { type: 'string' },
        config: { type: 'string' },
        bus: { type: 'string' },
        severity: { type: 'string' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`ssm-sentinel ${command}: ${describe(e)}\n`);
    return 2;
  }
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(values.config ? JSON.parse(await readFile(values.config, 'utf8')) : {});
  } catch (e) {
    process.stderr.write(`ssm-sentinel ${command}: ${values.config}: ${describe(e)}\n`);
    return 2;
  }
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    process.stderr.write(`ssm-sentinel ${command}: give --region or set AWS_REGION\n`);
    return 2;
  }
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
      process.stdout.write(`${formatDoctorReport(report)}\n`);
      return report.ok ? 0 : 1;
    }
    const severity = values.severity?.toUpperCase();
    if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
      process.stderr.write(`ssm-sentinel test-alert: --severity must be one of ${SEVERITIES.join(', ')}\n`);
      return 2;
    }
    const result = await runTestAlert(
      { bus: values.bus, prefix: config.resourcePrefix, severity: severity as Severity | undefined, region },
      { events: new EventBridgeClient({ region }) },
    );
    process.stdout.write(`Sample finding ${result.finding.id} put on bus ${result.busName}.\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`ssm-sentinel ${command}: ${describe(e)}\n`);
    return 2;
  }
}
