import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { type Alert, type AlertPublisher, shrinkFinding } from '../format/alert';

/** SNS accepts 256 KiB per message including attributes; keep a margin for the attributes and JSON. */
export const SNS_MAX_BYTES = 256 * 1024 - 2048;

/**
 * Publish input for one alert: `MessageStructure: 'json'` gives e-mail subscribers readable text and
 * machine subscribers (Lambda, SQS, HTTPS) the Finding JSON (or the Digest JSON, `"kind": "digest"`);
 * `severity`, `category` and `alert` (opened, escalated, single, digest) attributes let subscriptions
 * filter, and `digestAt` says when an opened incident's digest is due. Evidence is shrunk when the
 * message would exceed the SNS size limit (a digest is bounded by construction).
 */
export function publishInput(topicArn: string, alert: Alert): PublishCommandInput {
  const message = (json: string) =>
    JSON.stringify({ default: alert.text, email: alert.text, lambda: json, sqs: json, https: json });
  const attributes: PublishCommandInput['MessageAttributes'] = {
    severity: { DataType: 'String', StringValue: alert.severity },
    category: { DataType: 'String', StringValue: alert.category },
    alert: { DataType: 'String', StringValue: alert.kind },
  };
  let body: string;
  if (alert.kind === 'digest') {
    body = message(JSON.stringify(alert.digest));
  } else {
    body = message(JSON.stringify(alert.finding));
    for (let items = 50, excerpt = 500; Buffer.byteLength(body) > SNS_MAX_BYTES && items >= 1; items >>= 1) {
      body = message(JSON.stringify(shrinkFinding(alert.finding, items, excerpt)));
      excerpt = Math.max(80, excerpt >> 1);
    }
    if (alert.note.digestAt) attributes.digestAt = { DataType: 'String', StringValue: alert.note.digestAt };
  }
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    MessageStructure: 'json',
    Message: body,
    MessageAttributes: attributes,
  };
}

export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(alert: Alert): Promise<string | undefined> {
    const out = await this.client.send(new PublishCommand(publishInput(this.topicArn, alert)));
    return out.MessageId;
  }
}
