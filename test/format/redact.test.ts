import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  errorCodeField,
  hostField,
  INVALID_ERROR_CODE,
  identityField,
  isIpAddress,
  redactField,
} from '#shared/format/redact';
import { timeRatio } from '../helpers/timing';
import { PLANTS } from '../session/plants';

/** Record values of the expected shape: they come back unchanged. */
const KEPT = [
  'arn:aws:iam::111122223333:user/alice',
  'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
  'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_7a3c9e1f0b2d4c68/bob',
  'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DB_Admins_0a1b2c3d4e5f6789',
  'arn:aws:ssm:us-east-1:111122223333:document/Team-SessionPrefs',
  'arn:aws-us-gov:iam::111122223333:root',
  'AROAVYMHNQYO7HLDHJRYG:mallory',
  'i-0e57975fb4405c6a9',
  'mi-0123456789abcdef0',
  'mallory-g7ob4wkz5r5f6ky4ng257scvtx',
  'alice-0a1b2c3d4e5f67890',
  'SSM-SessionManagerRunShell',
  'AWS-StartPortForwardingSessionToRemoteHost',
  'orders.cluster-c9akciq32.us-east-1.rds.amazonaws.com',
  '203.0.113.149',
  '2001:db8::7',
  'ssm.amazonaws.com',
  'AWS Internal',
  '111122223333',
  '18800c8f-7342-46a3-8c37-4b2e0169ac54',
  'https://sqs.us-east-1.amazonaws.com/111122223333/ssm-sentinel-dlq',
  '/aws/lambda/ssm-sentinel-notifier',
  'Environment=prod',
  'OPS-1234 routine maintenance',
];

describe('redactField', () => {
  it.each(KEPT)('keeps %s', (v) => {
    expect(redactField(v)).toBe(v);
  });

  it.each([
    ['jane.doe@example.org', 'j***@e***.org'],
    [
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_X_0a1b2c3d4e5f6789/jane@example.com',
      'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_X_0a1b2c3d4e5f6789/j***@e***.com',
    ],
    ['jane@example.com-0a1b2c3d4e5f67890', 'j***@e***.com-0a1b2c3d4e5f67890'],
    ['bob-4111111111111111', 'bob-************1111'],
    ['svc/078-05-1120', 'svc/***-**-1120'],
    ['user 4111 1111 1111 1111', 'user 4111 **** **** 1111'],
    ['x/4111 1111 1111 1111', 'x/**** **** **** 1111'],
  ])('masks %s → %s', (v, masked) => {
    expect(redactField(v)).toBe(masked);
  });

  // Key-like values: the exact mask is shared/mask.ts's business; the value must be gone, its kind visible.
  it.each([
    'AKIA0189KDZQ8V1XW90E',
    'AKIAQWERTYUIOPASDFGH',
    'role_AKIAQWERTYUIOPASDFGH',
    'svc-sk_live_4eC39HqLyjWDarjtT1zdp7dc',
  ])('masks the key in %s', (v) => {
    const out = redactField(v)!;
    expect(out).toContain('****');
    expect(out).not.toContain(v.slice(-16));
  });

  it('strips control and bidi characters and bounds the length', () => {
    expect(redactField('bob\u001b[2J\u202eevil')).toBe('bob [2J evil');
    expect(redactField('a'.repeat(100_000), 50)!.length).toBeLessThanOrEqual(50);
    expect(redactField('')).toBeUndefined();
    expect(redactField('\u0007\u0008')).toBeUndefined();
    expect(redactField(42)).toBeUndefined();
  });

  const around = fc.constantFrom(
    '',
    'ops',
    'arn:aws:iam::111122223333:user',
    'i-0e57975fb4405c6a9',
    'role/x',
    'a.b',
  );
  const join = fc.constantFrom(' ', '/', ':', '-', '_', '.', '=', ', ', '(', '@');

  it('property: no plant survives, wherever it sits in an identifier-like value; idempotent', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PLANTS), around, join, around, join, (plant, before, j1, after, j2) => {
        const value = `${before}${before ? j1 : ''}${plant.text}${after ? j2 : ''}${after}`;
        const out = redactField(value, 512) ?? '';
        for (const n of plant.needles) expect(out).not.toContain(n);
        expect(redactField(out, 512) ?? '').toBe(out);
      }),
      { numRuns: 300 },
    );
  });

  it('is linear: four times the input costs at most about four times the time', () => {
    // redactField bounds its input; the shape pass it runs is measured on unbounded text here.
    const unit = '1234567890a1234567890 jane@example.org AKIA0189KDZQ8V1XW90E 4111 1111 1111 1111/';
    // Both above the size redactField remembers results for (512), both below its input bound (2048).
    const small = unit.repeat(7);
    const large = unit.repeat(24);
    expect(
      timeRatio(
        () => redactField(small, small.length),
        () => redactField(large, large.length),
      ),
    ).toBeLessThan(8);
  });
});

describe('remembered results', () => {
  it('give the same answer as the first computation, per value and bound, past the memo size', () => {
    const values = Array.from(
      { length: 3000 },
      (_, i) => `arn:aws:sts::111122223333:assumed-role/R/user${i} 4111 1111 1111 1111`,
    );
    const first = values.map((v) => [redactField(v, 300), redactField(v, 40), identityField(v, 300)]);
    const again = values.map((v) => [redactField(v, 300), redactField(v, 40), identityField(v, 300)]);
    expect(again).toEqual(first);
    for (const [long, short] of first) {
      expect(long).not.toContain('4111 1111 1111 1111');
      expect(short!.length).toBeLessThanOrEqual(40);
    }
  });
});

describe('identityField', () => {
  it.each([
    'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c3d4e5f6789/jane.doe@example.org',
    'jane.doe@example.org-0a1b2c3d4e5f67890',
    'alice-tysputf6dma9ufs9iy0cafqzqp',
    ...KEPT,
  ])('keeps the actor as written: %s', (v) => {
    expect(identityField(v, 512)).toBe(v);
  });

  it.each(PLANTS.filter((p) => p.kind !== 'email').map((p) => [p.kind, p] as const))(
    'redacts a %s in an identity like any member',
    (_, plant) => {
      for (const v of [
        `arn:aws:sts::111122223333:assumed-role/R/${plant.text}`,
        `${plant.text}-0a1b2c3d4e5f67890`,
      ]) {
        const shown = identityField(v, 512) ?? '';
        for (const n of plant.needles) expect(shown).not.toContain(n);
      }
    },
  );

  it('keeps an e-mail only as a whole segment, never as URL credentials', () => {
    expect(identityField('https://bob:S3cr3tPass@db.example.net/x', 512)).not.toContain('S3cr3tPass');
    expect(identityField('x\u001b[2Jjane@example.org-0a1b2c3d4e5f67890', 512)).not.toContain('\u001b');
  });
});

describe('hostField', () => {
  it.each([
    'orders.cluster-c9akciq32.us-east-1.rds.amazonaws.com',
    'db-1.internal',
    '10.0.4.12',
    '[2001:db8::1]',
    'localhost',
  ])('shows %s', (h) => {
    expect(hostField(h)).toBe(h);
  });

  it.each(PLANTS.map((p) => [p.kind, p] as const))('masks a %s host whole', (_, plant) => {
    const out = hostField(plant.text)!;
    for (const n of plant.needles) expect(out).not.toContain(n);
  });

  it('masks what is not a host name, and a secret-shaped label', () => {
    expect(hostField('db; rm -rf /')).not.toContain('rm -rf');
    expect(hostField('AKIAQ2WX7RZLM3KD5TPV.example.com')).not.toContain('AKIAQ2WX7RZLM3KD5TPV');
    expect(hostField('')).toBeUndefined();
    expect(hostField(['x'])).toBeUndefined();
  });
});

describe('errorCodeField', () => {
  it.each([
    'AccessDenied',
    'AccessDeniedException',
    'Client.UnauthorizedOperation',
    'ThrottlingException',
    'InvalidDocument',
  ])('keeps %s', (c) => {
    expect(errorCodeField(c)).toBe(c);
  });

  it.each([
    'AKIAQ2WX7RZLM3KD5TPV',
    'jane.doe@example.org',
    '4111111111111111',
    'Access Denied for bob',
    '\u001b[2J',
    'x'.repeat(65),
  ])('replaces %j with a placeholder', (c) => {
    expect(errorCodeField(c)).toBe(INVALID_ERROR_CODE);
  });
});

describe('isIpAddress', () => {
  it.each([
    ['10.0.0.1', true],
    ['::1', true],
    ['[fe80::1%eth0]', true],
    ['256.1.1.1', false],
    ['ssm.amazonaws.com', false],
    ['', false],
  ])('%s → %s', (s, ok) => {
    expect(isIpAddress(s as string)).toBe(ok);
  });
});
