import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { removeSynthOutputs, synth } from './synth';

afterAll(removeSynthOutputs);

const FULL = {
  autoTerminate: { enabled: true },
  alerts: {
    emails: ['secops@example.com'],
    slackWebhookSecretName: '/sentinel/slack',
    slackActions: { signingSecretName: 'sentinel/slack-signing', terminateUserIds: ['U024BE7LH'] },
  },
  stack: {
    managePreferences: true,
    createTrail: true,
    securityHubExport: true,
    homeRegion: 'us-east-1',
    regions: ['us-west-2'],
  },
};

describe('cdk-nag AwsSolutions', () => {
  it('passes on a fully featured, environment-bound deployment', () => {
    // Account and region literal (not pseudo parameters) change the finding ids cdk-nag computes.
    expect(() => synth(FULL, { env: { account: '123456789012', region: 'us-east-1' } })).not.toThrow();
  }, 60_000);

  it('acknowledges only specific findings, each with a reason', () => {
    const { app } = synth(FULL);
    const acks = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/^(Annotation|AwsSolutions)::AwsSolutions-[A-Z]+\d+/);
      // Wildcard findings are acknowledged one resource at a time, never the whole rule.
      if (id.includes('IAM5')) expect(id).toMatch(/IAM5\[Resource::.+\]$/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  }, 60_000);

  it('needs no acknowledgment for the alert digest beyond the shared X-Ray one', () => {
    const { app } = synth({});
    const acks = app.node
      .findAll()
      .filter((c) => c.node.path.includes('/alert-digest/') || c.node.path.includes('/AlertDigest/'))
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.keys(m.data as Record<string, string>))
      // The plugin or the annotation that recorded it: the finding is the same.
      .map((id) => id.slice(id.indexOf('::') + 2));
    expect(acks).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  }, 60_000);

  it('fails synthesis on a violation', () => {
    expect(() =>
      synth(
        {},
        {
          mutate: (stack) =>
            new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED }),
        },
      ),
    ).toThrow(/AwsSolutions-SQS4/);
  }, 60_000);
});
