import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The one state table (session records, dedup, alert incidents, transcript carry-over, counters,
 * Powertools idempotency). Items expire through the `expiration` TTL attribute, so the table only
 * holds recent state: deleting it with the stack loses nothing the findings log does not keep.
 */
export class State extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: { prefix: string; key: kms.IKey }) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: `${props.prefix}-state`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
