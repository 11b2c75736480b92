import { type Digest, DigestSchema } from '#shared/model/digest';
import { type Finding, FindingSchema } from '#shared/model/finding';
import type { RuleMeta } from '#shared/rules/types';

/**
 * Raw values that the detectors saw. Findings only ever carry their masked forms; tests render
 * everything and check that none of these strings shows up anywhere.
 */
export const RAW = {
  accessKey: 'AKIAIOSFODNN7EXAMPLE',
  ssn: '123-45-6789',
  card: '4111111111111111',
} as const;

export const MASKED = {
  accessKey: 'AKIA************MPLE',
  ssn: '***-**-6789',
  card: '4111 **** **** 1111',
} as const;

/**
 * The least a sample finding carries: an AWS access key (masked) printed in alice's session, with
 * nothing about where it happened.
 */
export function bareFinding(overrides: Partial<Finding> = {}): Finding {
  return FindingSchema.parse({
    id: '5f1c0b7e9a2d4c6f8b0a1e3d5c7f9b2a',
    ruleId: 'tx-secret-aws-access-key',
    category: 'secret',
    severity: 'HIGH',
    title: 'AWS access key printed in a session',
    source: 'transcript',
    time: '2026-03-02T14:05:09Z',
    sessionId: 'alice-0a1b2c3d4e5f67890',
    evidence: [{ kind: 'AWS_ACCESS_KEY', excerpt: MASKED.accessKey }],
    ...overrides,
  });
}

/** Where alice's session ran and who she was. */
export const ALICE = {
  account: '123456789012',
  region: 'eu-west-1',
  principal: {
    arn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice',
    type: 'AssumedRole',
    name: 'alice',
  },
} as const satisfies Partial<Finding>;

export function makeFinding(overrides: Partial<Finding> = {}): Finding {
  return bareFinding({
    ...ALICE,
    target: 'i-0abc1234def567890',
    sourceIp: '203.0.113.7',
    sessionKind: 'shell',
    eventId: '3e7c1a52-4b8d-4f0e-9a61-2d5c8b7e1f04',
    reasons: ['access key printed on the terminal'],
    evidence: [
      {
        kind: 'AWS_ACCESS_KEY',
        excerpt: `export AWS_ACCESS_KEY_ID=${MASKED.accessKey}`,
        count: 2,
        lines: [4, 9],
      },
      { kind: 'SSN', excerpt: MASKED.ssn },
      { kind: 'CREDIT_DEBIT_NUMBER', excerpt: MASKED.card },
    ],
    ...overrides,
  });
}

/**
 * A reverse shell that alice's session ran: the kind of finding that can trigger auto-terminate.
 * Plain data, not parsed, so tests can hand the responder what a producer would put on the bus.
 */
export function reverseShellFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'f-1',
    ruleId: 'cmd-reverse-shell',
    category: 'risky-command',
    severity: 'CRITICAL',
    title: 'Reverse shell',
    source: 'transcript',
    time: '2026-03-01T12:34:00Z',
    account: '111122223333',
    region: 'eu-west-1',
    sessionId: 'alice-0123456789abcdef0',
    target: 'i-0123456789abcdef0',
    principal: { arn: 'arn:aws:iam::111122223333:user/alice', type: 'IAMUser', name: 'alice' },
    reasons: [],
    evidence: [{ kind: 'REVERSE_SHELL', excerpt: 'bash -i >& /dev/tcp/…' }],
    ...overrides,
  };
}

export const RULE: RuleMeta = {
  id: 'tx-secret-aws-access-key',
  category: 'secret',
  severity: 'HIGH',
  title: 'AWS access key printed in a session',
  description: 'A long-term AWS access key appeared in terminal output and is now in the session log.',
  playbook: [
    'Deactivate the key in IAM.',
    'Check CloudTrail for calls made with it.',
    'Rotate and re-issue.',
  ],
};

/** Strings an attacker can put into a session reason, a tag-derived target name or terminal output. */
export const HOSTILE = {
  channel: '<!channel> urgent',
  link: '<https://evil.example/x|click here>',
  here: '@here look',
  user: '<@U012AB3CD> hi',
  ticks: '```\n*bold* _it_ ~strike~ `code`',
  amp: 'a & b &amp; c',
} as const;

/**
 * The digest of alice's session's first window: the access key alerted at once, then more findings
 * held for the digest. Parsed, so a test that breaks the schema finds out here.
 */
export function makeDigest(overrides: Partial<Digest> = {}): Digest {
  return DigestSchema.parse({
    kind: 'digest',
    id: 'd-alice-0a1b2c3d4e5f67890-1',
    incident: {
      scope: 'session',
      sessionId: 'alice-0a1b2c3d4e5f67890',
      ...ALICE,
      target: 'i-0abc1234def567890',
      sessionKind: 'shell',
      sourceIp: '203.0.113.7',
      category: 'secret',
    },
    window: { number: 1, start: '2026-03-02T14:05:09Z', end: '2026-03-02T14:20:09Z' },
    severity: 'HIGH',
    total: 12,
    alerted: 1,
    rules: [
      {
        ruleId: 'tx-secret-aws-access-key',
        title: 'AWS access key printed in a session',
        severity: 'HIGH',
        count: 3,
        excerpt: `export AWS_ACCESS_KEY_ID=${MASKED.accessKey}`,
      },
      {
        ruleId: 'tx-pii-ssn',
        title: 'SSN in session output',
        severity: 'MEDIUM',
        count: 8,
        excerpt: MASKED.ssn,
      },
      { ruleId: 'cmd-sudo', title: 'sudo in a session', severity: 'LOW', count: 1 },
    ],
    omittedRules: 0,
    ...overrides,
  });
}

/** A digest of findings without a session: alice's port forwards, grouped by principal and category. */
export function principalDigest(overrides: Partial<Digest> = {}): Digest {
  return makeDigest({
    id: 'd-principal-alice-port-forwarding-2',
    incident: { scope: 'principal', ...ALICE, category: 'port-forwarding' },
    window: { number: 2, start: '2026-03-02T14:20:09Z', end: '2026-03-02T14:35:09Z' },
    total: 1,
    alerted: 0,
    rules: [
      {
        ruleId: 'port-forward-remote',
        title: 'Port forwarding to a remote host',
        severity: 'HIGH',
        count: 1,
      },
    ],
    ...overrides,
  });
}
