import { describe, expect, it } from 'vitest';
import { describeIssues, describeParseError, FindingEventSchema } from '#functions/commons/events';
import { PLANTED } from '../hostile';

const event = {
  version: '0',
  id: 'e-1',
  account: '123456789012',
  time: '2026-11-18T07:00:00Z',
  region: 'eu-west-1',
  resources: [],
  source: 'ssm-sentinel',
  'detail-type': 'SSM Sentinel Finding',
  detail: {
    id: 'f',
    ruleId: 'r',
    category: 'pii',
    severity: 'HIGH',
    title: 't',
    source: 'transcript',
    time: 't',
    evidence: [],
  },
};

describe('bus event problems name the key path, never the value', () => {
  it('names the first problem and counts the rest', () => {
    const r = FindingEventSchema.safeParse({
      ...event,
      detail: { ...event.detail, severity: PLANTED.awsKey, id: 5 },
    });
    const message = describeIssues(r.error!);
    expect(message).toMatch(/^detail\.id: expected string \(\+\d+ more\)$/);
    expect(message).not.toContain(PLANTED.awsKey);
  });

  it('names the event itself as (event)', () => {
    expect(describeIssues(FindingEventSchema.safeParse('x').error!)).toBe('(event): expected object');
  });

  it("reads a Powertools ParseError's Standard Schema issues", () => {
    const error = new Error('parse failed', {
      cause: [{ message: 'Invalid input', path: [{ key: 'detail' }, { key: PLANTED.email }] }],
    });
    const message = describeParseError(error);
    expect(message).toBe('detail.<key>: Invalid input');
    expect(describeParseError(new Error('no cause'))).toBe('event does not match the schema');
  });
});
