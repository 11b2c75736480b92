import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/**
 * CloudTrail delivered to CloudWatch Logs, as a subscription hands it on: one log event per record
 * (its compact JSON), in time order, in the stream CloudTrail names `<account>_CloudTrail_<region>`.
 */

const FIXTURES = new URL('../fixtures/cloudtrail/', import.meta.url);

/** Real CloudTrail records (Stratus Red Team detonation: StartSession and TerminateSession by an IAM user). */
export function stratusRecords(): Record<string, unknown>[] {
  return JSON.parse(readFileSync(new URL('stratus-ssm-start-session.detonation.json', FIXTURES), 'utf8'));
}

/** One record of a fixture file that holds a single record (`attacker-cloudtrail.json`…). */
export function fixtureRecord(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

export interface TrailMessage {
  messageType: 'DATA_MESSAGE';
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: Array<{ id: string; timestamp: number; message: string }>;
}

/** The DATA_MESSAGE of a trail's log group holding `records`, sorted by event time as CloudWatch Logs keeps them. */
export function trailMessage(
  records: readonly Record<string, unknown>[],
  logStream = '294599468799_CloudTrail_us-east-1',
): TrailMessage {
  const sorted = [...records].sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
  return {
    messageType: 'DATA_MESSAGE',
    owner: '294599468799',
    logGroup: 'aws-cloudtrail-logs-294599468799-management',
    logStream,
    subscriptionFilters: ['all-events'],
    logEvents: sorted.map((r, i) => ({
      id: `3806${String(i).padStart(52, '0')}`,
      timestamp: Date.parse(String(r.eventTime)),
      message: JSON.stringify(r),
    })),
  };
}

/** `{"awslogs":{"data": base64(gzip(JSON))}}`, as the subscription delivers it. */
export function subscriptionPayload(message: unknown): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') } };
}
