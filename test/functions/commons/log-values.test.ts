import { describe, expect, it } from 'vitest';
import { apiName, INVALID, ref, uuidRef } from '#functions/commons/log-values';
import { dimensionValue } from '#functions/commons/metrics';
import { leaks, PLANTED } from '../hostile';

const planted = [
  ...Object.values(PLANTED),
  'AKIA0189KDZQ8V1XW90E',
  '4111111111111111',
  `x\u001b[2J${PLANTED.ssn}`,
];

describe('values a log line may carry', () => {
  it('keeps CloudTrail ids and names that have their shape', () => {
    expect(uuidRef('5B2E8F0C-7A6D-4E3B-8C9F-ABCDEFABCDEF')).toBe('5b2e8f0c-7a6d-4e3b-8c9f-abcdefabcdef');
    for (const name of [
      'StartSession',
      'AccessDenied',
      'Client.UnauthorizedOperation',
      'ThrottlingException',
    ]) {
      expect(apiName(name)).toBe(name);
    }
    for (const id of [
      'mallory-0a1b2c3d4e5f60718',
      '5f1c0b7e9a2d4c6f8b0a1e3d5c7f9b2a',
      'tx-secret-aws-access-key',
    ]) {
      expect(ref(id)).toBe(id);
    }
  });

  it('masks the e-mail address a session id may start with', () => {
    expect(ref('jane.doe@example.org-0a1b2c3d4e5f60718')).toBe('j***@e***.org-0a1b2c3d4e5f60718');
  });

  it('logs anything else as invalid, and absence as absence', () => {
    for (const value of [...planted, '', ' ', 'x'.repeat(200), 42, {}, ['StartSession']]) {
      expect(uuidRef(value)).toBe(INVALID);
      expect(apiName(value)).toBe(INVALID);
    }
    for (const value of planted) expect(leaks(String(ref(value)))).toEqual([]);
    for (const value of [...planted, 'x'.repeat(200), 42]) expect(ref(value)).not.toBe(value);
    expect([uuidRef(undefined), apiName(null), ref(undefined)]).toEqual([undefined, undefined, undefined]);
  });
});

describe('metric dimension values', () => {
  it('pass enumerations and turn anything else into "other"', () => {
    for (const v of [
      'HIGH',
      'port-forward-remote',
      'CREDIT_DEBIT_NUMBER',
      'AWS_ACCESS_KEY',
      'IPV4_ADDRESS',
    ]) {
      expect(dimensionValue(v)).toBe(v);
    }
    for (const v of [...planted, 'two words', 'x'.repeat(60), '', 7, null])
      expect(dimensionValue(v)).toBe('other');
  });
});
