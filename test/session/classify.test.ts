import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FindingSchema } from '#shared/model/finding';
import { classifyRecord } from '#shared/pipeline/record';
import { classifyEvent, digestPreferences, normalise, parseRecord } from '#shared/session/index';
import { CLOUDTRAIL_FIXTURES, fixtureFiles, makeContext, readJson, recordsOf } from './helpers';

const role = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-cloudtrail.json')) as Record<string, unknown>;
const envelope = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-eventbridge.json'));
const stratus = readJson(join(CLOUDTRAIL_FIXTURES, 'stratus-ssm-start-session.detonation.json')) as Array<
  Record<string, unknown>
>;
const target = 'i-0e57975fb4405c6a9';
const sessionId = 'mallory-g7ob4wkz5r5f6ky4ng257scvtx';

const withRequest = (params: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...role,
  ...extra,
  requestParameters: { ...(role.requestParameters as object), ...params },
});

describe('classifyRecord on every real record', () => {
  const files = fixtureFiles();
  it.each(files)('%s classifies without error into valid findings', async (file) => {
    const ctx = await makeContext({ config: { trustedCidrs: ['10.0.0.0/8'] } });
    for (const raw of recordsOf(readJson(join(CLOUDTRAIL_FIXTURES, file)))) {
      const r = await classifyRecord(raw, ctx);
      expect(r.error).toBeUndefined();
      for (const f of r.findings) expect(FindingSchema.parse(f)).toEqual(f);
    }
  });

  it('never echoes tokenValue or streamUrl', async () => {
    const ctx = await makeContext();
    const text = JSON.stringify((await classifyRecord(envelope, ctx)).findings);
    expect(text).not.toContain('Value hidden');
    expect(text).not.toContain('wss://');
    expect(text).not.toContain('cell-number');
  });
});

describe('one primary finding per StartSession, raised per context signal', () => {
  it('plain shell is INFORMATIONAL and alone', async () => {
    const r = await classifyRecord(role, await makeContext());
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([['session-start-shell', 'INFORMATIONAL']]);
    expect(r.findings[0]).toMatchObject({
      source: 'cloudtrail',
      category: 'session-start',
      sessionId,
      target,
      sessionKind: 'shell',
      principal: {
        arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
        type: 'AssumedRole',
        name: 'mallory',
      },
    });
  });

  it('signals raise the primary a step each, at most two, and each emits its own finding', async () => {
    const ctx = await makeContext({
      tags: { [target]: { Environment: 'prod' } },
      config: {
        trustedCidrs: ['10.0.0.0/8'],
        businessHours: { timezone: 'Europe/Berlin' },
        requireReasonOnProduction: true,
      },
    });
    const r = await classifyRecord(role, ctx);
    const primary = r.findings[0]!;
    expect(primary.ruleId).toBe('session-start-shell');
    // 4 signals: production, untrusted network, off-hours (Sunday 03:03 Berlin), missing reason; the
    // policy (shared/rules/policy.ts) counts two of them: INFORMATIONAL → MEDIUM. Every reason is kept.
    expect(primary.severity).toBe('MEDIUM');
    expect(primary.reasons).toHaveLength(5);
    expect(r.findings.slice(1).map((f) => [f.ruleId, f.severity])).toEqual([
      ['session-production-target', 'LOW'],
      ['session-untrusted-network', 'MEDIUM'],
      ['session-off-hours', 'LOW'],
      ['session-missing-reason', 'MEDIUM'],
    ]);
    expect(new Set(r.findings.map((f) => f.id)).size).toBe(r.findings.length);
  });

  it('context never makes CRITICAL: a HIGH kind with three signals stays HIGH', async () => {
    const ctx = await makeContext({
      tags: { [target]: { Environment: 'prod' } },
      config: { trustedCidrs: ['10.0.0.0/8'], businessHours: { timezone: 'Europe/Berlin' } },
    });
    const r = await classifyRecord(
      withRequest({
        documentName: 'AWS-StartPortForwardingSessionToRemoteHost',
        parameters: { host: ['db'], portNumber: ['5432'] },
      }),
      ctx,
    );
    expect(r.findings[0]).toMatchObject({ ruleId: 'session-port-forward-remote-host', severity: 'HIGH' });
    expect(r.findings.every((f) => f.severity !== 'CRITICAL')).toBe(true);
  });

  it('a remote-host forward says there is no transcript and names host and port', async () => {
    const r = await classifyRecord(
      withRequest({
        documentName: 'AWS-StartPortForwardingSessionToRemoteHost',
        parameters: { host: ['db.internal'], portNumber: ['5432'] },
      }),
      await makeContext(),
    );
    const f = r.findings[0]!;
    expect(f.severity).toBe('HIGH');
    expect(f.reasons.join(' ')).toContain('no transcript by design');
    expect(f.evidence).toEqual([
      { kind: 'HOST', excerpt: 'db.internal' },
      { kind: 'PORT', excerpt: '5432' },
    ]);
  });

  it('a root session is the primary CRITICAL finding; its port forward stays queryable', async () => {
    const r = await classifyRecord(
      withRequest(
        { documentName: 'AWS-StartPortForwardingSession', parameters: { portNumber: ['8080'] } },
        { userIdentity: { type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' } },
      ),
      await makeContext(),
    );
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['session-root-principal', 'CRITICAL'],
      ['session-port-forward-local', 'MEDIUM'],
    ]);
    expect(r.findings[0]!.principal).toEqual({
      arn: 'arn:aws:iam::111122223333:root',
      type: 'Root',
      name: 'root',
    });
  });

  it('a long-term key without MFA is the primary; its unlogged kind does not raise a HIGH to CRITICAL', async () => {
    const start = stratus.find((x) => x.eventName === 'StartSession')!;
    const r = await classifyRecord(
      { ...start, requestParameters: { target: 'i-1', documentName: 'AWS-StartSSHSession' } },
      await makeContext(),
    );
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['session-long-term-key-no-mfa', 'HIGH'],
      ['session-ssh-tunnel', 'MEDIUM'],
    ]);
  });

  it('severity overrides apply before raising', async () => {
    const ctx = await makeContext({
      tags: { [target]: { Environment: 'prod' } },
      config: { severityOverrides: { 'session-start-shell': 'LOW', 'session-production-target': 'MEDIUM' } },
    });
    const r = await classifyRecord(role, ctx);
    expect(r.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['session-start-shell', 'MEDIUM'],
      ['session-production-target', 'MEDIUM'],
    ]);
  });
});

describe('state and determinism', () => {
  it('same record, bare or in its envelope, gives the same ids every time', async () => {
    const a = await classifyRecord(role, await makeContext());
    const b = await classifyRecord(envelope, await makeContext());
    const c = await classifyRecord(structuredClone(role), await makeContext());
    expect(b.findings.map((f) => f.id)).toEqual(a.findings.map((f) => f.id));
    expect(c.findings.map((f) => f.id)).toEqual(a.findings.map((f) => f.id));
  });

  it('remembers the start and marks the end', async () => {
    const ctx = await makeContext();
    await classifyRecord(role, ctx);
    expect(await ctx.sessions.get(sessionId)).toMatchObject({
      sessionId,
      startTime: '2026-11-22T02:03:28Z',
      target,
      sourceIp: '203.0.113.149',
      sessionKind: 'shell',
      principal: { name: 'mallory' },
    });
    const terminate = {
      ...role,
      eventName: 'TerminateSession',
      eventID: 'e2',
      eventTime: '2026-11-22T02:10:00Z',
      requestParameters: { sessionId },
      responseElements: { sessionId },
    };
    expect((await classifyRecord(terminate, ctx)).findings).toEqual([]);
    expect((await ctx.sessions.get(sessionId))?.endedAt).toBe('2026-11-22T02:10:00Z');
  });

  it('a failed start stores nothing', async () => {
    const ctx = await makeContext();
    await classifyRecord({ ...role, errorCode: 'TargetNotConnected', responseElements: null }, ctx);
    expect(await ctx.sessions.get(sessionId)).toBeUndefined();
  });

  it('classifyEvent works on a normalised event directly', async () => {
    const parsed = parseRecord(role);
    if (!parsed.ok) throw new Error(parsed.error);
    const { findings } = classifyEvent(normalise(parsed.record)!, {}, (await makeContext()).ctx);
    expect(findings.map((f) => f.ruleId)).toEqual(['session-start-shell']);
  });
});

describe('preferences through the adapter', () => {
  const update = {
    ...role,
    eventName: 'UpdateDocument',
    requestParameters: { name: 'SSM-SessionManagerRunShell', content: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    responseElements: null,
  };
  const before = {
    s3BucketName: 'secret-bucket-name',
    cloudWatchLogGroupName: 'ssm-sentinel/sessions',
    cloudWatchStreamingEnabled: true,
    kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
  };

  it('diffs, stores the new preferences and reports keys and on/off only', async () => {
    const current = { ...before, cloudWatchStreamingEnabled: false, kmsKeyId: '' };
    const ctx = await makeContext({ preferences: { before, current } });
    const [f] = (await classifyRecord(update, ctx)).findings;
    expect(f).toMatchObject({ ruleId: 'session-preferences-protection-disabled', severity: 'CRITICAL' });
    expect(f!.evidence).toEqual([
      { kind: 'DOCUMENT', excerpt: 'SSM-SessionManagerRunShell' },
      { kind: 'PREFERENCE', excerpt: 'cloudWatchStreamingEnabled: on → off' },
      { kind: 'PREFERENCE', excerpt: 'kmsKeyId: set → removed' },
      { kind: 'PROTECTION_OFF', excerpt: 'streaming' },
      { kind: 'PROTECTION_OFF', excerpt: 'encryption' },
    ]);
    expect(JSON.stringify(f)).not.toContain('secret-bucket-name');
    // State keeps flags and digests, never a value.
    const stored = await ctx.preferences!.store.get('SSM-SessionManagerRunShell');
    expect(stored).toEqual(digestPreferences(current));
    expect(stored).toMatchObject({ cloudWatchStreamingEnabled: false, kmsKeyId: '' });
    expect(JSON.stringify(stored)).not.toMatch(/secret-bucket-name|ssm-sentinel\/sessions|key\/abcd/);
  });

  it('a second change is diffed against the stored digests', async () => {
    const ctx = await makeContext({ preferences: { before, current: before } });
    await classifyRecord(update, ctx);
    ctx.preferences!.source = { current: async () => ({ ...before, s3BucketName: 'other-bucket' }) };
    const [f] = (await classifyRecord({ ...update, eventID: 'second' }, ctx)).findings;
    expect(f).toMatchObject({ ruleId: 'session-preferences-changed' });
    expect(f!.evidence).toContainEqual({ kind: 'PREFERENCE', excerpt: 's3BucketName: changed' });
    expect(f!.evidence.filter((e) => e.kind === 'PREFERENCE')).toHaveLength(1);
  });

  it('a failing preferences source leaves the change at HIGH', async () => {
    const ctx = await makeContext({ preferences: { before } });
    ctx.preferences!.source = {
      current: async () => {
        throw new Error('ThrottlingException');
      },
    };
    const [f] = (await classifyRecord(update, ctx)).findings;
    expect(f).toMatchObject({ ruleId: 'session-preferences-changed', severity: 'HIGH' });
  });
});

describe('failures never escape', () => {
  it('a throwing store becomes an error line', async () => {
    const ctx = await makeContext();
    ctx.sessions = {
      get: async () => undefined,
      put: async () => {
        throw new Error('ProvisionedThroughputExceededException for user alice@example.com\nslow down');
      },
      markEnded: async () => undefined,
    };
    const r = await classifyRecord(role, ctx);
    expect(r.findings).toEqual([]);
    // describeError: one line, the e-mail masked.
    expect(r.error).toBe(
      'classification failed: Error: ProvisionedThroughputExceededException for user a***@e***.com',
    );
  });

  it('a throwing tag source only loses the production signal', async () => {
    const ctx = await makeContext();
    ctx.tags = {
      tags: async () => {
        throw new Error('boom');
      },
    };
    const r = await classifyRecord(role, ctx);
    expect(r.findings.map((f) => f.ruleId)).toEqual(['session-start-shell']);
  });

  it('a broken record of a handled event becomes an error line', async () => {
    const r = await classifyRecord({ ...role, eventTime: 'soon' }, await makeContext());
    expect(r).toEqual({
      findings: [],
      error:
        'invalid CloudTrail record: eventTime: not a valid ISO-8601 date-time such as 2025-02-19T20:13:49Z',
    });
  });

  it('irrelevant events are skipped without validation', async () => {
    const r = await classifyRecord(
      { eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', eventTime: 5 },
      await makeContext(),
    );
    expect(r).toEqual({ findings: [] });
  });
});
