import { describe, expect, it } from 'vitest';
import { consoleLinks } from '#shared/format/links';
import { alertSubject, renderText, SUBJECT_MAX } from '#shared/format/text';
import { MASKED, makeFinding, RAW, RULE } from './findings';

describe('alertSubject', () => {
  it('names severity, title, target and account', () => {
    expect(alertSubject(makeFinding())).toBe(
      '[HIGH] AWS access key printed in a session - i-0abc1234def567890 in 123456789012',
    );
  });

  it('is printable ASCII, one line and shorter than 100 characters whatever the title', () => {
    const subject = alertSubject(
      makeFinding({ title: `Zugriff über Port — ${'ü\n\r\t\u202e'.repeat(80)} 🚨`, target: 'x'.repeat(300) }),
    );
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.startsWith('[HIGH] Zugriff uber Port - ')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('renderText', () => {
  const text = renderText(makeFinding(), RULE);

  it('has what, who, where, when, why, masked evidence, playbook and links', () => {
    for (const part of [
      'HIGH: AWS access key printed in a session',
      RULE.description,
      '  Rule: tx-secret-aws-access-key',
      '  Principal: arn:aws:sts::123456789012:assumed-role/Admin/alice',
      '  Type: AssumedRole',
      '  Account: 123456789012',
      '  Target: i-0abc1234def567890',
      '  Session: alice-0a1b2c3d4e5f67890',
      '  Source IP: 203.0.113.7',
      '  Time: 2026-03-02T14:05:09Z',
      '  - access key printed on the terminal',
      `  - AWS_ACCESS_KEY x2 (lines 4, 9): export AWS_ACCESS_KEY_ID=${MASKED.accessKey}`,
      `  - SSN: ${MASKED.ssn}`,
      '  1. Deactivate the key in IAM.',
      '  3. Rotate and re-issue.',
      '  Session history: https://eu-west-1.console.aws.amazon.com/systems-manager/session-manager/alice-0a1b2c3d4e5f67890?region=eu-west-1',
      '  CloudTrail event: https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/3e7c1a52-4b8d-4f0e-9a61-2d5c8b7e1f04',
      '  EC2 instance: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc1234def567890',
    ]) {
      expect(text).toContain(part);
    }
  });

  it('contains no raw secret or personal value', () => {
    for (const raw of Object.values(RAW)) expect(text).not.toContain(raw);
  });

  it('omits empty sections and works without rule metadata', () => {
    const bare = renderText(
      makeFinding({ principal: undefined, reasons: [], evidence: [], eventId: undefined, region: undefined }),
    );
    expect(bare).not.toContain('Who\n');
    expect(bare).not.toContain('Why\n');
    expect(bare).not.toContain('Evidence');
    expect(bare).not.toContain('What to do');
    expect(bare).not.toContain('Links');
  });

  it('keeps every field on its own line so a value cannot forge sections', () => {
    const forged = renderText(
      makeFinding({
        target: 'i-1\n\nWhat to do\n  1. Ignore this alert',
        reasons: ['ok\r\nLinks\n  x: http://evil'],
      }),
    );
    expect(forged).not.toMatch(/^What to do$/m);
    expect(forged.match(/^Links$/gm)).toHaveLength(1);
    expect(forged).not.toMatch(/^ {2}x: http:\/\/evil$/m);
    expect(forged).toContain('  Target: i-1 What to do 1. Ignore this alert');
  });

  it('bounds long values and long evidence lists', () => {
    const evidence = Array.from({ length: 200 }, (_, i) => ({
      kind: 'PASSWORD',
      excerpt: `${'*'.repeat(5000)}${i}`,
    }));
    const long = renderText(makeFinding({ title: 't'.repeat(10_000), evidence }));
    expect(long.length).toBeLessThan(20_000);
    expect(long).toContain('  ... and 180 more');
  });
});

describe('consoleLinks', () => {
  it('uses the partition console host and encodes ids', () => {
    const links = consoleLinks(
      makeFinding({
        region: 'cn-north-1',
        sessionId: 'j.doe+ops@corp.example-0a1b2c',
        target: 'mi-0123456789abcdef0',
      }),
    );
    expect(links.map((l) => l.url)).toEqual([
      'https://console.amazonaws.cn/systems-manager/session-manager/j.doe%2Bops%40corp.example-0a1b2c?region=cn-north-1',
      'https://console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/3e7c1a52-4b8d-4f0e-9a61-2d5c8b7e1f04',
      'https://console.amazonaws.cn/systems-manager/fleet-manager/managed-nodes/mi-0123456789abcdef0/general?region=cn-north-1',
    ]);
  });

  it('links nothing for a region that is not a region name', () => {
    expect(consoleLinks(makeFinding({ region: 'evil.example/x' }))).toEqual([]);
  });

  it('links no instance for a target that is not an instance id', () => {
    const labels = consoleLinks(makeFinding({ target: 'i-0abc|evil' })).map((l) => l.label);
    expect(labels).toEqual(['Session history', 'CloudTrail event']);
  });

  it('links no session or event whose id does not look like one', () => {
    const labels = consoleLinks(makeFinding({ sessionId: 'a/b?c#d', eventId: 'x|<evil>' })).map(
      (l) => l.label,
    );
    expect(labels).toEqual(['EC2 instance']);
  });
});
