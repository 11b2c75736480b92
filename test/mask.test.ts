import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findSecrets } from '#shared/detect/secrets';
import { base62, crc32 } from '#shared/detect/validators';
import { mask, maskCommand } from '#shared/mask';

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
        ['psql postgresql://app:Hunter2Secret@db/app', 'psql postgresql://app:****@db/app'],
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

describe('excerpt masking of planted values and look-alikes', () => {
  const pick = (chars: string, min: number, max: number) =>
    fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
  const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const BASE32 = `${UPPER}234567`;
  const ALNUM = `${UPPER}abcdefghijklmnopqrstuvwxyz0123456789`;
  const AWS_PREFIXES = [
    'AKIA',
    'ASIA',
    'ABIA',
    'ACCA',
    'AIDA',
    'AROA',
    'AIPA',
    'ANPA',
    'ANVA',
    'AGPA',
    'APKA',
    'ASCA',
  ];

  /** Valid access key ids, and look-alikes: any unique-id prefix with digits base32 has no (0, 1, 8, 9). */
  const awsKey = fc.oneof(
    fc.tuple(fc.constantFrom('AKIA', 'ASIA'), pick(BASE32, 16, 16)).map(([p, r]) => p + r),
    fc
      .tuple(
        fc.constantFrom(...AWS_PREFIXES),
        pick(`${UPPER}0123456789`, 15, 15),
        fc.constantFrom(...'0189'),
        fc.nat(15),
      )
      .map(([p, r, bad, at]) => p + r.slice(0, at) + bad + r.slice(at)),
  );
  const luhnDigit = (body: string): string => {
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let d = Number(body[body.length - 1 - i]);
      if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    return String((10 - (sum % 10)) % 10);
  };
  const card = fc
    .tuple(
      fc.constantFrom('4', '51', '37', '6011'),
      pick('0123456789', 14, 14),
      fc.constantFrom('', ' ', '-'),
    )
    .map(([prefix, rest, sep]) => {
      const len = prefix === '37' ? 15 : 16;
      const body = (prefix + rest).slice(0, len - 1);
      const pan = body + luhnDigit(body);
      return sep && len === 16 ? pan.match(/.{4}/g)!.join(sep) : pan;
    });
  const ssn = fc
    .tuple(
      fc.integer({ min: 1, max: 899 }),
      fc.integer({ min: 1, max: 99 }),
      fc.integer({ min: 1, max: 9999 }),
    )
    .filter(([a]) => a !== 666)
    .map(
      ([a, g, s]) =>
        `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`,
    );
  const email = fc
    .tuple(pick('abcdefghijklmnopqrstuvwxyz0123456789._', 1, 20), pick('abcdefghijklmnopqrstuvwxyz', 2, 12))
    .filter(([local]) => /^[a-z0-9]/.test(local) && /[a-z0-9]$/.test(local) && !local.includes('..'))
    .map(([local, domain]) => `${local}@${domain}.example.com`);
  const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = fc.oneof(
    pick(ALNUM, 30, 30).map((body) => `ghp_${body}${base62(crc32(body), 6)}`),
    pick(ALNUM, 24, 40).map(
      (sig) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: sig.slice(0, 8) })}.${sig}`,
    ),
    pick(ALNUM, 24, 32).map((t) => `xoxb-123456789012-123456789012-${t}`),
    pick(ALNUM, 20, 26)
      .filter((t) => /[A-Z]/.test(t) && /[a-z]/.test(t))
      .map((t) => `glpat-${t}`),
  );
  const password = pick(`${ALNUM}!^*_-`, 8, 24);
  /** [text to plant, the part that must not survive]. */
  const planted = fc.oneof(
    awsKey.map((v) => [v, v] as const),
    card.map((v) => [v, v] as const),
    ssn.map((v) => [v, v] as const),
    email.map((v) => [v, v] as const),
    token.map((v) => [v, v] as const),
    fc
      .tuple(
        fc.constantFrom('https', 'postgresql', 'redis', 'ftp', 'mongodb+srv'),
        pick('abcdefghij', 1, 10),
        password,
      )
      .map(
        ([scheme, user, pw]) => [`${scheme}://${user}:${pw}@db.internal.example.com:5432/app`, pw] as const,
      ),
    // A token as the user part (capitals or digits: a lower-case word is read as an account name).
    fc
      .tuple(
        password.filter((pw) => /[A-Z0-9]/.test(pw)),
        pick('abcdefghij', 1, 8),
      )
      .map(([pw, host]) => [`https://${pw}@${host}.example.com/x`, pw] as const),
  );
  /** Arbitrary text around the value, kept apart from it by a blank (else it is another word). */
  const around = fc.oneof(fc.string({ maxLength: 60 }), pick('abc xyz-./=_:@|;$', 0, 60));

  it('property: a planted value never survives in an excerpt, and the excerpt is stable', () => {
    fc.assert(
      fc.property(around, planted, around, (before, [text, secret], after) => {
        const out = maskCommand(`${before} ${text} ${after}`);
        expect(out.includes(secret)).toBe(false);
        expect(maskCommand(out)).toBe(out);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: the typed mask of a planted value never contains it', () => {
    const typed = fc.oneof(
      awsKey.map((v) => ['AWS_ACCESS_KEY', v] as const),
      card.map((v) => ['CREDIT_DEBIT_NUMBER', v] as const),
      ssn.map((v) => ['SSN', v] as const),
      email.map((v) => ['EMAIL', v] as const),
      token.map((v) => ['GITHUB_TOKEN', v] as const),
      password.map((v) => ['PASSWORD', v] as const),
    );
    fc.assert(
      fc.property(typed, ([kind, value]) => {
        expect(mask(kind, value).includes(value)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['AKIAIOSFODNN7EXAMPL8 in a look-alike', 'echo AKIAIOSFODNN7EXAMPL8', 'echo AKIA************MPL8'],
    [
      'any AWS unique-id prefix',
      'aws iam get-user --user-id AIDAJQABLZS4A3QDU576',
      'aws iam get-user --user-id AIDA************U576',
    ],
    [
      'URL password, scheme and host kept',
      'curl https://deploy:S3cr3t-Pa55@git.example.com/repo',
      'curl https://deploy:****@git.example.com/repo',
    ],
    [
      'URL password holding an @',
      'git clone https://bob:p@ss@git.example.com/r',
      'git clone https://bob:****@git.example.com/r',
    ],
    [
      'a token as the URL user',
      'git clone https://x9Tq2LmN8vR4@github.com/o/r',
      'git clone https://****@github.com/o/r',
    ],
    [
      'a plain account name as the URL user',
      'git clone ssh://git@github.com/o/r',
      'git clone ssh://git@github.com/o/r',
    ],
  ])('masks %s', (_name, command, expected) => {
    expect(maskCommand(command)).toBe(expected);
  });

  it('masks a value cut by the scan limit only where it can show, and marks the cut', () => {
    const long = `echo ${'x'.repeat(5000)} AKIAIOSFODNN7EXAMPLE`;
    const out = maskCommand(long);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toContain('AKIA');
  });

  it('costs the same on a megabyte line as on its first few kilobytes', () => {
    // Bounded input: the excerpt is computed from the head of the text only.
    const line = 'u1@example.org '.repeat(70_000);
    expect(maskCommand(line)).toBe(maskCommand(line.slice(0, 4096)));
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
