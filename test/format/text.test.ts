import { describe, expect, it } from 'vitest';
import { consoleLinks } from '#shared/format/links';
import { alertSubject, digestSubject, renderDigestText, renderText, SUBJECT_MAX } from '#shared/format/text';
import { DIGEST_MAX_RULES } from '#shared/model/digest';
import { HOSTILE, MASKED, makeDigest, makeFinding, principalDigest, RAW, RULE } from './findings';

/** Printable ASCII, one line, shorter than 100 characters: what SNS accepts as a subject. */
function expectSubject(subject: string): void {
  expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
}

/** Hostile in every way a value can be: mentions, markup, line breaks, bidi and control characters. */
const EVIL = `${Object.values(HOSTILE).join(' ')}\r\nLinks\n  x: http://evil \u202e\u0007\u001b[2J ${'y'.repeat(10_000)}`;

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

  it('says an escalation first, and nothing more for an opening or a single alert', () => {
    const critical = makeFinding({ severity: 'CRITICAL' });
    expect(alertSubject(critical, { kind: 'escalated' })).toBe(
      '[CRITICAL] Escalated: AWS access key printed in a session - i-0abc1234def567890 in 123456789012',
    );
    expect(alertSubject(critical, { kind: 'opened', digestAt: '2026-03-02T14:20:09Z' })).toBe(
      alertSubject(critical),
    );
    expect(alertSubject(critical, { kind: 'single' })).toBe(alertSubject(critical));
    const hostile = alertSubject(makeFinding({ title: EVIL, target: EVIL }), { kind: 'escalated' });
    expectSubject(hostile);
    expect(hostile.startsWith('[HIGH] Escalated: ')).toBe(true);
  });
});

describe('renderText incident paragraph', () => {
  const opened = { kind: 'opened', digestAt: '2026-03-02T14:20:09Z' } as const;

  it('names the session and when its digest comes for an opening alert', () => {
    const text = renderText(makeFinding(), RULE, opened);
    expect(text).toContain(
      '\nIncident\n  First alert for session alice-0a1b2c3d4e5f67890. Its further findings until 14:20 UTC come in one digest.\n',
    );
  });

  it('names the principal-and-category scope, with the date when the digest is another day', () => {
    const text = renderText(makeFinding({ sessionId: undefined, category: 'port-forwarding' }), RULE, {
      kind: 'opened',
      digestAt: '2026-03-03T00:05:00.000Z',
    });
    expect(text).toContain(
      '  First alert for this principal and category (port-forwarding). Their further findings until 2026-03-03 00:05 UTC come in one digest.',
    );
  });

  it('says when a session reached CRITICAL after its first alert', () => {
    const text = renderText(makeFinding({ severity: 'CRITICAL' }), RULE, { kind: 'escalated' });
    expect(text).toContain(
      '\nIncident\n  This session reached CRITICAL; its first alert was sent earlier.\n',
    );
  });

  it('adds nothing for a single alert or without a note', () => {
    const plain = renderText(makeFinding(), RULE);
    expect(plain).not.toContain('Incident');
    expect(renderText(makeFinding(), RULE, { kind: 'single' })).toBe(plain);
  });

  it('names no time for a digestAt that is not one, and keeps a hostile session id on its line', () => {
    const text = renderText(makeFinding({ sessionId: EVIL }), RULE, { kind: 'opened', digestAt: EVIL });
    const line = text.split('\n').find((l) => l.startsWith('  First alert for session '));
    expect(line).toBeDefined();
    expect(line).toMatch(/in this incident window come in one digest\.$/);
    expect(line!.length).toBeLessThan(300);
    expect(text.match(/^Links$/gm)).toHaveLength(1);
    expect(text).not.toMatch(/[\u202e\u0007\u001b]/);
  });
});

describe('digestSubject', () => {
  it('says how many findings in which session on which target, or by whom in which category', () => {
    expect(digestSubject(makeDigest())).toBe(
      '[HIGH] Digest: 12 findings in session alice-0a1b2c3d4e5f67890 on i-0abc1234def567890',
    );
    expect(digestSubject(principalDigest())).toBe('[HIGH] Digest: 1 finding by alice (port-forwarding)');
    const arnOnly = principalDigest();
    arnOnly.incident.principal = { arn: 'arn:aws:iam::123456789012:user/bob', type: 'IAMUser' };
    expect(digestSubject(arnOnly)).toBe(
      '[HIGH] Digest: 1 finding by arn:aws:iam::123456789012:user/bob (port-forwarding)',
    );
  });

  it('is printable ASCII, one line and shorter than 100 characters for hostile values', () => {
    const base = makeDigest();
    for (const digest of [
      makeDigest({ incident: { ...base.incident, sessionId: EVIL, target: EVIL } }),
      principalDigest({
        incident: { scope: 'principal', principal: { arn: EVIL, type: EVIL, name: EVIL }, category: 'pii' },
      }),
      makeDigest({ incident: { ...base.incident, sessionId: 'Zugriff über — 🚨\u202e' } }),
    ]) {
      const subject = digestSubject(digest);
      expectSubject(subject);
      expect(
        subject.startsWith('[HIGH] Digest: 12 findings ') || subject.startsWith('[HIGH] Digest: 1 finding '),
      ).toBe(true);
    }
  });
});

describe('renderDigestText', () => {
  const text = renderDigestText(makeDigest({ omittedRules: 4 }));

  it('has who, where, the window, the totals, one line per rule and links', () => {
    for (const part of [
      'HIGH Digest: 12 findings in session alice-0a1b2c3d4e5f67890 on i-0abc1234def567890\n',
      '\nWho\n  Principal: arn:aws:sts::123456789012:assumed-role/Admin/alice\n  Type: AssumedRole\n  Name: alice\n',
      '  Account: 123456789012\n  Region: eu-west-1\n  Target: i-0abc1234def567890\n  Session: alice-0a1b2c3d4e5f67890\n',
      '  Category: secret\n',
      '\nWindow\n  Number: 1\n  Start: 2026-03-02T14:05:09Z\n  End: 2026-03-02T14:20:09Z\n',
      '\nFindings\n  Total: 12\n  Alerted at once: 1\n  New in this digest: 11\n',
      `\nBy rule (masked)\n  HIGH           3 x  AWS access key printed in a session (tx-secret-aws-access-key): export AWS_ACCESS_KEY_ID=${MASKED.accessKey}\n`,
      `  MEDIUM         8 x  SSN in session output (tx-pii-ssn): ${MASKED.ssn}\n`,
      '  LOW            1 x  sudo in a session (cmd-sudo)\n  ... and 4 more rules\n',
      '\nLinks\n  Session history: https://eu-west-1.console.aws.amazon.com/systems-manager/session-manager/alice-0a1b2c3d4e5f67890?region=eu-west-1\n',
      '  EC2 instance: https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1#InstanceDetails:instanceId=i-0abc1234def567890\n',
      '\nDigest id: d-alice-0a1b2c3d4e5f67890-1\n',
    ]) {
      expect(text).toContain(part);
    }
    for (const raw of Object.values(RAW)) expect(text).not.toContain(raw);
  });

  it('has no links without a valid region, and none for a principal incident without a session', () => {
    const base = makeDigest();
    expect(
      renderDigestText(makeDigest({ incident: { ...base.incident, region: 'evil.example/x' } })),
    ).not.toContain('Links');
    const principal = renderDigestText(principalDigest());
    expect(principal).not.toContain('Links');
    expect(principal).not.toContain('more rule');
    expect(principal).toContain('HIGH Digest: 1 finding by alice (port-forwarding)\n');
  });

  it('lists at most DIGEST_MAX_RULES rules and counts the rest', () => {
    const rules = Array.from({ length: DIGEST_MAX_RULES + 5 }, (_, i) => ({
      ruleId: `rule-${i}`,
      title: `Rule ${i}`,
      severity: 'LOW' as const,
      count: 1,
    }));
    const out = renderDigestText(makeDigest({ rules, omittedRules: 7 }));
    expect(out.match(/^ {2}LOW {11} 1 x {2}Rule \d+ \(rule-\d+\)$/gm)).toHaveLength(DIGEST_MAX_RULES);
    expect(out).toContain('  ... and 12 more rules\n');
  });

  it('keeps every value on its own bounded line so none can forge lines or sections', () => {
    const base = makeDigest();
    const forged = renderDigestText(
      makeDigest({
        id: EVIL,
        incident: {
          ...base.incident,
          // The target stays an instance id so the one real Links section is there to count.
          sessionId: EVIL,
          sourceIp: EVIL,
          sessionKind: EVIL,
          account: EVIL,
          principal: { arn: EVIL, type: EVIL, name: EVIL },
        },
        window: { number: 1, start: EVIL, end: EVIL },
        rules: Array.from({ length: DIGEST_MAX_RULES }, () => ({
          ruleId: EVIL,
          title: EVIL,
          severity: 'HIGH' as const,
          count: 2,
          excerpt: EVIL,
        })),
      }),
    );
    expect(forged.match(/^Links$/gm)).toHaveLength(1);
    expect(forged).not.toMatch(/^ {2}x: http:\/\/evil$/m);
    expect(forged).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202e]/);
    for (const line of forged.split('\n')) expect(line.length).toBeLessThan(1000);
    expect(forged.length).toBeLessThan(30_000);
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
