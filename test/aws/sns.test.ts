import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { publishInput, SNS_MAX_BYTES, SnsAlertPublisher } from '#shared/aws/sns';
import { buildAlert, buildDigestAlert } from '#shared/format/alert';
import { digestSubject, renderDigestText, renderText } from '#shared/format/text';
import { DigestSchema } from '#shared/model/digest';
import { FindingSchema } from '#shared/model/finding';
import { makeDigest, makeFinding, RAW, RULE } from '../format/findings';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ssm-sentinel-alerts';
const sns = mockClient(SNSClient);

beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('SnsAlertPublisher', () => {
  it('publishes one JSON-structured message with text for e-mail and the Finding for machines', async () => {
    const finding = makeFinding();
    const id = await new SnsAlertPublisher(new SNSClient({ region: 'eu-west-1' }), TOPIC).publish(
      buildAlert(finding, RULE),
    );
    expect(id).toBe('m-1');
    const text = renderText(finding, RULE);
    const json = JSON.stringify(finding);
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: '[HIGH] AWS access key printed in a session - i-0abc1234def567890 in 123456789012',
      MessageStructure: 'json',
      Message: JSON.stringify({ default: text, email: text, lambda: json, sqs: json, https: json }),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'HIGH' },
        category: { DataType: 'String', StringValue: 'secret' },
        alert: { DataType: 'String', StringValue: 'single' },
      },
    });
  });

  it('marks an opening alert and says when its digest is due', () => {
    const note = { kind: 'opened' as const, digestAt: '2026-03-02T14:20:09.000Z' };
    const input = publishInput(TOPIC, buildAlert(makeFinding(), RULE, note));
    expect(input.MessageAttributes).toMatchObject({
      alert: { DataType: 'String', StringValue: 'opened' },
      digestAt: { DataType: 'String', StringValue: note.digestAt },
    });
    expect(JSON.parse(JSON.parse(input.Message ?? '{}').lambda)).toEqual(makeFinding());
  });

  it('publishes a digest as its JSON, its highest severity and its incident category as attributes', () => {
    const digest = makeDigest();
    const input = publishInput(TOPIC, buildDigestAlert(digest));
    const message = JSON.parse(input.Message ?? '{}') as Record<string, string>;
    expect(DigestSchema.parse(JSON.parse(message.sqs ?? ''))).toEqual(digest);
    expect(message.email).toBe(renderDigestText(digest));
    expect(input.Subject).toBe(digestSubject(digest));
    expect(input.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: digest.severity },
      category: { DataType: 'String', StringValue: digest.incident.category },
      alert: { DataType: 'String', StringValue: 'digest' },
    });
  });

  it('sends no raw secret or personal value', () => {
    const input = publishInput(TOPIC, buildAlert(makeFinding(), RULE));
    for (const raw of Object.values(RAW)) expect(JSON.stringify(input)).not.toContain(raw);
  });

  it('shrinks the Finding copies of an oversized alert below the SNS limit', () => {
    const evidence = Array.from({ length: 400 }, (_, i) => ({
      kind: 'PASSWORD',
      excerpt: `${'*'.repeat(2000)}${i}`,
    }));
    const input = publishInput(TOPIC, buildAlert(makeFinding({ evidence }), RULE));
    expect(Buffer.byteLength(input.Message ?? '')).toBeLessThanOrEqual(SNS_MAX_BYTES);
    const message = JSON.parse(input.Message ?? '{}') as Record<string, string>;
    const copy = FindingSchema.parse(JSON.parse(message.lambda ?? ''));
    expect(copy.id).toBe(makeFinding().id);
    expect(copy.evidence.at(-1)).toMatchObject({ kind: 'TRUNCATED' });
    expect(copy.evidence.length).toBeLessThan(400);
  });
});
