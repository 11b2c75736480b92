import { describe, expect, it } from 'vitest';
import { asffId, partitionOf, productArn, toAsff } from '#shared/format/asff';
import type { Finding } from '#shared/model/finding';
import { ALICE, bareFinding } from './findings';

const CTX = { account: '111122223333', region: 'eu-central-1', now: '2026-03-02T15:00:00.000Z' };

function finding(overrides: Partial<Finding> = {}): Finding {
  return bareFinding({
    ...ALICE,
    target: 'i-0123456789abcdef0',
    sourceIp: '198.51.100.7',
    evidence: [{ kind: 'AWS_ACCESS_KEY', excerpt: 'AKIA************MPLE', count: 2 }],
    reasons: ['An AWS access key id appeared in the terminal output'],
    ...overrides,
  });
}

describe('toAsff', () => {
  it('maps a transcript finding to a complete ASFF record', () => {
    const a = toAsff(finding(), CTX);
    expect(a).toMatchObject({
      SchemaVersion: '2018-10-08',
      Id: 'ssm-sentinel/123456789012/eu-west-1/5f1c0b7e9a2d4c6f8b0a1e3d5c7f9b2a',
      ProductArn: 'arn:aws:securityhub:eu-central-1:111122223333:product/111122223333/default',
      GeneratorId: 'ssm-sentinel/tx-secret-aws-access-key',
      AwsAccountId: '123456789012',
      Types: ['Sensitive Data Identifications/Security'],
      CreatedAt: '2026-03-02T14:05:09.000Z',
      FirstObservedAt: '2026-03-02T14:05:09.000Z',
      UpdatedAt: CTX.now,
      Severity: { Label: 'HIGH', Original: 'HIGH' },
      Title: 'AWS access key printed in a session',
      Region: 'eu-west-1',
      Network: { Direction: 'IN', SourceIpV4: '198.51.100.7' },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
    });
    expect(a.Resources).toEqual([
      {
        Type: 'AwsEc2Instance',
        Id: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0',
        Partition: 'aws',
        Region: 'eu-west-1',
      },
      {
        Type: 'Other',
        Id: 'arn:aws:ssm:eu-west-1:123456789012:session/alice-0a1b2c3d4e5f67890',
        Partition: 'aws',
        Region: 'eu-west-1',
      },
      { Type: 'AwsIamRole', Id: 'arn:aws:sts::123456789012:assumed-role/Admin/alice', Partition: 'aws' },
    ]);
    expect(a.ProductFields).toMatchObject({
      'ssm-sentinel/ruleId': 'tx-secret-aws-access-key',
      'ssm-sentinel/category': 'secret',
      'ssm-sentinel/sessionId': 'alice-0a1b2c3d4e5f67890',
      'ssm-sentinel/evidence/1': 'AWS_ACCESS_KEY: AKIA************MPLE (×2)',
    });
    expect(a.Description).toContain('Evidence (masked): AWS_ACCESS_KEY ×2: AKIA************MPLE');
  });

  it('keeps the id stable across imports, so a redelivery updates the same finding', () => {
    const later = { ...CTX, now: '2026-03-02T16:00:00.000Z' };
    expect(toAsff(finding(), CTX).Id).toBe(toAsff(finding(), later).Id);
    expect(toAsff(finding(), later).UpdatedAt).toBe(later.now);
    expect(toAsff(finding({ id: 'other' }), CTX).Id).not.toBe(toAsff(finding(), CTX).Id);
  });

  it('never carries a raw value: only the masked excerpt reaches the record', () => {
    const text = JSON.stringify(toAsff(finding(), CTX));
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(text).toContain('AKIA************MPLE');
  });

  it.each([
    ['risky-command', 'REVERSE_SHELL', ['TTPs/Execution', 'TTPs/Command and Control']],
    ['risky-command', 'IMDS_CREDENTIAL_ACCESS', ['TTPs/Execution', 'TTPs/Credential Access']],
    ['risky-command', 'SOMETHING_NEW', ['TTPs/Execution']],
    [
      'pii',
      'CREDIT_DEBIT_NUMBER',
      ['Sensitive Data Identifications/PII', 'Sensitive Data Identifications/Financial'],
    ],
    ['pii', 'EMAIL', ['Sensitive Data Identifications/PII']],
    [
      'secret',
      'PASSWORD',
      ['Sensitive Data Identifications/Security', 'Sensitive Data Identifications/Passwords'],
    ],
    ['monitor-tampering', 'DeleteTrail', ['TTPs/Defense Evasion']],
    ['port-forwarding', 'PORT', ['TTPs/Lateral Movement']],
  ] as const)('types a %s finding with evidence %s', (category, kind, types) => {
    const a = toAsff(finding({ category, evidence: [{ kind, excerpt: 'x' }] }), CTX);
    expect(a.Types).toEqual(types);
  });

  it('falls back to the import context and the account resource when the finding has little', () => {
    const bare = finding({
      account: undefined,
      region: undefined,
      sessionId: undefined,
      target: undefined,
      principal: undefined,
      sourceIp: undefined,
      time: 'not a time',
      evidence: [],
    });
    const a = toAsff(bare, CTX);
    expect(a.AwsAccountId).toBe('111122223333');
    expect(a.Region).toBe('eu-central-1');
    expect(a.CreatedAt).toBe(CTX.now);
    expect(a.Resources).toEqual([
      { Type: 'AwsAccount', Id: 'AWS::::Account:111122223333', Partition: 'aws', Region: 'eu-central-1' },
    ]);
    expect(a.Network).toBeUndefined();
  });

  it('handles IPv6 sources, managed instances, IAM users and long titles', () => {
    const a = toAsff(
      finding({
        sourceIp: '2001:db8::1',
        target: 'mi-0123456789abcdef0',
        principal: { arn: 'arn:aws:iam::123456789012:user/bob', type: 'IAMUser' },
        title: 'x'.repeat(300),
      }),
      CTX,
    );
    expect(a.Network).toEqual({ Direction: 'IN', SourceIpV6: '2001:db8::1' });
    expect(a.Resources[0]!.Id).toBe(
      'arn:aws:ssm:eu-west-1:123456789012:managed-instance/mi-0123456789abcdef0',
    );
    expect(a.Resources.at(-1)).toEqual({
      Type: 'AwsIamUser',
      Id: 'arn:aws:iam::123456789012:user/bob',
      Partition: 'aws',
    });
    expect(a.Title).toHaveLength(256);
  });

  it('caps evidence product fields and the description length', () => {
    const evidence = Array.from({ length: 40 }, (_, i) => ({ kind: `K${i}`, excerpt: '*'.repeat(100) }));
    const a = toAsff(finding({ evidence }), CTX);
    expect(Object.keys(a.ProductFields).filter((k) => k.includes('/evidence/'))).toHaveLength(10);
    expect(Object.keys(a.ProductFields).length).toBeLessThanOrEqual(50);
    expect(a.Description.length).toBeLessThanOrEqual(1024);
  });
});

describe('partitions and ids', () => {
  it('derives the partition from the region', () => {
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOf('eu-west-1')).toBe('aws');
    expect(productArn('111122223333', 'cn-north-1')).toBe(
      'arn:aws-cn:securityhub:cn-north-1:111122223333:product/111122223333/default',
    );
    expect(asffId(finding({ account: undefined }), CTX)).toBe(
      'ssm-sentinel/111122223333/eu-west-1/5f1c0b7e9a2d4c6f8b0a1e3d5c7f9b2a',
    );
  });
});
