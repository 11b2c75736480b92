import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Env } from '#shared/metrics';
import type { Config } from '#shared/model/config';
import type { Functions, SentinelFunction } from './functions';

/** How often the digest sweep runs: a digest goes out at most this long after its window closed. */
export const DIGEST_RATE_MINUTES = 1;

/** Under one tick, so a slow sweep rarely overlaps the next (overlap is harmless: windows are leased). */
const DIGEST_TIMEOUT_SECONDS = 50;

/** What the incident store calls (shared/aws/state.ts): single items, and due buckets in batches. */
const INCIDENT_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'];
/** Reading and writing items of a table encrypted with the customer key (as for every table user). */
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

export interface AlertDigestProps {
  config: Config;
  functions: Functions;
  /** The state table the notifier counts incidents in. */
  table: dynamodb.ITable;
  key: kms.IKey;
  /** The alerts topic the digests are published on, like the notifier's alerts. */
  topic: sns.ITopic;
}

/**
 * The incident digest timer: a scheduled rule every DIGEST_RATE_MINUTES invokes the alert-digest
 * function, which sends one digest per incident window closed since its last sweep. Like the
 * transcript sweep, a rule on the default bus: its name carries the resource prefix, so disabling
 * or deleting it is caught by the tampering rules on the stack's EventBridge rules.
 */
export class AlertDigest extends Construct {
  readonly digest: SentinelFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AlertDigestProps) {
    super(scope, id);
    const { config, table, key, topic } = props;
    // Item reads and writes (no DeleteItem: IncidentStore in shared/state/types.ts never deletes)
    // and batch reads of the due buckets, on the table only; Publish on the alerts topic; the key.
    this.digest = props.functions
      .create('alert-digest', { timeoutSeconds: DIGEST_TIMEOUT_SECONDS })
      .setEnv(Env.TableName, table.tableName)
      .allow('IncidentItems', INCIDENT_TABLE_ACTIONS, [table.tableArn])
      .useTopic(topic, key);
    key.grant(this.digest.role, ...TABLE_KEY_ACTIONS);
    this.rule = new events.Rule(this, 'Schedule', {
      ruleName: `${config.resourcePrefix}-alert-digest`,
      description: `Every ${DIGEST_RATE_MINUTES} minute(s): one digest per closed incident window`,
      schedule: events.Schedule.rate(Duration.minutes(DIGEST_RATE_MINUTES)),
      targets: [
        new targets.LambdaFunction(this.digest.fn, {
          deadLetterQueue: this.digest.dlq,
          // A missed tick is made up by the next one (the sweep starts from its cursor): an event
          // older than one tick is stale, retrying it only doubles the next run's work.
          retryAttempts: 2,
          maxEventAge: Duration.minutes(DIGEST_RATE_MINUTES),
        }),
      ],
    });
  }
}
