import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { Config } from '#shared/model/config';
import type { Functions, SentinelFunction } from './functions';

/** How often the sweep runs: a silent session is found at most this long after it fell due. */
export const SWEEP_RATE_MINUTES = 5;

export interface TranscriptSweepProps {
  config: Config;
  functions: Functions;
  /** The state table session-events writes the expectations to, and the transcripts function arrivals. */
  table: dynamodb.ITable;
  key: kms.IKey;
  bus: events.IEventBus;
}

/**
 * The missing-transcript timer: a scheduled rule every SWEEP_RATE_MINUTES invokes the transcript-sweep
 * function, which judges the shell sessions whose transcript fell due since the last sweep and puts
 * its findings on the findings bus. A rule on the default bus rather than EventBridge Scheduler: no
 * scheduler role to pass, and its name carries the resource prefix, so disabling or deleting it is
 * caught by the tampering rules that already watch the stack's EventBridge rules.
 */
export class TranscriptSweep extends Construct {
  readonly sweep: SentinelFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: TranscriptSweepProps) {
    super(scope, id);
    const { config, table, key, bus } = props;
    // Item reads and writes of the table (its key), PutEvents on the bus: nothing else. The due
    // buckets of a window are read in batches (shared/aws/state.ts DynamoTranscriptWatch.due).
    this.sweep = props.functions
      .create('transcript-sweep', { timeoutSeconds: 240 })
      .useTable(table, key)
      .useBus(bus)
      .allow('ReadDueBuckets', ['dynamodb:BatchGetItem'], [table.tableArn]);
    this.rule = new events.Rule(this, 'Schedule', {
      ruleName: `${config.resourcePrefix}-transcript-sweep`,
      description: `Every ${SWEEP_RATE_MINUTES} minutes: shell sessions whose transcript is overdue`,
      schedule: events.Schedule.rate(Duration.minutes(SWEEP_RATE_MINUTES)),
      targets: [
        new targets.LambdaFunction(this.sweep.fn, {
          deadLetterQueue: this.sweep.dlq,
          // A missed tick is made up by the next one (the sweep's cursor): retrying past it is useless.
          retryAttempts: 2,
          maxEventAge: Duration.minutes(SWEEP_RATE_MINUTES),
        }),
      ],
    });
  }
}
