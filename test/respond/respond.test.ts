import { describe, expect, it } from 'vitest';
import { MemorySessionStore, MemoryTerminationGuard } from '#cli/state';
import { parseConfig } from '#shared/model/config';
import { isExempt, RESPONDER_RULE_ID, respond, terminateManually } from '#shared/respond/respond';
import type { SessionControl, SessionStatus } from '#shared/respond/types';
import { reverseShellFinding } from '../format/findings';

const NOW = new Date('2026-03-01T12:34:56Z');

const trigger = reverseShellFinding;

class FakeControl implements SessionControl {
  terminated: string[] = [];
  statuses: string[] = [];
  constructor(
    private readonly state: SessionStatus = 'active',
    private readonly fail = false,
  ) {}
  async status(id: string) {
    this.statuses.push(id);
    return this.state;
  }
  async terminate(id: string) {
    if (this.fail) throw new Error('ThrottlingException');
    this.terminated.push(id);
  }
}

function deps(auto: Record<string, unknown>, control = new FakeControl()) {
  return {
    config: parseConfig({ autoTerminate: { enabled: true, dryRun: false, ...auto } }),
    guard: new MemoryTerminationGuard(),
    sessions: new MemorySessionStore(),
    control,
    now: () => NOW,
  };
}

describe('respond', () => {
  it('terminates an active session once and reports it', async () => {
    const control = new FakeControl();
    const d = deps({}, control);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await respond(trigger(), d));
    expect(results.map((r) => r.outcome)).toEqual(['terminated', 'already-ended', 'already-ended']);
    expect(control.terminated).toEqual(['alice-0123456789abcdef0']);
    expect((await d.sessions.get('alice-0123456789abcdef0'))?.endedAt).toBe(NOW.toISOString());
    expect(results[0]?.finding).toMatchObject({
      ruleId: RESPONDER_RULE_ID,
      category: 'session-terminated',
      source: 'responder',
      severity: 'HIGH',
      sessionId: 'alice-0123456789abcdef0',
      target: 'i-0123456789abcdef0',
      account: '111122223333',
      region: 'eu-west-1',
      time: NOW.toISOString(),
      evidence: [{ kind: 'TRIGGER', excerpt: 'cmd-reverse-shell CRITICAL' }],
    });
  });

  it('claims once when the same finding arrives concurrently', async () => {
    const control = new FakeControl();
    const d = deps({}, control);
    const results = await Promise.all([respond(trigger(), d), respond(trigger(), d), respond(trigger(), d)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['duplicate', 'duplicate', 'terminated']);
    expect(control.terminated).toEqual(['alice-0123456789abcdef0']);
  });

  it('does nothing when disabled (the default)', async () => {
    const control = new FakeControl();
    const d = { ...deps({}, control), config: parseConfig({}) };
    expect(await respond(trigger(), d)).toEqual({ outcome: 'disabled' });
    expect(control.statuses).toEqual([]);
  });

  it('ignores findings below the configured severity', async () => {
    const control = new FakeControl();
    expect(await respond(trigger({ severity: 'HIGH' }), deps({}, control))).toEqual({
      outcome: 'below-threshold',
    });
    expect(
      (await respond(trigger({ severity: 'HIGH' }), deps({ minSeverity: 'HIGH' }, control))).outcome,
    ).toBe('terminated');
  });

  it('never terminates on context, whatever its severity; acts (root, risky commands) do', async () => {
    const control = new FakeControl();
    const d = deps({ minSeverity: 'HIGH' }, control);
    for (const [ruleId, category] of [
      ['session-start-shell', 'session-start'],
      ['session-production-target', 'production-target'],
      ['session-untrusted-network', 'untrusted-network'],
      ['session-off-hours', 'off-hours'],
      ['session-missing-reason', 'missing-reason'],
      ['principal-fan-out', 'lateral-movement'],
      ['session-missing-transcript', 'missing-transcript'],
      // Unknown to this version: its category decides.
      ['session-start-from-a-newer-stack', 'session-start'],
    ] as const) {
      const r = await respond(trigger({ ruleId, category, severity: 'CRITICAL' }), d);
      expect(r.outcome, ruleId).toBe('not-terminable');
    }
    expect(control.terminated).toEqual([]);
    const root = await respond(
      trigger({ id: 'f-root', ruleId: 'session-root-principal', category: 'privileged-principal' }),
      d,
    );
    expect(root.outcome).toBe('terminated');
  });

  it('never acts on its own findings or findings without a session', async () => {
    const d = deps({});
    expect((await respond(trigger({ source: 'responder', category: 'session-terminated' }), d)).outcome).toBe(
      'not-applicable',
    );
    expect((await respond(trigger({ sessionId: undefined }), d)).outcome).toBe('not-applicable');
    expect((d.control as FakeControl).terminated).toEqual([]);
  });

  it('never terminates an exempt principal (break-glass role session)', async () => {
    const control = new FakeControl();
    const principal = {
      arn: 'arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/oncall',
      type: 'AssumedRole',
    };
    expect((await respond(trigger({ principal }), deps({}, control))).outcome).toBe('exempt');
    expect(control.terminated).toEqual([]);
  });

  it('takes the principal from the session record and refuses when it is unknown', async () => {
    const control = new FakeControl();
    const d = deps({}, control);
    expect((await respond(trigger({ principal: undefined }), d)).outcome).toBe('unknown-principal');
    await d.sessions.put({
      sessionId: 'alice-0123456789abcdef0',
      startTime: '2026-03-01T12:00:00Z',
      principal: { arn: 'arn:aws:iam::111122223333:role/BreakGlass', type: 'AssumedRole' },
    });
    expect((await respond(trigger({ principal: undefined }), d)).outcome).toBe('exempt');
    expect(control.terminated).toEqual([]);
  });

  it('skips sessions already ended, in state or per DescribeSessions', async () => {
    const d = deps({}, new FakeControl('ended'));
    expect((await respond(trigger(), d)).outcome).toBe('already-ended');
    const d2 = deps({});
    await d2.sessions.markEnded('alice-0123456789abcdef0', '2026-03-01T12:30:00Z');
    expect((await respond(trigger(), d2)).outcome).toBe('already-ended');
    expect((d2.control as FakeControl).statuses).toEqual([]);
  });

  it('terminates a session DescribeSessions does not know (not proven ended)', async () => {
    expect((await respond(trigger(), deps({}, new FakeControl('unknown')))).outcome).toBe('terminated');
  });

  it('dry-run reports once per session and never calls TerminateSession', async () => {
    const control = new FakeControl();
    const d = deps({ dryRun: true }, control);
    const first = await respond(trigger(), d);
    expect(first.outcome).toBe('dry-run');
    expect(first.finding).toMatchObject({
      severity: 'LOW',
      title: 'Session would have been terminated (dry run)',
    });
    expect((await respond(trigger(), d)).outcome).toBe('duplicate');
    expect(control.terminated).toEqual([]);
    expect((await d.sessions.get('alice-0123456789abcdef0'))?.endedAt).toBeUndefined();
  });

  it('stops at the hourly cap', async () => {
    const control = new FakeControl();
    const d = deps({ maxPerHour: 2 }, control);
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await respond(trigger({ sessionId: `s-${i}` }), d)).outcome);
    expect(outcomes).toEqual(['terminated', 'terminated', 'capped', 'capped']);
    expect(control.terminated).toEqual(['s-0', 's-1']);
  });

  it('still reports the termination when the session store cannot be updated', async () => {
    const d = deps({});
    d.sessions.markEnded = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const r = await respond(trigger(), d);
    expect(r.outcome).toBe('terminated');
    expect(r.finding?.category).toBe('session-terminated');
  });

  it('gives the claim back when TerminateSession fails, so a retry can act', async () => {
    const released: string[] = [];
    const d = deps({}, new FakeControl('active', true));
    const guard = Object.assign(new MemoryTerminationGuard(), {
      release: async (id: string) => {
        released.push(id);
      },
    });
    await expect(respond(trigger(), { ...d, guard })).rejects.toThrow('ThrottlingException');
    expect(released).toEqual(['alice-0123456789abcdef0']);
  });
});

describe('isExempt', () => {
  const patterns = ['arn:aws:iam::*:role/BreakGlass*'];
  it.each([
    ['arn:aws:iam::111122223333:role/BreakGlass', true],
    ['arn:aws:iam::111122223333:role/breakglass-admin', true],
    ['arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/oncall', true],
    ['arn:aws-us-gov:sts::111122223333:assumed-role/BreakGlass/x', false],
    ['arn:aws:sts::111122223333:assumed-role/Admin/BreakGlass', false],
    ['arn:aws:iam::111122223333:user/BreakGlass', false],
    ['arn:aws:iam::111122223333:role/NotBreakGlass', false],
  ])('%s → %s', (arn, expected) => {
    expect(isExempt(arn, patterns)).toBe(expected);
  });

  it('matches a role name under a path for assumed-role sessions', () => {
    const sso = ['arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Emergency_*'];
    expect(
      isExempt('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Emergency_0a1b2c3d/alice', sso),
    ).toBe(true);
    expect(
      isExempt('arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0a1b2c3d/alice', sso),
    ).toBe(false);
  });

  it('treats regex characters in patterns literally', () => {
    expect(isExempt('arn:aws:iam::111122223333:user/a.b', ['arn:aws:iam::*:user/a.b'])).toBe(true);
    expect(isExempt('arn:aws:iam::111122223333:user/axb', ['arn:aws:iam::*:user/a.b'])).toBe(false);
  });
});

describe('terminateManually', () => {
  const manual = (finding = trigger()) => ({
    trigger: finding,
    sessionId: finding.sessionId ?? '',
    requestedBy: 'U024BE7LH',
  });

  it('ignores enabled, minSeverity and the terminable-rule check (a person decided)', async () => {
    const control = new FakeControl();
    const d = deps({ enabled: false, minSeverity: 'CRITICAL' }, control);
    // A session start is context the responder never acts on, and it is below the threshold.
    const context = trigger({
      ruleId: 'session-start-unusual-hour',
      category: 'session-start',
      severity: 'LOW',
    });
    expect(await respond(context, d)).toEqual({ outcome: 'disabled' });
    const r = await terminateManually(manual(context), d);
    expect(r.outcome).toBe('terminated');
    expect(control.terminated).toEqual(['alice-0123456789abcdef0']);
    expect(r.finding).toMatchObject({
      title: 'Session terminated from Slack',
      reasons: ['terminated from Slack by U024BE7LH', expect.stringContaining('session-start-unusual-hour')],
    });
  });

  it('applies exemption, the shared once-per-session claim, the cap and dry-run', async () => {
    const control = new FakeControl();
    const d = deps({ maxPerHour: 1 }, control);
    const breakGlass = trigger({
      principal: {
        arn: 'arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/oncall',
        type: 'AssumedRole',
      },
    });
    expect((await terminateManually(manual(breakGlass), d)).outcome).toBe('exempt');
    expect((await respond(trigger(), d)).outcome).toBe('terminated');
    expect((await terminateManually(manual(), d)).outcome).toBe('already-ended');
    const other = trigger({ sessionId: 'bob-0123456789abcdef0' });
    expect((await terminateManually(manual(other), d)).outcome).toBe('capped');
    expect(control.terminated).toEqual(['alice-0123456789abcdef0']);

    const dry = deps({ dryRun: true }, new FakeControl());
    const r = await terminateManually(manual(), dry);
    expect(r.outcome).toBe('dry-run');
    expect(r.finding?.title).toBe('Session would have been terminated from Slack (dry run)');
  });
});
