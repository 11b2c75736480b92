import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findSecrets } from '../shared/detect/secrets';
import { mask, maskCommand } from '../shared/mask';

describe('mask', () => {
  it.each(
    (
      [
        ['AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE', 'AKIA************MPLE'],
        ['CREDIT_DEBIT_NUMBER', '4111 1111 1111 1111', '4111 **** **** 1111'],
        ['CREDIT_DEBIT_NUMBER', '4111111111111111', '4111********1111'],
        ['CREDIT_DEBIT_NUMBER', '378282246310005', '***********0005'],
        ['EMAIL', 'patricia.brown21@example.org', 'p***@e***.org'],
        ['PHONE', '(919) 555-0179', '(***) ***-**79'],
        ['SSN', '988-72-9181', '***-**-9181'],
        ['INTERNATIONAL_BANK_ACCOUNT_NUMBER', 'DE89 3704 0044 0532 0130 00', 'DE** **** **** **** **30 00'],
        ['PASSWORD', 'Summer2024!x', '************ (12 chars)'],
        ['PASSWORD', '$6$salt$abcdefghij', '$6$************ (18 chars)'],
        ['PRIVATE_KEY', '-----BEGIN RSA PRIVATE KEY-----', '[RSA private key redacted]'],
        [
          'PRIVATE_KEY',
          'MIIEowIBAAKCAQEA2R1E9sA/VTNrqIxHbo1WgbxhnsDOAHE6510vXQm1BM7gjgEF',
          '[private key redacted]',
        ],
        ['GITHUB_TOKEN', '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', 'ghp_************Jxrz'],
        [
          'SLACK_WEBHOOK',
          'https://hooks.slack.com/services/T0A1B2C3D/B0E1F2G3H/AbCdEfGhIjKlMnOpQrStUvWx',
          'https://hooks.slack.com/services/****/****/****',
        ],
        ['NAME', 'Emily Rodriguez', 'E*** R***'],
        ['AWS_SECRET_KEY', 'abc', '***'],
      ] as Array<[string, string, string]>
    ).map(([kind, value, expected], i) => ({ kind, value, expected, i })),
  )('$kind example $i', ({ kind, value, expected }) => {
    expect(mask(kind, value)).toBe(expected);
  });

  it('falls back to a full redaction when the masked form would still contain the value', () => {
    expect(mask('PASSWORD', '****')).toBe('########');
    expect(mask('JWT', '********')).toBe('########');
    expect(mask('SSN', '#')).toBe('********');
  });

  it('property: never returns the value nor contains it, for any kind', () => {
    const kinds = fc.constantFrom(
      'AWS_ACCESS_KEY',
      'AWS_SECRET_KEY',
      'PASSWORD',
      'PRIVATE_KEY',
      'EMAIL',
      'PHONE',
      'SSN',
      'CREDIT_DEBIT_NUMBER',
      'IBAN',
      'NAME',
      'ADDRESS',
      'JWT',
      'SLACK_WEBHOOK',
      'SOMETHING_NEW',
    );
    fc.assert(
      fc.property(kinds, fc.string({ minLength: 1, maxLength: 80 }), (kind, value) => {
        const out = mask(kind, value);
        expect(out.includes(value)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: keeps no run of more than 4 characters of a random token', () => {
    const token = fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
      minLength: 4,
      maxLength: 120,
    });
    const kinds = fc.constantFrom(
      'AWS_ACCESS_KEY',
      'AWS_SECRET_KEY',
      'AWS_SESSION_TOKEN',
      'JWT',
      'GITHUB_TOKEN',
      'PASSWORD',
      'SSN',
    );
    fc.assert(
      fc.property(kinds, token, (kind, value) => {
        const out = mask(kind, value);
        for (let i = 0; i + 5 <= value.length; i++) expect(out.includes(value.slice(i, i + 5))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('maskCommand', () => {
  it.each(
    (
      [
        [
          "mysql -u admin -p'Summer2024!x' -h db billing",
          "mysql -u admin -p'************ (12 chars)' -h db billing",
        ],
        ['PGPASSWORD=pgS3cret psql -h db', 'PGPASSWORD=******** (8 chars) psql -h db'],
        ['sshpass -p Tr0ub4dor ssh admin@10.0.0.5', 'sshpass -p ********* (9 chars) ssh admin@10.0.0.5'],
        ['net user backdoor P@ssw0rd /add', 'net user backdoor ******** (8 chars) /add'],
        [
          'psql postgresql://app:Hunter2Secret@db/app',
          'psql postgresql://app:************ (13 chars)@db/app',
        ],
        ['export AWS_ACCESS_KEY_ID=AKIA3BILSUPZXF3NVVPJ', 'export AWS_ACCESS_KEY_ID=AKIA************VVPJ'],
        ['grep 6011000990139424 customers.csv', 'grep 6011********9424 customers.csv'],
      ] as Array<[string, string]>
    ).map(([command, expected], i) => ({ command, expected, i })),
  )('command example $i', ({ command, expected }) => {
    expect(maskCommand(command)).toBe(expected);
  });

  it('stars long random blobs and leaves paths and plain words alone', () => {
    const out = maskCommand(
      "echo 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDcdX6jYL6M9PjvPSf64rt+wYu1CrW6 me@x' >> ~/.ssh/authorized_keys",
    );
    expect(out).not.toContain('AAAAB3NzaC1yc2EAAAADAQABAAABAQDcdX6jYL6M9PjvPSf64rt');
    expect(out).toContain('>> ~/.ssh/authorized_keys');
    const path =
      'tail -f /var/lib/amazon/ssm/i-0e57975fb4405c6a9/session/orchestration/logs/app_server_access_log';
    expect(maskCommand(path)).toBe(path);
  });

  it('cuts long commands to about 160 characters', () => {
    const out = maskCommand(`echo ${'word '.repeat(100)}`);
    expect(out.length).toBeLessThanOrEqual(160);
    expect(out.endsWith('…')).toBe(true);
  });

  it('property: never contains a secret the detector finds in the command', () => {
    const secret = fc.constantFrom(
      'AKIAIOSFODNN7EXAMPLE',
      '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',
      "-p'Summer2024!x'",
      '--password=Pa55word',
      'https://u:Hunter2Secret@db.internal/x',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJkZXBsb3kiLCJpYXQiOjE3MDAwMDAwMDB9.kFuvxm4ml6O2Mbwp-eqXJ4NzjCLwL9kg_1nXTyutj4c',
    );
    const word = fc.string({ unit: fc.constantFrom(...'abcdefghij -./=_'), maxLength: 30 });
    fc.assert(
      fc.property(
        word,
        secret,
        word,
        fc.constantFrom('mysql', 'curl', 'echo', 'sshpass'),
        (before, s, after, tool) => {
          const command = `${tool} ${before} ${s} ${after}`;
          const out = maskCommand(command);
          for (const m of findSecrets(command)) expect(out.includes(m.value)).toBe(false);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('property: never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => {
        expect(typeof maskCommand(s)).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('digit-keeping masks (character loops) match the replace-callback versions they replaced', () => {
  // The former implementations, kept here as the reference.
  const keepLastDigits = (v: string, keep: number): string => {
    const total = v.replace(/\D/g, '').length;
    if (total <= keep * 2) return v.replace(/[A-Za-z0-9]/g, '*');
    let seen = 0;
    return v.replace(/[A-Za-z0-9]/g, (c) => {
      if (!/\d/.test(c)) return '*';
      seen++;
      return seen > total - keep ? c : '*';
    });
  };
  const maskCard = (v: string): string => {
    const total = v.replace(/\D/g, '').length;
    const head = total >= 16 ? 4 : 0;
    let seen = 0;
    return v.replace(/\d/g, (c) => {
      seen++;
      return seen <= head || seen > total - 4 ? c : '*';
    });
  };
  const maskIban = (v: string): string => {
    const compact = v.replace(/\s/g, '');
    if (compact.length < 12) return '*'.repeat(Math.max(1, Math.min(v.length, 16)));
    let seen = 0;
    return v.replace(/[A-Za-z0-9]/g, (c) => {
      seen++;
      return seen <= 2 || seen > compact.length - 4 ? c : '*';
    });
  };
  const guard = (value: string, masked: string): string =>
    !masked.includes(value) ? masked : '********'.includes(value) ? '########' : '********';
  const chars = fc.constantFrom('0', '4', '9', 'a', 'Z', ' ', '-', '(', ')', '+', '.', 'é', '٣', '\t');

  it.each([
    ['PHONE', (v: string) => keepLastDigits(v, 2)],
    ['SSN', (v: string) => keepLastDigits(v, 4)],
    ['CREDIT_DEBIT_NUMBER', maskCard],
    ['IBAN', maskIban],
  ] as const)('%s', (kind, reference) => {
    fc.assert(
      fc.property(fc.array(chars, { minLength: 1, maxLength: 30 }), (parts) => {
        const v = parts.join('');
        // mask() trims the value first, as before.
        expect(mask(kind, v)).toBe(guard(v, reference(v.trim())));
      }),
      { numRuns: 2000 },
    );
  });
});
