import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stableId } from '#shared/ids';
import { parseConfig } from '#shared/model/config';
import {
  CidrMatcher,
  type ClassifyContext,
  classifyEvent,
  diffPreferences,
  digestPreferences,
  factsFor,
  hasPrefix,
  isOffHours,
  parseAddress,
  readRecord,
} from '#shared/session/index';
import { isOwnKey, parseOwnKeys } from '#shared/session/monitor';

describe('CidrMatcher', () => {
  const m = new CidrMatcher(['10.0.0.0/8', '192.0.2.128/25', '2001:db8:1::/48', '0.0.0.0/32']);
  it.each([
    ['10.255.1.2', true],
    ['11.0.0.1', false],
    ['192.0.2.129', true],
    ['192.0.2.127', false],
    ['::ffff:10.1.1.1', true],
    ['2001:db8:1:ffff::1', true],
    ['2001:db8:2::1', false],
    ['[2001:db8:1::5]', true],
    ['fe80::1%eth0', false],
    ['ssm.amazonaws.com', undefined],
    ['AWS Internal', undefined],
    ['999.1.1.1', undefined],
  ])('%s → %s', (ip, inside) => {
    expect(m.contains(ip)).toBe(inside);
  });

  it('/0 matches everything of both families', () => {
    const any = new CidrMatcher(['0.0.0.0/0', '::/0']);
    expect(any.contains('203.0.113.9')).toBe(true);
    expect(any.contains('2001:db8::9')).toBe(true);
    expect(new CidrMatcher([]).empty).toBe(true);
  });

  it('parses IPv4 as IPv4-mapped IPv6', () => {
    expect(parseAddress('1.2.3.4')).toBe(parseAddress('::ffff:1.2.3.4'));
  });
});

describe('isOffHours', () => {
  const hours = {
    timezone: 'Europe/Berlin',
    days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
    start: '08:00',
    end: '19:00',
  };
  it.each([
    ['2026-11-18T07:00:00Z', false, 'Wed', '08:00'],
    ['2026-11-18T06:59:00Z', true, 'Wed', '07:59'],
    ['2026-11-18T18:00:00Z', true, 'Wed', '19:00'],
    ['2026-07-15T16:59:00Z', false, 'Wed', '18:59'],
    ['2026-07-15T17:59:00Z', true, 'Wed', '19:59'],
    ['2026-11-22T02:03:28Z', true, 'Sun', '03:03'],
    ['2026-11-20T22:30:00Z', true, 'Fri', '23:30'],
  ])('%s → off %s (%s %s)', (iso, off, day, hhmm) => {
    const r = isOffHours(iso, hours);
    expect(r).toEqual({ off, day, hhmm });
  });
});

describe('diffPreferences', () => {
  const on = {
    s3BucketName: 'logs',
    s3EncryptionEnabled: true,
    cloudWatchLogGroupName: 'g',
    cloudWatchEncryptionEnabled: true,
    cloudWatchStreamingEnabled: true,
    kmsKeyId: 'k',
    shellProfile: { linux: 'exec bash', windows: '' },
  };

  it('reports nothing for equal preferences (key order ignored)', () => {
    expect(diffPreferences(on, { ...on, shellProfile: { windows: '', linux: 'exec bash' } })).toEqual({
      changes: [],
      disabled: [],
    });
  });

  it('names each protection switched off, with keys and on/off only', () => {
    const d = diffPreferences(on, {
      ...on,
      s3BucketName: '',
      cloudWatchStreamingEnabled: 'false',
      s3EncryptionEnabled: false,
      shellProfile: { linux: 'unset HISTFILE', windows: '' },
    });
    expect(d.disabled.sort()).toEqual(['encryption', 'logging', 'streaming']);
    expect(d.changes).toEqual([
      { key: 'cloudWatchStreamingEnabled', change: 'on → off' },
      { key: 's3BucketName', change: 'set → removed' },
      { key: 's3EncryptionEnabled', change: 'on → off' },
      { key: 'shellProfile', change: 'changed' },
    ]);
    expect(JSON.stringify(d)).not.toContain('HISTFILE');
  });

  it('switching protections on is a change, not a disabling', () => {
    const d = diffPreferences({}, on);
    expect(d.disabled).toEqual([]);
    expect(d.changes).toContainEqual({ key: 'kmsKeyId', change: 'unset → set' });
    expect(d.changes).toContainEqual({ key: 'cloudWatchStreamingEnabled', change: 'unset → on' });
  });

  it('reads the inputs of a whole document', () => {
    expect(
      diffPreferences({ inputs: on }, { schemaVersion: '1.0', inputs: { ...on, kmsKeyId: '' } }).disabled,
    ).toEqual(['encryption']);
  });

  it('without an earlier state only a missing log destination counts', () => {
    expect(diffPreferences(undefined, { idleSessionTimeout: '20' }).disabled).toEqual(['logging']);
    expect(diffPreferences(undefined, { cloudWatchLogGroupName: 'g' }).disabled).toEqual([]);
  });
});

describe('hasPrefix', () => {
  it.each([
    ['ssm-sentinel-notifier', true],
    ['/aws/lambda/ssm-sentinel-notifier', true],
    ['arn:aws:lambda:us-east-1:1:function:SSM-Sentinel-x', true],
    ['https://sqs.us-east-1.amazonaws.com/1/ssm-sentinel-dlq', true],
    ['my-ssm-sentinel', false],
    ['billing', false],
  ])('%s → %s', (name, ours) => {
    expect(hasPrefix(name, 'ssm-sentinel')).toBe(ours);
  });
});

describe('isOwnKey', () => {
  const arn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  it.each([
    ['alias/ssm-sentinel', [], true],
    ['alias/ssm-sentinel-logs', [], true],
    ['arn:aws:kms:us-east-1:123456789012:alias/ssm-sentinel', [], true],
    ['alias/billing', [], false],
    [arn, [], false],
    [arn, [arn], true],
    ['1234ABCD-12ab-34cd-56ef-1234567890ab', [arn], true],
    [arn, ['1234abcd-12ab-34cd-56ef-1234567890ab'], true],
    ['0987dcba-09fe-87dc-65ba-ab0987654321', [arn], false],
  ])('%s with %j → %s', (ref, own, ours) => {
    expect(isOwnKey(ref, 'ssm-sentinel', own)).toBe(ours);
  });
});

describe('parseOwnKeys', () => {
  it('splits the comma-separated variable and drops empty parts', () => {
    expect(parseOwnKeys(undefined)).toEqual([]);
    expect(parseOwnKeys('')).toEqual([]);
    expect(parseOwnKeys(' a , ,b')).toEqual(['a', 'b']);
  });
});

/**
 * The engine without state: readRecord, factsFor and classifyEvent run on plain literal facts. Nothing
 * of state is imported here; what a decision needs comes in as facts, what changes goes out as writes.
 */
describe('pure classification (no store)', () => {
  const record = JSON.parse(
    readFileSync(new URL('../fixtures/cloudtrail/attacker-cloudtrail.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
  const ctx: ClassifyContext = { config: parseConfig({ requireReasonOnProduction: true }) };
  const sessionId = 'mallory-g7ob4wkz5r5f6ky4ng257scvtx';
  const eventOf = (raw: unknown) => {
    const r = readRecord(raw, ctx);
    expect(r.error).toBeUndefined();
    return r.event!;
  };

  it('a start asks for its target tags; production tags raise it and the session is a write', () => {
    const ev = eventOf(record);
    const startMs = Date.parse('2026-11-22T02:03:28Z');
    // Hashed keys: state holds neither the principal's ARN nor the target.
    const principal = expect.stringMatching(/^[0-9a-f]+$/);
    const fanOutKey = expect.stringMatching(/^fanout#[0-9a-f]+$/);
    const q = factsFor(ev, ctx);
    expect(q).toEqual({
      seen: { key: principal },
      target: 'i-0e57975fb4405c6a9',
      fanOut: {
        key: fanOutKey,
        targets: [stableId('i-0e57975fb4405c6a9')],
        timeMs: startMs,
        windowMs: 600_000,
        // Nothing past the threshold (fanOut.targets) is ever needed: a store may stop there.
        limit: 3,
      },
    });
    expect(JSON.stringify(q)).not.toContain('mallory');
    const out = classifyEvent(ev, { tags: { Environment: 'prod' } }, ctx);
    expect(out.error).toBeUndefined();
    expect(out.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['session-start-shell', 'MEDIUM'],
      ['session-production-target', 'LOW'],
      ['session-missing-reason', 'MEDIUM'],
    ]);
    expect(out.writes).toEqual([
      {
        type: 'session',
        record: expect.objectContaining({
          sessionId,
          target: 'i-0e57975fb4405c6a9',
          sourceIp: '203.0.113.149',
        }),
      },
      // The principal's last start (first seen), the target in its fan-out window, the transcript due.
      { type: 'seen', key: q.seen?.key, timeMs: startMs, ttlDays: 30 },
      {
        type: 'window',
        key: q.fanOut?.key,
        eventId: stableId('i-0e57975fb4405c6a9'),
        // To the minute: repeats of one target within a minute are one member of the window.
        timeMs: Math.floor(startMs / 60_000) * 60_000,
        windowMs: 600_000,
        limit: 3,
      },
      { type: 'expect-transcript', sessionId, dueMs: startMs + 600_000 },
    ]);
    // Unknown tags: the shell alone.
    expect(classifyEvent(ev, {}, ctx).findings.map((f) => f.ruleId)).toEqual(['session-start-shell']);
  });

  it('a resume asks for its session and compares the start address from the facts', () => {
    const ev = eventOf({
      ...record,
      eventName: 'ResumeSession',
      eventID: 'resume-1',
      sourceIPAddress: '198.51.100.7',
      requestParameters: { sessionId },
    });
    expect(factsFor(ev, ctx)).toEqual({ sessionId });
    const session = {
      sessionId,
      startTime: '2026-11-22T02:03:28Z',
      sourceIp: '203.0.113.149',
      target: 'i-1',
    };
    const out = classifyEvent(ev, { session }, ctx);
    expect(out.findings).toEqual([
      expect.objectContaining({
        ruleId: 'session-resumed-new-ip',
        target: 'i-1',
        reasons: ['resumed from 198.51.100.7, started from 203.0.113.149'],
      }),
    ]);
    expect(out.writes).toEqual([]);
    expect(classifyEvent(ev, {}, ctx).findings).toEqual([]);
  });

  it('a denied call asks for its window; windowCount + 1 makes the burst, the hit is a write', () => {
    const ev = eventOf({ ...record, errorCode: 'AccessDenied', responseElements: null });
    const q = factsFor(ev, ctx);
    expect(q).toEqual({
      window: {
        key: expect.any(String),
        eventId: expect.any(String),
        timeMs: Date.parse(ev.time),
        windowMs: 600_000,
        // Counted exactly up to 1000 (reasons name the number), bounded on hostile input.
        limit: 1000,
      },
    });
    expect(JSON.stringify(q)).not.toContain('mallory');
    const quiet = classifyEvent(ev, { windowCount: 3 }, ctx);
    expect(quiet.findings.map((f) => f.ruleId)).toEqual(['session-access-denied']);
    const burst = classifyEvent(ev, { windowCount: 4 }, ctx);
    expect(burst.findings).toEqual([
      expect.objectContaining({ ruleId: 'session-access-denied-burst', count: 5 }),
    ]);
    expect(burst.writes).toEqual([{ type: 'window', ...q.window }]);
  });

  it('a preferences change asks for its document; the digest of the new content is the write', () => {
    const ev = eventOf({
      ...record,
      eventName: 'UpdateDocument',
      requestParameters: { name: 'SSM-SessionManagerRunShell', content: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      responseElements: null,
    });
    expect(factsFor(ev, ctx)).toEqual({ preferencesDocument: 'SSM-SessionManagerRunShell' });
    const stored = digestPreferences({ s3BucketName: 'corp-session-logs', cloudWatchStreamingEnabled: true });
    const current = { inputs: { s3BucketName: '', cloudWatchStreamingEnabled: false } };
    const out = classifyEvent(ev, { preferences: { stored, current } }, ctx);
    expect(out.findings.map((f) => f.ruleId)).toEqual(['session-preferences-protection-disabled']);
    expect(out.writes).toEqual([
      {
        type: 'preferences',
        document: 'SSM-SessionManagerRunShell',
        preferences: digestPreferences(current),
      },
    ]);
    expect(JSON.stringify(out)).not.toContain('corp-session-logs');
    // No preferences facts: the content is unknown, nothing to store.
    const unknown = classifyEvent(ev, {}, ctx);
    expect(unknown.findings.map((f) => f.ruleId)).toEqual(['session-preferences-changed']);
    expect(unknown.writes).toEqual([]);
  });

  it('a terminate is only a write; an irrelevant record is nothing', () => {
    const ev = eventOf({ ...record, eventName: 'TerminateSession', requestParameters: { sessionId } });
    expect(factsFor(ev, ctx)).toEqual({});
    expect(classifyEvent(ev, {}, ctx)).toEqual({
      findings: [],
      writes: [{ type: 'session-ended', sessionId, time: ev.time }],
    });
    expect(readRecord({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances' }, ctx)).toEqual({});
  });
});
