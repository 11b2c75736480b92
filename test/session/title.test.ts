import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '#shared/pipeline/record';
import { composeTitle, MAX_TITLE, type TitleReason } from '#shared/session/title';
import { CLOUDTRAIL_FIXTURES, makeContext, readJson } from './helpers';

const PLAIN = 'Interactive shell session started';
const shell = (...reasons: TitleReason[]) => composeTitle({ ruleId: 'session-start-shell', reasons }, PLAIN);

describe('composeTitle', () => {
  it('keeps the rule title when there is no reason', () => {
    expect(shell()).toBe(PLAIN);
  });

  it.each<[TitleReason, string]>([
    [{ kind: 'root' }, 'Shell session by the root user'],
    [{ kind: 'long-term-key' }, 'Shell session with a long-term access key without MFA'],
    [
      { kind: 'production', target: 'i-0e57975fb4405c6a9' },
      'Shell session on production target i-0e57975fb4405c6a9',
    ],
    [{ kind: 'production' }, 'Shell session on a production target'],
    [{ kind: 'untrusted-network' }, 'Shell session from an untrusted network'],
    [
      { kind: 'off-hours', day: 'Sun', hhmm: '03:00', timezone: 'Europe/Berlin' },
      'Shell session at Sun 03:00 Europe/Berlin',
    ],
    [{ kind: 'off-hours' }, 'Shell session outside business hours'],
    [{ kind: 'missing-reason' }, 'Shell session, no reason given'],
    [{ kind: 'no-mfa' }, 'Shell session, no MFA'],
    [{ kind: 'instance-credentials' }, 'Shell session with instance-role credentials'],
    [{ kind: 'unlogged' }, 'Shell session, no transcript'],
    [{ kind: 'first-seen', days: 90 }, 'Shell session, first use in 90 days'],
  ])('names %j', (reason, title) => {
    expect(shell(reason)).toBe(title);
  });

  it('orders the strongest first, whatever order they come in, and names each kind once', () => {
    expect(
      shell(
        { kind: 'missing-reason' },
        { kind: 'untrusted-network' },
        { kind: 'production', target: 'i-0e57975fb4405c6a9' },
        { kind: 'untrusted-network' },
      ),
    ).toBe(
      'Shell session on production target i-0e57975fb4405c6a9 from an untrusted network, no reason given',
    );
    expect(shell({ kind: 'no-mfa' }, { kind: 'root' })).toBe('Shell session by the root user, no MFA');
  });

  it('names at most four, then "+N more"', () => {
    expect(
      shell(
        { kind: 'first-seen', days: 30 },
        { kind: 'no-mfa' },
        { kind: 'missing-reason' },
        { kind: 'off-hours', day: 'Sat', hhmm: '23:59', timezone: 'UTC' },
        { kind: 'untrusted-network' },
        { kind: 'production' },
      ),
    ).toBe(
      'Shell session on a production target from an untrusted network at Sat 23:59 UTC, no reason given, +2 more',
    );
  });

  it('names the subject of each kind, with a checked port', () => {
    const title = (ruleId: string, port?: number) =>
      composeTitle({ ruleId, reasons: [{ kind: 'untrusted-network' }], ...(port ? { port } : {}) }, 'plain');
    expect(title('session-port-forward-sensitive-port', 5432)).toBe(
      'Port forwarding to sensitive port 5432 from an untrusted network',
    );
    expect(title('session-port-forward-local', 8080)).toBe(
      'Port forwarding to port 8080 from an untrusted network',
    );
    expect(title('session-port-forward-local', 70_000)).toBe('Port forwarding from an untrusted network');
    expect(title('session-ssh-tunnel')).toBe('SSH session from an untrusted network');
    expect(title('session-remote-desktop')).toBe('Remote desktop connection from an untrusted network');
    expect(title('run-command-send')).toBe('Run Command from an untrusted network');
    expect(title('session-resumed-new-ip')).toBe(
      'Session resumed after an address change from an untrusted network',
    );
    // A rule without a subject of its own: its title is the subject.
    expect(title('some-new-rule')).toBe('plain from an untrusted network');
  });

  it('shows a target only in the shape of an instance or managed-node id', () => {
    for (const target of [
      '203.0.113.7',
      'i-0abc\u001b[2J',
      'i-0e57975fb4405c6a9 and more',
      'tag:Environment=prod',
      'i-d3********',
      `mi-${'a'.repeat(300)}`,
    ])
      expect(shell({ kind: 'production', target })).toBe('Shell session on a production target');
    expect(shell({ kind: 'production', target: 'mi-0123456789abcdef0' })).toBe(
      'Shell session on production target mi-0123456789abcdef0',
    );
  });

  it('shows a local time only when day, time and zone have their shape', () => {
    expect(shell({ kind: 'off-hours', day: 'Sun', hhmm: '3:00', timezone: 'UTC' })).toBe(
      'Shell session outside business hours',
    );
    expect(shell({ kind: 'off-hours', day: 'Sunday\u202e', hhmm: '03:00' })).toBe(
      'Shell session outside business hours',
    );
    expect(shell({ kind: 'off-hours', day: 'Mon', hhmm: '03:00', timezone: 'Europe/Berlin\n[HIGH]' })).toBe(
      'Shell session at Mon 03:00',
    );
  });

  it('is never longer than MAX_TITLE, printable, and only from its fixed words and checked values', () => {
    const reason = fc.oneof(
      fc.constantFrom<TitleReason>(
        { kind: 'root' },
        { kind: 'long-term-key' },
        { kind: 'untrusted-network' },
        { kind: 'missing-reason' },
        { kind: 'no-mfa' },
        { kind: 'instance-credentials' },
        { kind: 'unlogged' },
      ),
      fc.record({ kind: fc.constant('production' as const), target: fc.string({ maxLength: 400 }) }),
      fc.record({
        kind: fc.constant('off-hours' as const),
        day: fc.string(),
        hhmm: fc.string(),
        timezone: fc.string({ maxLength: 400 }),
      }),
      fc.record({ kind: fc.constant('first-seen' as const), days: fc.integer() }),
    );
    fc.assert(
      fc.property(fc.array(reason, { maxLength: 12 }), fc.string({ maxLength: 300 }), (reasons, ruleId) => {
        const title = composeTitle({ ruleId, reasons }, 'Plain title');
        expect(title.length).toBeLessThanOrEqual(MAX_TITLE);
        expect(title).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      }),
    );
    // The longest pieces do not fit four at a time: the weakest shown one goes to "+N more".
    const long = composeTitle(
      {
        ruleId: 'session-port-forward-sensitive-port',
        port: 65_535,
        reasons: [
          { kind: 'root' },
          { kind: 'long-term-key' },
          { kind: 'production', target: 'mi-0123456789abcdef0' },
          { kind: 'untrusted-network' },
          { kind: 'off-hours', day: 'Wed', hhmm: '22:00', timezone: `America/${'X'.repeat(31)}` },
          { kind: 'first-seen', days: 99_999 },
        ],
      },
      'plain',
    );
    expect(long).toBe(
      'Port forwarding to sensitive port 65535 by the root user with a long-term access key without MFA on production target mi-0123456789abcdef0, +3 more',
    );
    expect(long.length).toBeLessThanOrEqual(MAX_TITLE);
  });
});

describe('session start titles from classification', () => {
  const role = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-cloudtrail.json')) as Record<string, unknown>;
  const target = 'i-0e57975fb4405c6a9';
  const busy = {
    tags: { [target]: { Environment: 'prod' } },
    config: {
      trustedCidrs: ['10.0.0.0/8'],
      businessHours: { timezone: 'Europe/Berlin' },
      requireReasonOnProduction: true,
    },
  };

  it('names the strongest context of the primary; ids, severities and the other titles stay', async () => {
    const quiet = await classifyRecord(role, await makeContext());
    const r = await classifyRecord(role, await makeContext(busy));
    const primary = r.findings[0]!;
    expect(quiet.findings[0]!.title).toBe(PLAIN);
    expect(primary.title).toBe(
      'Shell session on production target i-0e57975fb4405c6a9 from an untrusted network at Sun 03:03 Europe/Berlin, no reason given',
    );
    expect(primary.id).toBe(quiet.findings[0]!.id);
    expect(primary.severity).toBe('MEDIUM');
    expect(r.findings.slice(1).map((f) => f.title)).toEqual([
      'Session or command on a production target',
      'Session call from an untrusted network',
      'Session outside business hours',
      'Production session without a reason',
    ]);
  });

  it('never puts the source IP or the session reason text in the title', async () => {
    const hostile = {
      ...role,
      sourceIPAddress: '198.51.100.23',
      requestParameters: {
        ...(role.requestParameters as object),
        reason: 'INC-4711 AKIAQ2WX7RZLM3KD5TPV alice@example.com',
      },
    };
    const r = await classifyRecord(hostile, await makeContext(busy));
    const primary = r.findings[0]!;
    expect(primary.title).toContain('from an untrusted network');
    for (const leaked of ['198.51.100', 'INC-4711', 'AKIA', 'alice@'])
      expect(primary.title).not.toContain(leaked);
  });

  it('names the root user and the missing MFA of a root session', async () => {
    const r = await classifyRecord(
      {
        ...role,
        userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' },
      },
      await makeContext({ tags: busy.tags }),
    );
    expect(r.findings[0]).toMatchObject({
      ruleId: 'session-root-principal',
      severity: 'CRITICAL',
      title: 'Shell session by the root user on production target i-0e57975fb4405c6a9, no MFA',
    });
  });

  it('names the kind and port of a forward, and keeps the rule title without context', async () => {
    const forward = {
      ...role,
      requestParameters: {
        ...(role.requestParameters as object),
        documentName: 'AWS-StartPortForwardingSession',
        parameters: { portNumber: ['5432'] },
      },
    };
    const plain = await classifyRecord(forward, await makeContext());
    expect(plain.findings[0]!.title).toBe('Port forwarding to a sensitive port');
    const r = await classifyRecord(forward, await makeContext({ config: { trustedCidrs: ['10.0.0.0/8'] } }));
    expect(r.findings[0]!.title).toBe('Port forwarding to sensitive port 5432 from an untrusted network');
  });

  it('names the context of a Run Command without naming its targets', async () => {
    const example = JSON.parse(readFileSync('shared/rules/examples/run-command-send.json', 'utf8')) as {
      examples: Array<{ record: Record<string, unknown> }>;
    };
    const send = example.examples[0]!.record;
    const r = await classifyRecord(
      send,
      await makeContext({
        tags: { 'i-0c4d5e6f708192a3b': { Environment: 'prod' } },
        config: { trustedCidrs: ['10.0.0.0/8'] },
      }),
    );
    expect(r.findings[0]).toMatchObject({
      ruleId: 'run-command-send',
      title: 'Run Command on a production target from an untrusted network',
    });
  });
});
