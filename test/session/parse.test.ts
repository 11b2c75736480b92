import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseTime, parseRecord, unwrapEnvelope } from '#shared/session/index';
import { CLOUDTRAIL_FIXTURES, fixtureFiles, readJson, recordsOf } from './helpers';

const files = fixtureFiles();

const panther = readJson(join(CLOUDTRAIL_FIXTURES, 'panther-start-session-sso.json')) as Record<
  string,
  unknown
>;

describe('parseRecord on the real records', () => {
  it.each(files)('%s parses', (file) => {
    const records = recordsOf(readJson(join(CLOUDTRAIL_FIXTURES, file))).map(unwrapEnvelope);
    expect(records.length).toBeGreaterThan(0);
    for (const raw of records) {
      const r = parseRecord(raw);
      expect(r.ok ? 'ok' : r.error).toBe('ok');
    }
  });

  it("normalises Panther's space-separated eventTime to ISO-8601 UTC", () => {
    const r = parseRecord(panther);
    expect(r.ok && r.record.eventTime).toBe('2025-02-19T20:13:49Z');
  });

  it('keeps unknown members (Panther p_* fields)', () => {
    const r = parseRecord(panther);
    expect(r.ok && (r.record as Record<string, unknown>).p_log_type).toBe('AWS.CloudTrail');
  });

  it('reads mfaAuthenticated as the string CloudTrail writes', () => {
    const r = parseRecord(panther);
    expect(r.ok && r.record.userIdentity?.sessionContext?.attributes?.mfaAuthenticated).toBe('false');
  });
});

describe('parseRecord on bad input', () => {
  it.each([
    [null, /expected an object, got null/],
    ['StartSession', /^not a CloudTrail record: expected an object, got a string$/],
    [[1, 2], /got an array/],
    [42, /got a number/],
    [{}, /eventTime|eventName/],
    [{ ...panther, eventName: 7 }, /eventName: .*expected string/],
    [{ ...panther, eventTime: undefined }, /eventTime/],
    [{ ...panther, eventTime: 'yesterday' }, /eventTime: not a valid ISO-8601 date-time/],
    [{ ...panther, eventTime: '2025-02-30T10:00:00Z' }, /eventTime: not a valid ISO-8601 date-time/],
    [{ ...panther, eventTime: '2025-02-19T20:13:49+99:99' }, /eventTime: not a valid ISO-8601 date-time/],
    [{ ...panther, userIdentity: 'root' }, /userIdentity/],
    [{ ...panther, userIdentity: { type: 'IAMUser', arn: 5 } }, /userIdentity/],
    [{ ...panther, requestParameters: [] }, /requestParameters/],
    [{ ...panther, resources: {} }, /resources/],
  ])('%j → error', (raw, message) => {
    const r = parseRecord(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(message);
      expect(r.error).not.toContain('\n');
    }
  });

  it('never quotes a bad value, however huge', () => {
    const r = parseRecord({ ...panther, eventTime: 'x'.repeat(1_000_000) });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.length).toBeLessThan(200);
      expect(r.error).not.toContain('xxx');
    }
  });

  it.each([
    ['eventTime', 'AKIAQ2WX7RZLM3KD5TPV'],
    ['eventTime', 'alice@example.com'],
    ['eventName', 4111111111111111],
    ['eventSource', ['123-45-6789']],
  ])('names %s but not the value %j', (member, value) => {
    const r = parseRecord({ ...panther, [member]: value });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain(member);
      expect(r.error).not.toContain(String(value));
    }
  });

  it('names the first problem by its key path and counts the rest', () => {
    const r = parseRecord({ ...panther, eventName: 7, eventSource: 8, awsRegion: 9 });
    expect(r.ok ? 'ok' : r.error).toMatch(
      /^invalid CloudTrail record: eventSource: expected string \(\+2 more\)$/,
    );
  });

  it('accepts a huge string where a string belongs', () => {
    const r = parseRecord({ ...panther, userAgent: 'a'.repeat(2_000_000) });
    expect(r.ok).toBe(true);
  });

  it('accepts null responseElements of a failed call', () => {
    const r = parseRecord({ ...panther, errorCode: 'AccessDenied', responseElements: null });
    expect(r.ok).toBe(true);
  });

  it('accepts an unknown identity type and a missing one', () => {
    expect(parseRecord({ ...panther, userIdentity: { type: 'SAMLUser', principalId: 'x' } }).ok).toBe(true);
    expect(parseRecord({ ...panther, userIdentity: { principalId: 'x' } }).ok).toBe(true);
  });
});

describe('normaliseTime', () => {
  it.each([
    ['2024-08-01T12:19:18Z', '2024-08-01T12:19:18Z'],
    ['2025-02-19 20:13:49', '2025-02-19T20:13:49Z'],
    ['2025-02-19 20:13:49.4', '2025-02-19T20:13:49.400Z'],
    ['2025-02-19T22:13:49+02:00', '2025-02-19T20:13:49Z'],
    ['2025-02-19T15:43:49-0430', '2025-02-19T20:13:49Z'],
    ['2025-02-19T20:13Z', '2025-02-19T20:13:00Z'],
    ['2025-02-19 20:13:49 UTC', '2025-02-19T20:13:49Z'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59Z'],
    ['2000-02-29 00:00:00', '2000-02-29T00:00:00Z'],
    ['2025-02-20T10:13:49+14:00', '2025-02-19T20:13:49Z'],
    ['2025-02-19T08:13:49-12:00', '2025-02-19T20:13:49Z'],
    ['2025-02-19T20:43:49+00:30', '2025-02-19T20:13:49Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'],
  ])('%s → %s', (input, iso) => {
    expect(normaliseTime(input)).toBe(iso);
  });

  it.each([
    '',
    'now',
    '2025-13-01T00:00:00Z',
    '2025-02-19T24:00:00Z',
    '2025-02-29T10:00:00Z',
    '1900-02-29T10:00:00Z',
    '2025-04-31T10:00:00Z',
    '2025-02-19T20:60:00Z',
    '1739996029',
    '2025-02-19',
    '2025-02-19T20:13:49+99:99',
    '2025-02-19T20:13:49+14:01',
    '2025-02-19T20:13:49+15:00',
    '2025-02-19T20:13:49-12:30',
    '2025-02-19T20:13:49+0260',
    '0001-01-01T00:00:00Z',
    '0099-01-01T00:00:00+01:00',
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:30:00+01:00',
    '9999-12-31T23:30:00-01:00',
  ])('%j is refused', (input) => {
    expect(normaliseTime(input)).toBeUndefined();
  });
});

describe('unwrapEnvelope', () => {
  const envelope = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-eventbridge.json')) as {
    detail: unknown;
  };

  it('returns the CloudTrail record of an EventBridge event', () => {
    expect(unwrapEnvelope(envelope)).toBe(envelope.detail);
  });

  it('returns anything else unchanged', () => {
    for (const v of [
      panther,
      null,
      'x',
      [envelope],
      { 'detail-type': 'EC2 Instance State-change', detail: {} },
    ]) {
      expect(unwrapEnvelope(v)).toBe(v);
    }
  });
});
