import { describe, expect, it } from 'vitest';
import { CidrMatcher, diffPreferences, hasPrefix, isOffHours, parseAddress } from '#shared/session/index';
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
