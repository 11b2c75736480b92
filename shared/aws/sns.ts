import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import { type Alert, type AlertPublisher, shrinkFinding } from '../format/alert';

/** SNS accepts 256 KiB per message including attributes; keep a margin for the attributes and JSON. */
export const SNS_MAX_BYTES = 256 * 1024 - 2048;

/**
 * Publish input for one alert: `MessageStructure: 'json'` gives e-mail subscribers readable text and
 * machine subscribers (Lambda, SQS, HTTPS) the Finding JSON; `severity` and `category` attributes
 * let subscriptions filter. Evidence is shrunk when the message would exceed the SNS size limit.
 */
export function publishInput(topicArn: string, alert: Alert): PublishCommandInput {
  const message = (finding: typeof alert.finding) => {
    const json = JSON.stringify(finding);
    return JSON.stringify({ default: alert.text, email: alert.text, lambda: json, sqs: json, https: json });
  };
  let body = message(alert.finding);
  for (let items = 50, excerpt = 500; Buffer.byteLength(body) > SNS_MAX_BYTES && items >= 1; items >>= 1) {
    body = message(shrinkFinding(alert.finding, items, excerpt));
    excerpt = Math.max(80, excerpt >> 1);
  }
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    MessageStructure: 'json',
    Message: body,
    MessageAttributes: {
      severity: { DataType: 'String', StringValue: alert.severity },
      category: { DataType: 'String', StringValue: alert.category },
    },
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
